// UI tests of day two and AWS in headless Chromium with mocked Tauri IPC: the cluster list's
// actions follow the CMEK state machine (refused ones disabled with the reason), rotation and
// a new region are planned and applied by plan id, and an AWS cluster gets the AWS plan (role,
// trust and key policies before/after) applied by id.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, openApp, SHOTS } from "./harness.mjs";
import { toClusters, toRotation } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const allow = (action, extra = {}) => ({ action, allowed: true, status: "ENABLED", ...extra });
const refuse = (action, reason) => ({ action, allowed: false, status: "REVOKED", reason, whatToDo: "Recover first." });
const aws = fx.cluster("analytics", ["us-east-1"], { cloud_provider: "AWS", account_id: "810912345678" });
const enabled = { cluster: fx.single, cmekStatus: "ENABLED", actions: [refuse("setup", "already on"), allow("rotate"), allow("addRegion"), allow("revoke")] };
const revoked = { cluster: fx.multi, cmekStatus: "REVOKED", actions: [refuse("setup", "CMEK was revoked."), refuse("rotate", "CMEK was revoked."), refuse("addRegion", "CMEK was revoked."), refuse("revoke", "Already revoked.")] };
const awsRow = { cluster: aws, cmekStatus: "DISABLED", actions: [allow("setup", { status: "DISABLED" })] };

const rotation = (r) => ({
  ...fx.plan(fx.suggestion(fx.single)),
  planId: "rot-1",
  change: { kind: "rotation", request: r, current: [], changedRegions: ["us-east1"], unchangedRegions: [] },
});
const awsRequest = { clusterId: aws.id, roleName: "crdb-cmek-analytics", keyAlias: "alias/crdb-cmek-analytics", layout: { kind: "keyPerRegion" }, rotation: true, fixTrust: false };
const awsPlan = (request) => ({
  planId: "aws-1",
  digest: "sha256:1",
  request,
  cluster: aws,
  organizationId: "org-1",
  accountId: "111122223333",
  callerArn: "arn:aws:iam::111122223333:user/officer",
  partition: "aws",
  role: { name: request.roleName, arn: `arn:aws:iam::111122223333:role/${request.roleName}`, exists: false, trustPolicyAfter: '{\n  "Statement": "trust-after"\n}', permissionPolicies: [] },
  keys: [{ alias: request.keyAlias, region: "us-east-1", regions: ["us-east-1"], kind: "singleRegion", exists: true, keyState: "Enabled", keyPolicyBefore: '{"Statement": "admins"}', keyPolicyAfter: '{"Statement": "admins + crdb"}' }],
  steps: [
    { id: "identity", kind: "checkIdentity", title: "Check the AWS identity", resource: "111122223333", alreadyDone: false },
    { id: "role", kind: "createRole", title: "Create the role", resource: "role", alreadyDone: false },
    { id: "policy", kind: "writeKeyPolicy", title: "Add CockroachDB to the key policy", resource: "us-east-1/alias", alreadyDone: false },
    { id: "cmek", kind: "enableCmek", title: "Enable CMEK", resource: aws.id, alreadyDone: false },
  ],
  regionSpecs: [{ region: "us-east-1", key_spec: { type: "AWS_KMS", uri: "arn:aws:kms:us-east-1:111122223333:key/k", auth_principal: "arn:aws:iam::111122223333:role/crdb-cmek-analytics" } }],
  commands: ["aws iam create-role --role-name crdb-cmek-analytics"],
  warnings: [],
});

const backend = fx.mockBackend({
  ...fx.sandbox,
  list_clusters: () => [enabled, revoked, awsRow],
  cmek_status: () => fx.applyResult().cmek,
  suggest_rotation: (args) => ({ clusterId: args.clusterId, project: "acme-keys", keyRing: "crdb-cmek", cryptoKey: "payments-2", protectionLevel: "SOFTWARE", rotationPeriodDays: 90 }),
  plan_rotation: (args) => rotation(args.request),
  suggest_aws_setup: awsRequest,
  plan_aws_setup: (args) => awsPlan(args.request),
});

test("refused actions are disabled and say why; allowed ones are offered", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await toClusters(page);
  assert.equal(await page.isDisabled('[data-testid="rotate-cluster-payments"]'), false);
  assert.equal(await page.isDisabled('[data-testid="addRegion-cluster-payments"]'), false);
  assert.equal(await page.isDisabled('[data-testid="rotate-cluster-ledger"]'), true);
  assert.match(await page.getAttribute('[data-testid="rotate-cluster-ledger"]', "title"), /CMEK was revoked\. Recover first\./);
  assert.match(await page.textContent('[data-testid="rotate-cluster-ledger"]'), /not available — CMEK was revoked/);
  // Rotation and new regions are Google Cloud changes: not offered on the AWS cluster.
  assert.equal(await page.locator('[data-testid="rotate-cluster-analytics"]').count(), 0);
  await page.screenshot({ path: path.join(SHOTS, "clusters-actions.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a rotation is planned from the suggestion and applied by its plan id", async () => {
  const { page, calls } = await openApp(
    harness,
    backend({
      async apply_setup(args, ipc) {
        await fx.finishStep(ipc, args.onEvent, "cmek", "done");
        return fx.applyResult();
      },
    }),
  );
  await toRotation(page);
  assert.equal(await page.inputValue('[data-testid="rotate-key"]'), "payments-2");
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="plan-review"]');
  const planCall = calls.find((c) => c.cmd === "plan_rotation");
  assert.equal(planCall.args.request.cryptoKey, "payments-2");
  await page.click('[data-testid="apply"]');
  assert.match(await page.textContent('[data-testid="confirm-dialog"]'), /Keep the old key/);
  // Only real changes are counted and listed: the permission check is not one.
  assert.equal(await page.getAttribute('[data-testid="confirm-change-count"]', "data-changes"), "3");
  assert.doesNotMatch(await page.textContent('[data-testid="confirm-dialog"]'), /Check permissions/);
  await page.click('[data-testid="confirm-apply"]');
  await page.waitForSelector('[data-testid="view-result"]');
  const applyCall = calls.find((c) => c.cmd === "apply_setup");
  assert.deepEqual(Object.keys(applyCall.args).sort(), ["onEvent", "planId"]);
  assert.equal(applyCall.args.planId, "rot-1");
  assert.match(await page.textContent("main h1"), /Rotate to a new key/);
  await page.close();
});

test("a rotation's C12 offer focuses the project of the new key, and re-planning sends the chosen one", async () => {
  const c12 = "Separation of duties (audit check C12): user:officer@example.com own(s) project acme-keys, which will hold 1 key(s); the audit will report C12 on each.";
  const { page, calls, pageErrors } = await openApp(
    harness,
    backend({
      plan_rotation: (args) =>
        args.request.project === "acme-keys"
          ? { ...rotation(args.request), warnings: [c12], offerKeyProject: true }
          : { ...rotation(args.request), warnings: [], offerKeyProject: false },
    }),
  );
  await toRotation(page);
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="use-key-project"]');
  // Keyboard only: the offer is a button; Enter moves focus to the project field, text selected.
  await page.focus('[data-testid="use-key-project"]');
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "c-project");
  await page.keyboard.type("acme-kms-only");
  await page.click('[data-testid="review-plan"]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="use-key-project"]'));
  const last = calls.filter((c) => c.cmd === "plan_rotation").at(-1);
  assert.equal(last.args.request.project, "acme-kms-only");
  assert.equal(await page.locator('[data-testid="plan-warnings"]').count(), 0);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("an AWS cluster gets the AWS plan with trust and key policies, applied by id", async () => {
  const { page, calls } = await openApp(
    harness,
    backend({
      async apply_aws_setup(args, ipc) {
        await fx.finishStep(ipc, args.onEvent, "role", "done");
        return { ...fx.applyResult(aws), authPrincipal: "arn:aws:iam::111122223333:role/crdb-cmek-analytics" };
      },
    }),
  );
  await toClusters(page);
  await page.click('[data-testid="select-cluster-analytics"]');
  await page.waitForSelector('[data-testid="aws-plan-form"]');
  assert.equal(await page.inputValue('[data-testid="aws-role-name"]'), "crdb-cmek-analytics");
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="plan-review"]');
  assert.match(await page.textContent('[data-testid="trust-policy-after"]'), /trust-after/);
  assert.match(await page.textContent('[data-testid="key-policy-us-east-1-before"]'), /admins/);
  assert.match(await page.textContent('[data-testid="key-policy-us-east-1-after"]'), /admins \+ crdb/);
  assert.match(await page.textContent('[data-testid="plan-review"]'), /ExternalId/);
  await page.screenshot({ path: path.join(SHOTS, "aws-plan.png"), fullPage: true });
  await page.click('[data-testid="apply"]');
  const dialog = await page.textContent('[data-testid="confirm-dialog"]');
  assert.match(dialog, /Create the role/);
  assert.doesNotMatch(dialog, /Check the AWS identity/, "only real changes are listed");
  await page.click('[data-testid="confirm-apply"]');
  await page.waitForSelector('[data-testid="view-result"]');
  const applyCall = calls.find((c) => c.cmd === "apply_aws_setup");
  assert.equal(applyCall.args.planId, "aws-1");
  assert.equal(applyCall.args.plan, undefined);
  await page.close();
});
