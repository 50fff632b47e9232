// UI tests of issue 11's honest surfaces in headless Chromium with mocked Tauri IPC: the plan
// says for every resource, step and binding "exists, will be verified" or "will be
// created/granted", and the confirm dialog counts only real changes (zero for an unchanged
// setup, said plainly); the cluster list row honours the state machine's setup answer
// (refused: disabled with the reason; rotation/add region first when that is what applies);
// the activity table shows one row per write with its final state.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, openApp, SHOTS } from "./harness.mjs";
import { toClusters, toReviewedPlan, openActivity } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const SA = "crdb-cmek-payments@acme-keys.iam.gserviceaccount.com";
const CRL = "serviceAccount:crl-kms-user-abc@crl-prod-123.iam.gserviceaccount.com";
const RING = "projects/acme-keys/locations/us-east1/keyRings/crdb-cmek";
const KEY = `${RING}/cryptoKeys/payments-us-east1`;
const step = (kind, title, resource, alreadyDone) => ({ id: `${kind}:${resource}`, kind, title, resource, alreadyDone });
const tokenCreator = { role: "roles/iam.serviceAccountTokenCreator", member: CRL };
const officer = { role: "roles/iam.serviceAccountUser", member: "user:officer@example.com" };

/** The plan of a setup applied once already: every resource exists, CMEK is ENABLED. */
function unchangedPlan(request) {
  const p = fx.plan(request);
  return {
    ...p,
    serviceAccountExists: true,
    keys: [{ name: KEY, location: "us-east1", regions: ["us-east1"], exists: true, primaryState: "ENABLED" }],
    steps: [
      step("checkPermissions", "Check your permissions", "projects/acme-keys", false),
      step("enableApis", "Enable the Cloud KMS and IAM APIs", "projects/acme-keys", true),
      step("createServiceAccount", "Create the service account", SA, true),
      step("grantTokenCreator", "Let CockroachDB's principal impersonate it", SA, true),
      step("createKeyRing", "Create key ring crdb-cmek in us-east1", RING, true),
      step("createCryptoKey", "Create key payments-us-east1", KEY, true),
      step("grantEncrypterDecrypter", "Let the service account use the key", KEY, true),
      step("enableCmek", "Ask CockroachDB to use the keys (enable CMEK)", p.cluster.id, true),
      step("waitForCmek", "Wait until every region is ENABLED", p.cluster.id, true),
    ],
    iamChanges: [{ resource: SA, grant: tokenCreator, before: [officer, tokenCreator], after: [officer, tokenCreator] }],
    changes: 0,
  };
}

/** A first setup: nothing exists yet but the APIs (6 changes: SA, grant, ring, key, grant, enable). */
function newPlan(request) {
  const p = unchangedPlan(request);
  return {
    ...p,
    serviceAccountExists: false,
    keys: [{ name: KEY, location: "us-east1", regions: ["us-east1"], exists: false }],
    steps: p.steps.map((s) => ({ ...s, alreadyDone: s.kind === "enableApis" })),
    iamChanges: [{ resource: SA, grant: tokenCreator, before: [], after: [tokenCreator] }],
    changes: 6,
  };
}

const backend = (planFor, overrides = {}) => fx.mockBackend(fx.setupScreens(planFor))(overrides);

const states = (page, sel) => page.locator(sel).evaluateAll((els) => els.map((e) => e.dataset.state));

test("re-running an unchanged setup: the plan says every resource exists and will be verified, the dialog counts zero changes", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend(unchangedPlan));
  await toReviewedPlan(page);
  const review = await page.textContent('[data-testid="plan-review"]');
  assert.match(await page.textContent('[data-testid="plan-summary"]'), /^Nothing to change: applying only verifies/);
  assert.doesNotMatch(review, /created if missing|will be created|will be granted|Applying creates|adopted/i);
  assert.deepEqual(await states(page, '[data-testid="resource-state"]'), ["verify", "verify", "verify"]);
  // Every step that exists says so; the permission check is a check, not a change.
  assert.deepEqual(await states(page, '[data-testid^="plan-step-"][data-state]'), ["check", ...Array(8).fill("verify")]);
  assert.match(await page.textContent('[data-testid="plan-step-7"]'), /already enabled, will be verified/);
  assert.match(await page.textContent('[data-testid="iam-diff-0"]'), /already grants roles\/iam.serviceAccountTokenCreator .*exists, will be verified/);
  assert.equal(await page.getAttribute('[data-testid="iam-diff-0"]', "data-state"), "verify");
  await page.screenshot({ path: path.join(SHOTS, "plan-unchanged.png"), fullPage: true });

  await page.click('[data-testid="apply"]');
  const dialog = page.locator('[data-testid="confirm-dialog"]');
  const text = await dialog.textContent();
  assert.equal(await page.getAttribute('[data-testid="confirm-changes"]', "data-changes"), "0");
  assert.match(await page.textContent('[data-testid="confirm-changes"]'), /Nothing to change: applying only verifies what exists/);
  assert.equal(await page.locator('[data-testid="confirm-change-list"]').count(), 0, "no list of changes");
  assert.doesNotMatch(text, /Create |Add \d+ IAM binding|Enable CMEK on cluster|Cannot be undone/);
  assert.match(await page.textContent('[data-testid="confirm-verified"]'), /Verified only, not changed: 7 steps .*payments-us-east1.*CMEK is already enabled on payments/);
  assert.equal((await page.textContent('[data-testid="confirm-apply"]')).trim(), "Verify");
  await page.screenshot({ path: path.join(SHOTS, "plan-unchanged-confirm.png") });
  await page.keyboard.press("Escape");
  assert.ok(!calls.some((c) => c.cmd === "apply_setup"));
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a first setup: the plan says what will be created and granted, the dialog lists and counts only those changes", async () => {
  const { page, pageErrors } = await openApp(harness, backend(newPlan));
  await toReviewedPlan(page);
  assert.match(await page.textContent('[data-testid="plan-summary"]'), /Applying makes 6 changes\./);
  assert.deepEqual(await states(page, '[data-testid="resource-state"]'), ["change", "change", "change"]);
  const steps = await page.locator('[data-testid="plan-step-state"]').allTextContents();
  assert.deepEqual(steps, ["will be checked", "exists, will be verified", "will be created", "will be granted", "will be created", "will be created", "will be granted", "will be enabled", "will be waited for"]);
  assert.match(await page.textContent('[data-testid="iam-diff-0"]'), /will grant roles\/iam.serviceAccountTokenCreator/);
  await page.click('[data-testid="apply"]');
  assert.equal(await page.getAttribute('[data-testid="confirm-changes"]', "data-changes"), "6");
  const items = await page.locator('[data-testid="confirm-change-list"] li').allTextContents();
  assert.deepEqual(items.map((t) => t.replace(/\s+/g, " ").trim()), [
    `Create service account ${SA}`,
    `Create key ring ${RING}`,
    `Create key ${KEY} (us-east1)`,
    "Add 2 IAM bindings (nothing is removed)",
    "Enable CMEK on cluster payments in us-east1",
  ]);
  assert.doesNotMatch(await page.textContent('[data-testid="confirm-dialog"]'), /Enable the Cloud KMS and IAM APIs/, "enabled APIs are not a change");
  assert.match(await page.textContent('[data-testid="confirm-dialog"]'), /Cannot be undone/);
  assert.equal((await page.textContent('[data-testid="confirm-apply"]')).trim(), "Apply plan");
  await page.screenshot({ path: path.join(SHOTS, "plan-new-confirm.png") });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

// ---- The cluster list row honours the state machine's answer (ClusterSummary.actions) ----

const allow = (action, status, note) => ({ action, allowed: true, status, ...(note ? { note } : {}) });
const refuse = (action, status, reason, whatToDo = "Do this instead.") => ({ action, allowed: false, status, reason, whatToDo });
let nextId = 200;
const row = (name, status, actions, extra = {}) => ({
  cluster: fx.cluster(name, ["us-east1"], { id: `00000000-0000-4000-8000-000000000${nextId++}` }),
  cmekStatus: status,
  actions,
  ...extra,
});
const LIST = [
  row("fresh", "DISABLED", [allow("setup", "DISABLED"), refuse("rotate", "DISABLED", "CMEK is not enabled."), refuse("revoke", "DISABLED", "CMEK is not enabled.")]),
  row("enabled-verify", "ENABLED", [allow("setup", "ENABLED", "CMEK is already enabled: setup with the keys in use only verifies them."), allow("rotate", "ENABLED"), allow("addRegion", "ENABLED"), allow("revoke", "ENABLED")]),
  row("enabled-rotate", "ENABLED", [refuse("setup", "ENABLED", "CMEK is already enabled on this cluster.", "Rotate the key or add a region instead."), allow("rotate", "ENABLED"), refuse("addRegion", "ENABLED", "Every region already has a key."), allow("revoke", "ENABLED")]),
  row("revoked", "REVOKED", [refuse("setup", "REVOKED", "CMEK on this cluster is revoked: this would grant CockroachDB access to a key again.", "Recover, then contact Cockroach Labs support."), refuse("rotate", "REVOKED", "CMEK on this cluster is revoked."), refuse("addRegion", "REVOKED", "CMEK on this cluster is revoked."), refuse("revoke", "REVOKED", "Already revoked.")]),
  row("rotating", "ROTATING", [refuse("setup", "ROTATING", "CockroachDB is rotating this cluster to a new key.", "Wait until it finishes."), refuse("rotate", "ROTATING", "A rotation is running."), refuse("addRegion", "ROTATING", "A rotation is running."), allow("revoke", "ROTATING")]),
];

test("the cluster list's Set up CMEK follows the state machine: refused is disabled with the reason; a rotation comes first when that is what applies", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend(newPlan, {
    list_clusters: () => LIST,
    suggest_setup: (args) => fx.suggestion(LIST.find((c) => c.cluster.id === args.clusterId).cluster),
    suggest_rotation: fx.rejects({ code: "UNAVAILABLE", message: "not needed by this test" }),
    cmek_status: () => fx.applyResult().cmek,
  }));
  await page.setViewportSize({ width: 1280, height: 900 });
  await toClusters(page);
  const setup = (name) => `[data-testid="select-cluster-${name}"]`;
  const cell = (name, id) => page.textContent(`[data-testid="cluster-row-${name}"] [data-testid="${id}"]`);

  // Allowed: enabled, and the state machine's note is shown where it applies.
  assert.equal(await page.isDisabled(setup("fresh")), false);
  assert.equal(await page.isDisabled(setup("enabled-verify")), false);
  assert.match(await cell("enabled-verify", "setup-note"), /only verifies them/);

  // Refused: disabled, the reason and what to do visible in the row and tied to the button.
  for (const [name, why] of [["revoked", /revoked: this would grant CockroachDB access to a key again\. Recover, then contact/], ["rotating", /rotating this cluster to a new key\. Wait until it finishes/], ["enabled-rotate", /already enabled on this cluster\. Rotate the key or add a region instead/]]) {
    assert.equal(await page.isDisabled(setup(name)), true, `${name}: setup disabled`);
    assert.match(await cell(name, "setup-refused-reason"), why, name);
    const describedBy = await page.getAttribute(setup(name), "aria-describedby");
    assert.match(await page.textContent(`[id="${describedBy}"]`), why, `${name}: the button is described by its reason`);
    assert.match(await page.textContent(setup(name)), /not available/, `${name}: screen readers hear it is not available`);
  }

  // Setup refused and a rotation allowed: the rotation is the row's primary entry, before setup.
  const rotate = '[data-testid="rotate-cluster-enabled-rotate"]';
  assert.equal(await page.isDisabled(rotate), false);
  assert.match(await page.getAttribute(rotate, "class"), /btn-primary/);
  assert.equal(await page.isDisabled('[data-testid="addRegion-cluster-enabled-rotate"]'), true);
  const order = await page.locator('[data-testid="cluster-row-enabled-rotate"] .row-actions button').evaluateAll((bs) => bs.map((b) => b.dataset.testid));
  assert.deepEqual(order.slice(0, 3), ["rotate-cluster-enabled-rotate", "addRegion-cluster-enabled-rotate", "select-cluster-enabled-rotate"]);
  // Where setup is allowed, it stays the primary entry and a rotation is secondary.
  assert.match(await page.getAttribute('[data-testid="rotate-cluster-enabled-verify"]', "class"), /btn-secondary/);
  // Refused everywhere: nothing is promoted.
  assert.doesNotMatch(await page.getAttribute('[data-testid="rotate-cluster-rotating"]', "class"), /btn-primary/);
  await page.screenshot({ path: path.join(SHOTS, "clusters-actions.png"), fullPage: true });

  // A disabled setup sends nothing; the promoted rotation opens the rotation screen.
  await page.click(setup("revoked"), { force: true });
  assert.ok(!calls.some((c) => c.cmd === "suggest_setup"), "a refused setup is not started");
  await page.click(rotate);
  await page.waitForFunction(() => document.querySelector("h1")?.textContent?.match(/Rotate/i));
  assert.ok(calls.some((c) => c.cmd === "suggest_rotation"));
  assert.deepEqual(pageErrors, []);
  await page.close();
});

// ---- The Activity table: one row per write with its final state ----

test("the Activity table shows one row per write with its outcome's state, and a write without outcome says so", async () => {
  const who = "user:officer@example.com";
  const intent = (id, action, target, summary, before) => ({ id, at: `2026-12-02T05:00:0${id}Z`, actor: who, kind: "intent", action, target, summary, before, status: "pending" });
  const outcome = (id, of, action, target, summary, status, extra = {}) => ({ id, at: `2026-12-02T05:00:0${id}Z`, actor: who, kind: "outcome", action, target, summary, status, intentId: of, ...extra });
  const rows = [
    { entry: { id: 1, at: "2026-12-02T05:00:01Z", actor: who, kind: "event", action: "connect", target: "sandbox", summary: "Connected", status: "ok" }, state: "ok" },
    { entry: intent(2, "iam.setIamPolicy", `projects/acme-keys/serviceAccounts/${SA}`, `Add back 1 grant(s) on projects/acme-keys/serviceAccounts/${SA}`, { bindings: [officer] }),
      outcome: outcome(3, 2, "iam.setIamPolicy", `projects/acme-keys/serviceAccounts/${SA}`, "Granted", "ok", { after: { bindings: [officer, tokenCreator] } }), state: "ok" },
    { entry: intent(4, "kms.createCryptoKey", KEY, "Create key", null),
      outcome: outcome(5, 4, "kms.createCryptoKey", KEY, "Refused", "failed", { error: { code: "PERMISSION_DENIED", message: "Permission denied on the key ring." } }), state: "failed" },
    { entry: intent(6, "cockroach.enableCmek", "cluster-1", "Enable CMEK", {}), state: "no_outcome" },
  ];
  const { page, calls, pageErrors } = await openApp(harness, backend(newPlan, { activity_rows: () => rows }));
  await openActivity(page);
  assert.ok(!calls.some((c) => c.cmd === "activity_entries"), "the screen reads the paired rows");
  const shown = await page.locator('[data-testid="activity-row"]').evaluateAll((trs) => trs.map((tr) => [tr.dataset.action, tr.querySelector('[data-testid="activity-state"]').textContent.trim()]));
  assert.deepEqual(shown, [
    ["cockroach.enableCmek", "no outcome recorded"],
    ["kms.createCryptoKey", "failed"],
    ["iam.setIamPolicy", "ok"],
    ["connect", "ok"],
  ], "newest first, one row per write, its final state");
  const table = await page.textContent('[data-testid="activity-table"]');
  assert.doesNotMatch(table, /pending/i);
  assert.match(table, /The app stopped before the result was written/);
  // Details: the intent's before and the outcome's after (and error) on the write's one row.
  const granted = page.locator('[data-testid="activity-row"][data-action="iam.setIamPolicy"]');
  assert.match(await granted.textContent(), /Granted/);
  await granted.locator('[data-testid="activity-details-toggle"]').click();
  assert.match(await page.textContent('[data-testid="activity-before"]'), /serviceAccountUser/);
  assert.match(await page.textContent('[data-testid="activity-after"]'), /serviceAccountTokenCreator/);
  await page.locator('[data-testid="activity-row"][data-action="kms.createCryptoKey"] [data-testid="activity-details-toggle"]').click();
  assert.match(await page.textContent('[data-testid="activity-table"]'), /PERMISSION_DENIED: Permission denied on the key ring\./);
  // Long resource names wrap inside the row; the Details column stays in view (the E2E
  // window is 1200 px wide).
  for (const width of [1280, 1200, 1024]) {
    await page.setViewportSize({ width, height: 800 });
    const fits = await page.$eval('[data-testid="activity-table"]', (t) => t.scrollWidth <= t.parentElement.clientWidth + 1);
    assert.ok(fits, `the table fits its width at ${width} px`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  const target = await page.locator('[data-testid="activity-row"][data-action="iam.setIamPolicy"] [data-testid="activity-target"]').boundingBox();
  assert.ok(target.width > 200, `the target is not squeezed (${target.width}px)`);
  await page.screenshot({ path: path.join(SHOTS, "activity-rows.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});
