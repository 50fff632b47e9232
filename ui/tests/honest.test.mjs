// UI tests of issue 11's honest surfaces in headless Chromium with mocked Tauri IPC: the plan
// says for every resource, step and binding "exists, will be verified" or "will be
// created/granted", and the confirm dialog counts only real changes (zero for an unchanged
// setup, said plainly); the cluster list row honours the state machine's setup answer
// (refused: disabled with the reason; rotation/add region first when that is what applies);
// the activity table shows one row per write with its final state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fs from "node:fs";
import { startHarness, openApp } from "./harness.mjs";
import * as fx from "./fixtures.mjs";

const SHOTS = path.resolve("target/ui-tests");
let harness;
before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  harness = await startHarness();
});
after(async () => harness?.close());

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

function backend(planFor, overrides = {}) {
  return async (cmd, args) => {
    if (overrides[cmd]) return overrides[cmd](args);
    switch (cmd) {
      case "session_status": return fx.noSession;
      case "pending_operations": return [];
      case "verify_activity": return { trustworthy: true, checked: 0, message: "" };
      case "connect_sandbox": return fx.connection;
      case "list_clusters": return fx.clusters;
      case "suggest_setup": return fx.suggestion(fx.single);
      case "plan_setup": return planFor(args.request);
      case "plugin:window|set_title": return null;
      default: throw { code: "INTERNAL", message: `unexpected command ${cmd}` };
    }
  };
}

async function toPlan(page) {
  await page.click('[data-testid="connect-sandbox"]');
  await page.waitForSelector('[data-testid="cluster-table"]');
  await page.click('[data-testid="select-cluster-payments"]');
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="plan-review"]');
}

const states = (page, sel) => page.locator(sel).evaluateAll((els) => els.map((e) => e.dataset.state));

test("re-running an unchanged setup: the plan says every resource exists and will be verified, the dialog counts zero changes", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend(unchangedPlan));
  await toPlan(page);
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
  await toPlan(page);
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
