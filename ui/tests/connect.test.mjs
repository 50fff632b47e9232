// UI tests of sign-in and credentials on the Connect screen and in the header, with mocked IPC:
// waiting for the browser (cancel, copy the URL), the API key (masked, never shown again,
// replace/forget), the keychain error, sign-out, and the "Sign in again" banner.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, gate, openApp, SHOTS } from "./harness.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const URL = "http://127.0.0.1:9/authorize?client_id=x&code_challenge=abc&state=s1";

/** The commands of a backend with a mutable session: each answer gets `state` as its third argument. */
const sessionBackend = fx.mockBackend({
  ...fx.sandbox,
  session_status: (_args, _ipc, state) => state.session,
  async sign_in_google(args, ipc, state) {
    // Waits until the test resolves or cancel_sign_in rejects it.
    await ipc.send(args.onEvent, { kind: "waiting", authorizationUrl: URL, browserError: "Opening the browser is turned off." });
    return new Promise((resolve, reject) => (state.signIn = { resolve, reject }));
  },
  cancel_sign_in(_args, _ipc, state) {
    state.signIn?.reject({ code: "CANCELLED", message: "Sign-in was cancelled." });
    return null;
  },
  save_cockroach_key(args, _ipc, state) {
    if (args.key !== "crl-good") throw { code: "UNAUTHENTICATED", message: "CockroachDB Cloud rejected the API key.", httpStatus: 401 };
    state.session = { ...state.session, cockroachKeyStored: true, cockroachOrganization: fx.signedIn.cockroachOrganization };
    return state.session;
  },
  forget_cockroach_key(_args, _ipc, state) {
    state.session = { ...state.session, cockroachKeyStored: false, cockroachOrganization: undefined };
    return state.session;
  },
  sign_out(_args, _ipc, state) {
    state.session = { ...state.session, google: undefined };
    return state.session;
  },
  connect_live: fx.liveConnection,
});

/** A fake backend with a mutable session; `overrides[cmd]` replaces one command. */
function backend(session, overrides = {}) {
  const state = { session: structuredClone(session), signIn: null };
  return { handler: sessionBackend(overrides, state), state };
}

test("Google sign-in shows 'Waiting for the browser…', the URL to copy, and Cancel ends it", async () => {
  const { handler, state } = backend(fx.noSession);
  const { page, calls, pageErrors } = await openApp(harness, handler);
  await page.click('[data-testid="target-google"]');
  await page.click('[data-testid="sign-in-google"]');
  await page.waitForSelector('[data-testid="sign-in-url"]');
  assert.match(await page.textContent('[data-testid="sign-in-waiting"]'), /Waiting for the browser…/);
  assert.match(await page.textContent('[data-testid="browser-error"]'), /turned off/);
  assert.equal(await page.inputValue('[data-testid="sign-in-url"]'), URL);
  // Copy: the clipboard gets exactly the URL.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: harness.url });
  await page.click('[data-testid="copy-sign-in-url"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="copy-sign-in-url"]').textContent === "Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), URL);
  await page.screenshot({ path: path.join(SHOTS, "sign-in-waiting.png"), fullPage: true });

  await page.click('[data-testid="cancel-sign-in"]');
  await page.waitForSelector('[data-testid="sign-in-google"]');
  assert.equal(await page.locator('[data-testid="sign-in-waiting"]').count(), 0);
  assert.equal(await page.locator('[data-testid="error-banner"]').count(), 0, "cancelling is not an error");
  assert.ok(calls.some((c) => c.cmd === "cancel_sign_in"));
  assert.equal(state.session.google, undefined);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a completed sign-in shows the email in the header, and Sign out clears it", async () => {
  const { handler, state } = backend(fx.noSession);
  const { page, calls } = await openApp(harness, handler);
  await page.click('[data-testid="target-google"]');
  await page.click('[data-testid="sign-in-google"]');
  await page.waitForSelector('[data-testid="sign-in-waiting"]');
  // The browser step happened elsewhere: the backend answers the pending command.
  state.session = { ...state.session, google: fx.signedIn.google };
  state.signIn.resolve(state.session);
  await page.waitForSelector('[data-testid="signed-in-email"]');
  assert.equal(await page.textContent('[data-testid="signed-in-email"]'), "officer@example.com");
  assert.match(await page.textContent('[data-testid="google-identity"]'), /officer@example\.com/);
  await page.click('[data-testid="sign-out"]');
  await page.waitForSelector('[data-testid="signed-in-email"]', { state: "detached" });
  assert.ok(calls.some((c) => c.cmd === "sign_out"));
  await page.close();
});

test("the API key field is masked, is cleared after saving and the key is never shown again", async () => {
  const { handler } = backend({ ...fx.noSession, google: fx.signedIn.google });
  const { page, calls } = await openApp(harness, handler);
  await page.click('[data-testid="target-google"]');
  const field = page.locator('[data-testid="cockroach-key"]');
  assert.equal(await field.getAttribute("type"), "password");
  assert.equal(await field.getAttribute("autocomplete"), "off");
  assert.equal(await page.isDisabled('[data-testid="connect-live"]'), true, "no key yet");

  // A rejected key: the error shows, nothing is stored, the message does not echo the key.
  await field.fill("crl-bad");
  await page.click('[data-testid="save-cockroach-key"]');
  await page.waitForSelector('[data-testid="cockroach-section"] [data-testid="error-banner"][data-code="UNAUTHENTICATED"]');
  assert.equal(await page.locator('[data-testid="sign-in-again-banner"]').count(), 0, "a wrong key is not an expired sign-in");

  await field.fill("crl-good");
  await page.click('[data-testid="save-cockroach-key"]');
  await page.waitForSelector('[data-testid="cockroach-org"]');
  assert.match(await page.textContent('[data-testid="cockroach-org"]'), /Acme Corp.*org-1/);
  assert.equal(await page.locator('[data-testid="cockroach-key"]').count(), 0, "the field is gone");
  const html = await page.content();
  assert.ok(!html.includes("crl-good"), "the key is nowhere in the page");
  assert.deepEqual(calls.filter((c) => c.cmd === "save_cockroach_key").map((c) => c.args), [{ key: "crl-bad" }, { key: "crl-good" }]);

  // Replace shows an EMPTY masked field; cancel goes back; Forget deletes.
  await page.click('[data-testid="replace-cockroach-key"]');
  assert.equal(await page.inputValue('[data-testid="cockroach-key"]'), "");
  assert.equal(await page.getAttribute('[data-testid="cockroach-key"]', "type"), "password");
  await page.click('[data-testid="cancel-replace"]');
  await page.click('[data-testid="forget-cockroach-key"]');
  await page.waitForSelector('[data-testid="cockroach-key"]');
  assert.ok(calls.some((c) => c.cmd === "forget_cockroach_key"));
  await page.screenshot({ path: path.join(SHOTS, "api-key.png"), fullPage: true });
  await page.close();
});

test("an UNAUTHENTICATED credential shows the 'Sign in again' banner, which starts a sign-in", async () => {
  const problem = { code: "UNAUTHENTICATED", message: "Your Google sign-in has expired or was revoked (invalid_grant). Sign in again." };
  const { handler } = backend({ ...fx.signedIn, problem });
  const { page, calls } = await openApp(harness, handler);
  await page.waitForSelector('[data-testid="sign-in-again-banner"]');
  assert.equal(await page.getAttribute('[data-testid="sign-in-again-banner"]', "data-code"), "UNAUTHENTICATED");
  assert.match(await page.textContent('[data-testid="sign-in-again-message"]'), /invalid_grant/);
  await page.click('[data-testid="sign-in-again"]');
  await page.waitForSelector('[data-testid="sign-in-waiting"]');
  assert.ok(calls.some((c) => c.cmd === "sign_in_google"));
  await page.close();
});

test("a credential dying mid-wizard raises the banner instead of a failed step", async () => {
  const { handler } = backend(fx.signedIn, {
    list_clusters: fx.rejects({ code: "UNAUTHENTICATED", message: "Your Google sign-in has expired or was revoked (invalid_grant). Sign in again." }),
  });
  const { page } = await openApp(harness, handler);
  await page.click('[data-testid="connect-live"]');
  await page.waitForSelector('[data-testid="sign-in-again-banner"]');
  assert.match(await page.textContent('[data-testid="sign-in-again-message"]'), /invalid_grant/);
  await page.screenshot({ path: path.join(SHOTS, "sign-in-again.png"), fullPage: true });
  await page.close();
});

test("no keychain: the fix is shown and nothing can be stored", async () => {
  const keychainError = { code: "KEYCHAIN", message: "The OS keychain is not reachable (no Secret Service). Fix: start a Secret Service such as gnome-keyring (and unlock its login collection) in your desktop session; CMEK Desk never stores secrets in files." };
  const { handler } = backend({ ...fx.noSession, keychainError });
  const { page } = await openApp(harness, handler);
  await page.waitForSelector('[data-testid="keychain-error"]');
  assert.match(await page.textContent('[data-testid="keychain-error"]'), /gnome-keyring/);
  await page.click('[data-testid="target-google"]');
  assert.equal(await page.isDisabled('[data-testid="sign-in-google"]'), true);
  await page.fill('[data-testid="cockroach-key"]', "crl-good");
  assert.equal(await page.isDisabled('[data-testid="save-cockroach-key"]'), true);
  await page.close();
});

test("existing Google credentials show the identity they resolved to", async () => {
  const { handler } = backend(fx.noSession, {
    use_google_credentials: (args, _ipc, state) => {
      assert.deepEqual(args.source, { kind: "serviceAccountKeyFile", path: "/keys/kms-admin.json" });
      state.session = { ...state.session, google: { method: "serviceAccountKeyFile", identity: "service account kms-admin@p.iam.gserviceaccount.com", email: "kms-admin@p.iam.gserviceaccount.com" } };
      return state.session;
    },
  });
  const { page } = await openApp(harness, handler);
  await page.click('[data-testid="target-credentials"]');
  await page.fill('[data-testid="key-file-path"]', "/keys/kms-admin.json");
  await page.click('[data-testid="use-credentials"]');
  await page.waitForSelector('[data-testid="google-identity"]');
  assert.match(await page.textContent('[data-testid="google-identity"]'), /service account kms-admin@p\.iam\.gserviceaccount\.com/);
  await page.close();
});

test("a refused key file shows the backend's message (the path not found), not the generic 'connect again' hint", async () => {
  const message = "Cannot use the service-account key /keys/missing.json: No such file or directory (os error 2)";
  const { handler } = backend(fx.noSession, {
    use_google_credentials: fx.rejects({ code: "UNAUTHENTICATED", message }),
  });
  const { page, pageErrors } = await openApp(harness, handler);
  await page.click('[data-testid="target-credentials"]');
  await page.fill('[data-testid="key-file-path"]', "/keys/missing.json");
  await page.click('[data-testid="use-credentials"]');
  const banner = page.locator('[data-testid="error-banner"][data-code="UNAUTHENTICATED"]');
  await banner.waitFor();
  assert.equal(await page.textContent('[data-testid="error-message"]'), message);
  const text = await banner.textContent();
  assert.match(text, /\/keys\/missing\.json/);
  assert.doesNotMatch(text, /Not connected/);
  assert.doesNotMatch(text, /Connect again to continue/);
  assert.equal(await page.locator('[data-testid="sign-in-again-banner"]').count(), 0, "a wrong path is not an expired sign-in");
  await page.screenshot({ path: path.join(SHOTS, "credentials-refused.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a request Tauri refuses before any command runs is explained in plain words, never with its Rust/serde text", async () => {
  // The shape of Tauri's own refusal: a plain string naming the argument, the command and a serde phrase.
  const raw = 'invalid args `request` for command `connect_sandbox`: invalid type: string "x", expected u32';
  const { handler } = backend(fx.noSession, {
    connect_sandbox: fx.rejects(raw),
  });
  const { page, pageErrors } = await openApp(harness, handler);
  await page.click('[data-testid="connect-sandbox"]');
  const banner = page.locator('[data-testid="error-banner"]');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /nothing was sent to Google Cloud, AWS or CockroachDB Cloud/);
  for (const banned of [/invalid args/, /invalid type/, /expected u32/, /connect_sandbox/, /`request`/]) assert.doesNotMatch(text, banned);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("start-up: Connect to sandbox works before the first session status (the keychain) answers", async () => {
  // session_status is held until the test releases it: the sandbox needs nothing from it.
  const { promise: held, release } = gate();
  const { handler } = backend(fx.noSession, { session_status: (_a, _i, state) => held.then(() => state.session) });
  const { page, calls, pageErrors } = await openApp(harness, handler);
  const button = page.locator('[data-testid="connect-sandbox"]');
  await button.waitFor();
  assert.equal(await button.isEnabled(), true);
  assert.equal(await page.isChecked('[data-testid="target-sandbox"]'), true);
  await button.click();
  await page.waitForSelector('main[data-screen="clusters"]');
  assert.ok(calls.some((c) => c.cmd === "connect_sandbox"));
  release();
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("start-up: a signed-in session that answers late preselects Google, unless the officer already picked a target", async () => {
  for (const pickFirst of [false, true]) {
    const { promise: held, release } = gate();
    const { handler } = backend(fx.signedIn, { session_status: (_a, _i, state) => held.then(() => state.session) });
    const { page, pageErrors } = await openApp(harness, handler);
    await page.locator('[data-testid="connect-sandbox"]').waitFor();
    if (pickFirst) await page.click('[data-testid="target-credentials"]');
    release();
    await page.waitForSelector('[data-testid="signed-in-email"]');
    const expected = pickFirst ? "target-credentials" : "target-google";
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.checked, expected);
    assert.equal(await page.isChecked(`[data-testid="${expected}"]`), true, `pickFirst=${pickFirst}`);
    assert.deepEqual(pageErrors, []);
    await page.close();
  }
});
