// UI tests of the wizard in headless Chromium with mocked Tauri IPC (no backend, no display).
// Run: npm run build && node --test ui/tests/   (scripts/test.sh does both).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, gate, openApp, SHOTS } from "./harness.mjs";
import { toClusters, requestPlan, toReviewedPlan, confirmApply } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

/** A backend that answers the happy path; `overrides[cmd]` replaces one command. */
const backend = fx.mockBackend({
  ...fx.sandbox,
  suggest_setup: (args) => fx.suggestion(fx.clusters.find((c) => c.cluster.id === args.clusterId).cluster),
  plan_setup: (args) => fx.plan(args.request),
  cmek_status: () => fx.applyResult().cmek,
});

test("starts in sandbox mode with Sandbox preselected and Google sign-in offered", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  assert.match(await page.textContent('[data-testid="sandbox-banner"]'), /Sandbox — no real cloud is touched/);
  assert.equal(await page.isChecked('[data-testid="target-sandbox"]'), true);
  assert.equal(await page.isDisabled('input[value="google"]'), false);
  assert.match(await page.textContent("#google-note"), /Sign in with Google/);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("an ineligible cluster shows its reason and cannot be picked", async () => {
  const { page, calls } = await openApp(harness, backend());
  await toClusters(page);
  const row = page.locator('[data-testid="cluster-row-sandbox-basic"]');
  assert.equal(await row.getAttribute("data-eligible"), "false");
  assert.match(await row.locator('[data-testid="ineligible-reason"]').textContent(), /its plan is BASIC \(CMEK needs ADVANCED\)/);
  const pick = page.locator('[data-testid="select-cluster-sandbox-basic"]');
  assert.equal(await pick.isDisabled(), true);
  await pick.click({ force: true }); // a disabled button ignores clicks, even forced ones
  assert.equal(await page.locator('[data-testid="cluster-table"]').isVisible(), true);
  assert.ok(!calls.some((c) => c.cmd === "suggest_setup"), "no setup may start for an ineligible cluster");
  // Eligible clusters can be picked.
  assert.equal(await page.isDisabled('[data-testid="select-cluster-payments"]'), false);
  await page.screenshot({ path: path.join(SHOTS, "clusters.png"), fullPage: true });
  await page.close();
});

test("the plan screen sends the prefilled request and shows the IAM before/after diff", async () => {
  const { page, calls } = await openApp(harness, backend());
  await toReviewedPlan(page);
  const planCall = calls.find((c) => c.cmd === "plan_setup");
  // The rotation period goes as typed (text); the backend parses it and names the rule in days.
  assert.deepEqual(planCall.args.request, { ...fx.suggestion(fx.single), rotationPeriodDays: "90" });
  const lines = page.locator('[data-testid="iam-diff-0"] [data-testid="iam-diff-line"]');
  assert.equal(await lines.count(), 2);
  // The existing binding is kept, the new one is marked as added; nothing is removed.
  assert.equal(await lines.nth(0).getAttribute("data-kind"), "same");
  assert.equal(await lines.nth(1).getAttribute("data-kind"), "added");
  assert.match(await lines.nth(1).textContent(), /\+.*roles\/iam\.serviceAccountTokenCreator.*crl-kms-user-abc/s);
  assert.equal(await page.locator('[data-kind="removed"]').count(), 0);
  assert.match(await page.textContent('[data-testid="plan-commands"]'), /gcloud iam service-accounts create/);
  assert.match(await page.textContent('[data-testid="plan-warnings"]'), /cannot be deleted/);
  assert.match(await page.textContent('[data-testid="plan-region-specs"]'), /payments-us-east1/);
  await page.screenshot({ path: path.join(SHOTS, "plan.png"), fullPage: true });
  await page.close();
});

test("editing the form after review discards the plan until it is reviewed again", async () => {
  const { page } = await openApp(harness, backend());
  await toReviewedPlan(page);
  await page.fill("#f-ring", "other-ring");
  assert.equal(await page.locator('[data-testid="apply"]').count(), 0);
  await page.close();
});

test("apply asks for confirmation; cancel sends nothing", async () => {
  const { page, calls } = await openApp(harness, backend());
  await toReviewedPlan(page);
  await page.click('[data-testid="apply"]');
  const dialog = page.locator('[data-testid="confirm-dialog"]');
  assert.match(await dialog.textContent(), /cannot be deleted in Google Cloud/);
  assert.match(await dialog.textContent(), /Create service account/);
  await page.keyboard.press("Escape");
  assert.equal(await dialog.count(), 0);
  assert.ok(!calls.some((c) => c.cmd === "apply_setup"));
  await page.close();
});

test("the apply screen renders step states from channel events, then the result", async () => {
  const { promise: held, release } = gate();
  const { page, calls } = await openApp(
    harness,
    backend({
      async apply_setup(args, ipc) {
        const ch = args.onEvent;
        await fx.finishStep(ipc, ch, "check", "unchanged", "all permissions present");
        await fx.finishStep(ipc, ch, "sa", "adopted");
        await ipc.send(ch, { event: "stepStarted", stepId: "key" });
        await ipc.send(ch, { event: "stepProgress", stepId: "key", message: "waiting for IAM propagation (attempt 2)" });
        await held; // the test looks at the screen mid-apply
        await ipc.send(ch, { event: "stepFinished", stepId: "key", outcome: "done", detail: "created" });
        await fx.finishStep(ipc, ch, "cmek", "done");
        return fx.finishApply(ipc, ch);
      },
    }),
  );
  await toReviewedPlan(page);
  await confirmApply(page);
  await page.waitForSelector('[data-testid="step-2"][data-state="running"]');
  const state = (i) => page.getAttribute(`[data-testid="step-${i}"]`, "data-state");
  assert.equal(await state(0), "unchanged");
  assert.equal(await state(1), "adopted");
  assert.equal(await state(3), "pending");
  assert.match(await page.textContent('[data-testid="step-2"]'), /waiting for IAM propagation/);
  assert.equal(await page.locator('[data-testid="step-2"] .spinner').count(), 1);
  assert.match(await page.textContent('[data-testid="apply-announcement"]'), /waiting for IAM propagation/);
  await page.screenshot({ path: path.join(SHOTS, "apply-running.png"), fullPage: true });
  release();
  await page.waitForSelector('[data-testid="step-3"][data-state="done"]');
  await page.click('[data-testid="view-result"]');
  await page.waitForSelector('[data-testid="result-status"]');
  assert.equal(await page.getAttribute('[data-testid="result-status"]', "data-status"), "ENABLED");
  assert.equal(await page.getAttribute('[data-testid="region-status-us-east1"]', "data-status"), "ENABLED");
  const applyCall = calls.find((c) => c.cmd === "apply_setup");
  assert.match(applyCall.args.onEvent, /^__CHANNEL__:\d+$/);
  // The window sends only the id of the plan the backend holds, never the plan itself.
  assert.equal(applyCall.args.planId, fx.PLAN_ID);
  assert.equal(applyCall.args.plan, undefined);
  await page.screenshot({ path: path.join(SHOTS, "result.png"), fullPage: true });
  await page.close();
});

test("a failed step shows its error and the banner offers to try again", async () => {
  const failure = { code: "PERMISSION_DENIED", message: "Permission cloudkms.cryptoKeys.create denied on acme-keys", permission: "cloudkms.cryptoKeys.create" };
  const { page } = await openApp(
    harness,
    backend({
      async apply_setup(args, ipc) {
        await ipc.send(args.onEvent, { event: "stepStarted", stepId: "check" });
        await ipc.send(args.onEvent, { event: "stepFailed", stepId: "check", error: failure });
        throw failure;
      },
    }),
  );
  await toReviewedPlan(page);
  await confirmApply(page);
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.equal(await page.getAttribute('[data-testid="step-0"]', "data-state"), "failed");
  assert.match(await page.textContent('[data-testid="step-0"]'), /cloudkms\.cryptoKeys\.create denied/);
  const banner = page.locator('[data-testid="error-banner"]');
  assert.equal(await banner.getAttribute("data-code"), "PERMISSION_DENIED");
  assert.match(await banner.textContent(), /Missing permission: cloudkms\.cryptoKeys\.create/);
  assert.equal(await page.textContent('[data-testid="error-action"]'), "Try again");
  await page.close();
});

test("an UNAUTHENTICATED error shows the message and its action leads back to Connect", async () => {
  const { page } = await openApp(
    harness,
    backend({ list_clusters: fx.rejects({ code: "UNAUTHENTICATED", message: "The sandbox session ended." }) }),
  );
  await page.click('[data-testid="connect-sandbox"]');
  const banner = page.locator('[data-testid="error-banner"]');
  await banner.waitFor();
  assert.equal(await banner.getAttribute("data-code"), "UNAUTHENTICATED");
  assert.equal(await banner.getAttribute("role"), "alert");
  assert.equal(await page.textContent('[data-testid="error-message"]'), "The sandbox session ended.");
  await page.click('[data-testid="error-action"]');
  await page.waitForSelector('[data-testid="connect-sandbox"]');
  await page.close();
});

test("a NOT_ELIGIBLE error on the plan screen leads back to the cluster list", async () => {
  const { page } = await openApp(
    harness,
    backend({ plan_setup: fx.rejects({ code: "NOT_ELIGIBLE", message: "Cluster payments cannot use CMEK: an operation is running." }) }),
  );
  await requestPlan(page);
  await page.waitForSelector('[data-testid="error-banner"][data-code="NOT_ELIGIBLE"]');
  assert.equal(await page.textContent('[data-testid="error-action"]'), "Choose another cluster");
  await page.click('[data-testid="error-action"]');
  await page.waitForSelector('[data-testid="cluster-table"]');
  await page.close();
});

test("an INVALID_INPUT error marks the named field and its action focuses it", async () => {
  const { page } = await openApp(
    harness,
    backend({ plan_setup: fx.rejects({ code: "INVALID_INPUT", message: "Key ring ID: must be 1-63 characters", resource: "key_ring" }) }),
  );
  await requestPlan(page);
  await page.waitForSelector('[data-testid="error-banner"][data-code="INVALID_INPUT"]');
  assert.equal(await page.getAttribute("#f-ring", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#f-project", "aria-invalid"), "false");
  assert.equal(await page.textContent('[data-testid="field-error"]'), "must be 1-63 characters", "the label is the field's own; the rule is next to it");
  await page.click('[data-testid="error-action"]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), "f-ring");
  await page.close();
});

test("at 1280 px names do not break mid-word, the id is one truncated monospace line; an ENABLED cluster offers Review setup", async () => {
  const enabled = fx.cluster("audit-disabled-key", ["us-east1"], { id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" });
  const list = [...fx.clusters, { cluster: enabled, cmekStatus: "ENABLED" }];
  const { page, pageErrors } = await openApp(harness, backend({
    list_clusters: () => list,
    suggest_setup: (args) => fx.suggestion(list.find((c) => c.cluster.id === args.clusterId).cluster),
  }));
  await page.setViewportSize({ width: 1280, height: 800 });
  await toClusters(page);
  const row = '[data-testid="cluster-row-audit-disabled-key"]';
  const box = await page.$eval(`${row} [data-testid="cluster-name"]`, (el) => ({ h: el.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(el).lineHeight) || el.getBoundingClientRect().height, text: el.textContent, fits: el.scrollWidth <= el.clientWidth }));
  assert.equal(box.text, "audit-disabled-key");
  assert.ok(box.h <= box.lh * 1.5, `the name is on one line (${box.h}px)`);
  assert.ok(box.fits, "the name is not cut");
  const id = await page.$eval(`${row} [data-testid="cluster-id"]`, (el) => ({ h: el.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(el).lineHeight), font: getComputedStyle(el).fontFamily, size: parseFloat(getComputedStyle(el).fontSize), title: el.title, text: el.textContent }));
  assert.ok(id.h <= id.lh * 1.5, `the id is one line (${id.h}px)`);
  assert.match(id.font, /mono/i);
  assert.ok(id.size < 14, "smaller than the name");
  assert.equal(id.title, enabled.id, "the whole id in the tooltip");
  assert.equal(id.text, enabled.id, "the whole id is in the text to copy");
  // ENABLED: Review setup (same action, same test id); others: Set up CMEK.
  assert.match(await page.textContent('[data-testid="select-cluster-audit-disabled-key"]'), /^Review setup/);
  assert.match(await page.textContent('[data-testid="select-cluster-payments"]'), /^Set up CMEK/);
  await page.screenshot({ path: path.join(SHOTS, "clusters-1280.png"), fullPage: true });
  // At the window's default width (tauri.conf.json: 1200 px) the table fits with room to
  // spare (WebKit lays text out a little wider than Chromium): its narrowest layout leaves at
  // least 48 px, so no column and no action button is behind a horizontal scroll.
  await page.setViewportSize({ width: 1200, height: 800 });
  const fit = await page.$eval('[data-testid="cluster-table"]', (t) => {
    t.style.width = "min-content";
    const narrowest = Math.ceil(t.getBoundingClientRect().width);
    t.style.width = "";
    return { narrowest, frame: t.parentElement.clientWidth };
  });
  assert.ok(fit.narrowest <= fit.frame - 48, `the cluster table needs ${fit.narrowest}px of a ${fit.frame}px frame`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('[data-testid="select-cluster-audit-disabled-key"]');
  await page.waitForSelector('[data-testid="review-plan"]');
  assert.deepEqual(pageErrors, []);
  await page.close();
});
