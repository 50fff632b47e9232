// UI tests of Revoke, Recover, the pending-operation banner and the Activity screen in headless
// Chromium with mocked Tauri IPC (no backend). Run: npm run build && node --test ui/tests/.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, gate, openApp, SHOTS } from "./harness.mjs";
import { openActivity, toRevokeRoute, confirmRevoke, escapeDialog } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const ID = fx.single.id;
const SA = "crdb-cmek-payments@acme-keys.iam.gserviceaccount.com";
const SA_RES = { kind: "serviceAccount", project: "acme-keys", email: SA };
const KEY = "projects/acme-keys/locations/us-east1/keyRings/crdb-cmek/cryptoKeys/payments";
const TC = { role: "roles/iam.serviceAccountTokenCreator", member: "serviceAccount:crl-kms-user-abc@crl-prod-abc.iam.gserviceaccount.com" };
const ED = { role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${SA}` };
const cmek = (status) => ({
  status,
  region_infos: [{ region: "us-east1", status, key_infos: [{ spec: { type: "GCP_CLOUD_KMS", uri: KEY, auth_principal: SA }, status, user_message: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" }] }],
});
const lever = (lever, title, reachText, affected, removals, disables = [], isDefault = false) => ({
  lever, title, reach: "THIS_CLUSTER", reachText, delayText: "IAM changes take effect in about 2 minutes.", typicalDelaySecs: lever === "DISABLE_SERVICE_ACCOUNT" ? 0 : 120,
  maxDelaySecs: lever === "DISABLE_SERVICE_ACCOUNT" ? 0 : 420, isDefault, removals, disables, affectedClusters: affected, warnings: [],
});
const preview = {
  clusterId: ID, clusterName: "payments", organizationId: "org-1", regions: ["us-east1"], cmek: cmek("ENABLED"),
  cockroachPrincipal: "crl-kms-user-abc@crl-prod-abc.iam.gserviceaccount.com", serviceAccounts: [SA], keys: [KEY], otherKeyUsers: [],
  stopsWorking: ["Every node of payments restarts and cannot read its data."],
  sharing: [{ clusterId: fx.multi.id, clusterName: "ledger", cmekStatus: "ENABLED", regions: ["europe-west1", "us-east1"], sharesServiceAccount: true, sharedKeys: [KEY], holdsTokenCreator: true, cutOffBy: ["ENCRYPTER_DECRYPTER", "DISABLE_SERVICE_ACCOUNT"] }],
  levers: [
    lever("TOKEN_CREATOR", "Remove Token Creator for this cluster's CockroachDB principal", "Only this cluster.", [ID], [{ resource: SA_RES, grants: [TC] }], [], true),
    lever("ENCRYPTER_DECRYPTER", "Remove Encrypter/Decrypter for the service account on the key", "Every cluster using the service account with the key.", [ID, fx.multi.id], [{ resource: { kind: "kms", name: KEY }, grants: [ED] }]),
    lever("DISABLE_SERVICE_ACCOUNT", "Disable the service account", "Every cluster using the service account.", [ID, fx.multi.id], [], [SA]),
  ],
  confirmText: "payments", warnings: [],
};
const observed = (grants) => ({ readAt: "2025-01-02T00:00:10Z", policies: [{ resource: SA_RES, grants }], serviceAccounts: [], cmek: cmek(grants.length ? "ENABLED" : "REVOKED") });
const report = {
  operationId: "op-1", clusterId: ID, clusterName: "payments", lever: "TOKEN_CREATOR", cmekStatus: "REVOKED", userMessages: [], revokedAt: "2025-01-02T00:00:05Z",
  removed: [{ resource: SA_RES, grants: [TC] }], disabledServiceAccounts: [], stillPresent: [], observed: observed([]), note: "Restoring access later does not restart the nodes.",
};
const recovered = {
  operationId: "op-2", revokeOperationId: "op-1", restored: [{ resource: SA_RES, grants: [TC] }], reenabledServiceAccounts: [], missing: [], stillDisabled: [], verified: true,
  observed: { ...observed([TC]), cmek: cmek("REVOKED") },
  supportRequest: { clusterId: ID, clusterName: "payments", organizationId: "org-1", regions: ["us-east1"], revokedAt: "2025-01-02T00:00:05Z", restoredAt: "2025-01-02T00:10:00Z",
    subject: `Re-authorize CMEK for cluster payments (${ID})`, body: `Cluster ID: ${ID}\nOrganization ID: org-1\nRegions: us-east1\n` },
};

const backend = fx.mockBackend({ session_status: fx.noSession, pending_operations: [], preview_revoke: preview, cancel_revoke: null });

/** Opens the Revoke screen through its route (as the result screen and audit cards do). */
async function openRevoke(page) {
  await toRevokeRoute(page, ID, '[data-testid="revoke-open-confirm"]');
  await page.click('[data-testid="revoke-open-confirm"]');
  await page.waitForSelector('[data-testid="revoke-dialog"][open]');
}

test("the confirm button stays disabled until the exact cluster name is typed; shared clusters and levers are shown", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend());
  await openRevoke(page);
  assert.deepEqual(calls.find((c) => c.cmd === "preview_revoke").args, { clusterId: ID });
  // Focus starts in the name field; Token Creator removal is the default lever.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "revoke-confirm-input");
  assert.equal(await page.isChecked('[data-testid="lever-TOKEN_CREATOR"] input'), true);
  assert.match(await page.textContent('[data-testid="lever-reach-TOKEN_CREATOR"]'), /this cluster only/);
  assert.match(await page.textContent('[data-testid="lever-reach-ENCRYPTER_DECRYPTER"]'), /2 clusters/);
  // Shared clusters are listed with what they share and which levers cut them off.
  const shared = await page.textContent('[data-testid="sharing-ledger"]');
  assert.match(shared, /ledger/);
  assert.match(shared, /shares the service account/);
  assert.match(shared, /Also cut off by: Remove Encrypter\/Decrypter/);
  assert.match(await page.textContent('[data-testid="revoke-regions"]'), /us-east1/);
  assert.match(await page.textContent('[data-testid="stops-working"]'), /cannot read its data/);

  const confirm = page.locator('[data-testid="revoke-confirm"]');
  assert.match(await confirm.textContent(), /Remove access and revoke CMEK for payments/);
  assert.equal(await confirm.isDisabled(), true);
  for (const wrong of ["pay", "Payments", "payments ", "paymentsx"]) {
    await page.fill('[data-testid="revoke-confirm-input"]', wrong);
    assert.equal(await confirm.isDisabled(), true, `enabled by ${JSON.stringify(wrong)}`);
  }
  await page.fill('[data-testid="revoke-confirm-input"]', "payments");
  assert.equal(await confirm.isDisabled(), false);
  // A wider lever lists the other cluster among the exact changes.
  await page.check('[data-testid="lever-ENCRYPTER_DECRYPTER"] input');
  assert.match(await page.textContent('[data-testid="lever-changes"]'), /Also cuts off ledger/);
  await page.screenshot({ path: path.join(SHOTS, "revoke-confirm.png"), fullPage: true });
  // Escape cancels: the dialog closes and nothing was sent.
  await escapeDialog(page, "revoke-dialog");
  assert.ok(!calls.some((c) => c.cmd === "revoke_cluster"), "nothing may be revoked without confirming");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("revoke events render step states live, then the observed state; recover shows the restored bindings and the support request", async () => {
  const { promise: held, release } = gate();
  const { page, calls, pageErrors } = await openApp(harness, backend({
    async revoke_cluster(args, ipc) {
      const send = (e) => ipc.send(args.onEvent, e);
      await send({ type: "operationStarted", operationId: "op-1", action: "revoke" });
      await send({ type: "stepStarted", step: "snapshot", title: "Record a recovery snapshot" });
      await send({ type: "stepFinished", step: "snapshot", status: "done", message: "1 policies recorded" });
      await send({ type: "stepStarted", step: "removeAccess", title: "Remove access" });
      await send({ type: "stepProgress", step: "removeAccess", message: "removed 1 grant(s)" });
      await held;
      await send({ type: "stepFinished", step: "removeAccess", status: "done", message: "Access removed" });
      await send({ type: "stepStarted", step: "callRevoke", title: "Tell CockroachDB to revoke (REVOKE)" });
      await send({ type: "stepFinished", step: "callRevoke", status: "done", message: "CockroachDB answered REVOKING" });
      await send({ type: "stepStarted", step: "waitRevoked", title: "Wait for REVOKED" });
      await send({ type: "stepProgress", step: "waitRevoked", message: "us-east1: REVOKING" });
      await send({ type: "stepFinished", step: "waitRevoked", status: "done", message: "CockroachDB reports REVOKED" });
      await send({ type: "stepStarted", step: "verify", title: "Re-read" });
      await send({ type: "stepFinished", step: "verify", status: "done", message: "Every removed grant is gone." });
      return report;
    },
    async recover_revoke(args, ipc) {
      const send = (e) => ipc.send(args.onEvent, e);
      await send({ type: "stepStarted", step: "restoreAccess", title: "Restore exactly what was removed" });
      await send({ type: "stepFinished", step: "restoreAccess", status: "done", message: "restored" });
      await send({ type: "stepFinished", step: "verify", status: "done", message: "0 grant(s) missing" });
      await send({ type: "stepFinished", step: "supportRequest", status: "done", message: "send it" });
      return recovered;
    },
  }));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: harness.url });
  await openRevoke(page);
  await confirmRevoke(page, "payments");

  await page.waitForSelector('[data-testid="rstep-removeAccess"][data-state="running"]');
  const state = (s) => page.getAttribute(`[data-testid="rstep-${s}"]`, "data-state");
  assert.equal(await state("snapshot"), "done");
  assert.equal(await state("callRevoke"), "pending");
  assert.equal(await state("waitRevoked"), "pending");
  assert.match(await page.textContent('[data-testid="rstep-note-removeAccess"]'), /removed 1 grant/);
  assert.equal(await page.isVisible('[data-testid="revoke-stop"]'), true);
  release();

  await page.waitForSelector('[data-testid="revoke-report"]');
  for (const s of ["snapshot", "removeAccess", "callRevoke", "waitRevoked", "verify"]) assert.equal(await state(s), "done", s);
  assert.equal(await page.getAttribute('[data-testid="revoke-cmek-status"]', "data-status"), "REVOKED");
  assert.match(await page.textContent('[data-testid="removed-grants"]'), /serviceAccountTokenCreator.*gone/s);
  const sent = calls.find((c) => c.cmd === "revoke_cluster").args.request;
  assert.deepEqual(sent, { clusterId: ID, lever: "TOKEN_CREATOR", confirmName: "payments" });

  // Recover asks first: the exact grants from the report and the support ticket; Escape cancels
  // and focus returns to the Recover button; nothing is sent until confirmed.
  await page.click('[data-testid="recover"]');
  await page.waitForSelector('[data-testid="recover-dialog"]');
  assert.deepEqual(await page.$$eval('[data-testid="recover-grant"]', (li) => li.map((l) => l.textContent.replace(/\s+/g, " ").trim())), [
    `Add ${TC.role} → ${TC.member} on projects/acme-keys/serviceAccounts/${SA}`,
  ]);
  assert.match(await page.textContent('[data-testid="recover-support-note"]'), /support ticket/);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "recover-cancel");
  await escapeDialog(page, "recover-dialog");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "recover", "focus back on the trigger");
  assert.ok(!calls.some((c) => c.cmd === "recover_revoke"), "cancel sends nothing");
  await page.click('[data-testid="recover"]');
  await page.click('[data-testid="recover-cancel"]');
  await page.waitForSelector('[data-testid="recover-dialog"]', { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "recover");
  await page.click('[data-testid="recover"]');
  await page.screenshot({ path: path.join(SHOTS, "recover-confirm.png"), fullPage: true });
  await page.click('[data-testid="recover-confirm"]');
  await page.waitForSelector('[data-testid="recover-report"]');
  assert.deepEqual(calls.find((c) => c.cmd === "recover_revoke").args.operationId, "op-1");
  assert.equal(await page.getAttribute('[data-testid="recover-verified"]', "data-status"), "done");
  assert.equal(await page.getAttribute('[data-testid="restored-binding"]', "data-present"), "true");
  const support = await page.textContent('[data-testid="support-request"]');
  for (const want of [ID, "org-1", "us-east1", "Re-authorize CMEK"]) assert.ok(support.includes(want), want);
  await page.click('[data-testid="copy-support-request"]');
  await page.waitForSelector('[data-testid="copy-support-status"][data-state="copied"]');
  assert.equal(await page.textContent('[data-testid="copy-support-request"]'), "Copied");
  assert.match(await page.textContent('[data-testid="copy-support-status"]'), /Copied/);
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /Organization ID: org-1/);
  // Without a clipboard: the request is selected and the user is told to press Ctrl+C.
  await page.evaluate(() => Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true }));
  await page.click('[data-testid="copy-support-request"]');
  await page.waitForSelector('[data-testid="copy-support-status"][data-state="unavailable"]');
  assert.match(await page.textContent('[data-testid="copy-support-status"]'), /clipboard is not available.*Ctrl\+C/);
  assert.match(await page.evaluate(() => String(window.getSelection())), /Organization ID: org-1/);
  await page.screenshot({ path: path.join(SHOTS, "revoke-recovered.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a failed step is shown failed with the backend's message, and recovery is offered", async () => {
  const { page } = await openApp(harness, backend({
    async revoke_cluster(args, ipc) {
      await ipc.send(args.onEvent, { type: "operationStarted", operationId: "op-9", action: "revoke" });
      await ipc.send(args.onEvent, { type: "stepFinished", step: "snapshot", status: "done", message: "ok" });
      await ipc.send(args.onEvent, { type: "stepStarted", step: "removeAccess", title: "Remove access" });
      throw { code: "PERMISSION_DENIED", message: "iam.serviceAccounts.setIamPolicy denied" };
    },
    activity_entries: () => [snapshotEntry("op-9", 1)],
  }));
  await openRevoke(page);
  await confirmRevoke(page, "payments");
  await page.waitForSelector('[data-testid="rstep-removeAccess"][data-state="failed"]');
  assert.match(await page.textContent('[data-testid="error-banner"]'), /setIamPolicy denied/);
  assert.equal(await page.isVisible('[data-testid="recover"]'), true);
  // No report: the confirmation lists the grants of the snapshot the log recorded.
  await page.click('[data-testid="recover"]');
  await page.waitForSelector('[data-testid="recover-dialog"]');
  assert.match(await page.textContent('[data-testid="recover-grants"]'), /serviceAccountTokenCreator/);
  await page.click('[data-testid="recover-cancel"]');
  await page.waitForSelector('[data-testid="recover-dialog"]', { state: "detached" });
  await page.close();
});

const pending = {
  operationId: "op-7", action: "revoke", target: ID, actor: "user:officer@example.com", startedAt: "2025-01-02T00:00:00Z",
  summary: "Revoke CMEK for payments", completed: ["revoke.snapshot", "revoke.remove_access"], unresolved: [], hasSnapshot: true,
};

// The activity log of op-7: the snapshot's outcome carries the recovery snapshot; REVOKE never sent.
const snapshotEntry = (operationId, id) => ({
  id, at: "2025-01-02T00:00:01Z", actor: pending.actor, operationId, kind: "outcome", action: "revoke.snapshot", target: ID, summary: "Snapshot recorded", status: "ok",
  after: { operationId, takenAt: "2025-01-02T00:00:01Z", actor: pending.actor, clusterId: ID, clusterName: "payments", organizationId: "org-1", regions: ["us-east1"], lever: "TOKEN_CREATOR",
    removals: [{ resource: SA_RES, grants: [TC] }], disables: [], policies: [], serviceAccounts: [], cmek: cmek("ENABLED") },
});
const pendingLog = [
  { id: 1, at: "2025-01-02T00:00:00Z", actor: pending.actor, operationId: "op-7", kind: "intent", action: "revoke.snapshot", target: ID, summary: "Record the recovery snapshot" },
  snapshotEntry("op-7", 2),
  snapshotEntry("op-other", 3),
];

test("the pending-operation banner offers Finish revocation and Roll back", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend({
    pending_operations: () => [pending],
    activity_entries: () => pendingLog,
    list_clusters: () => fx.clusters,
    recover_revoke: () => ({ ...recovered, revokeOperationId: "op-7", supportRequest: undefined }),
  }));
  const banner = page.locator('[data-testid="pending-operation"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /interrupted: Revoke CMEK for payments/);
  assert.match(await banner.textContent(), /revoke\.remove_access/);
  assert.equal(await page.isVisible('[data-testid="pending-finish"]'), true);
  assert.equal(await page.isVisible('[data-testid="pending-rollback"]'), true);
  await page.screenshot({ path: path.join(SHOTS, "pending-banner.png"), fullPage: true });
  // Roll back asks the same confirmation, with the grants of the recovery snapshot in the log.
  await page.click('[data-testid="pending-rollback"]');
  await page.waitForSelector('[data-testid="recover-dialog"]');
  assert.match(await page.textContent("#recover-title"), /Restore access for payments\?/);
  assert.deepEqual(await page.$$eval('[data-testid="recover-grant"]', (li) => li.map((l) => l.textContent.replace(/\s+/g, " ").trim())), [
    `Add ${TC.role} → ${TC.member} on projects/acme-keys/serviceAccounts/${SA}`,
  ]);
  assert.match(await page.textContent('[data-testid="recover-support-note"]'), /REVOKE was not sent/);
  await escapeDialog(page, "recover-dialog");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "pending-rollback", "focus back on the trigger");
  assert.ok(!calls.some((c) => c.cmd === "recover_revoke"), "cancel sends nothing");
  await page.click('[data-testid="pending-rollback"]');
  await page.click('[data-testid="recover-confirm"]');
  await page.waitForSelector('[data-testid="recover-report"]');
  assert.equal(calls.find((c) => c.cmd === "recover_revoke").args.operationId, "op-7");
  assert.ok(!calls.some((c) => c.cmd === "resume_revoke"));
  assert.equal(await page.locator('[data-testid="pending-operation"]').count(), 0, "a rolled-back operation is not offered beside its own result");
  assert.equal(await page.textContent("main h1"), "Revoke CMEK — payments", "the title names the cluster, not its id");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a log that replaced a deleted one says so on start-up, and nothing is turned off", async () => {
  const notice = "The activity log that was here (log 1a2b3c4d, 57 chain records) was deleted or emptied; its records are gone. This log started 2026-12-02T10:00:00Z.";
  const { page, pageErrors } = await openApp(harness, backend({
    pending_operations: () => [pending],
    verify_activity: () => ({ trustworthy: true, authenticated: true, checked: 3, message: `The activity log is intact: 3 entries verified. ${notice}`, notice }),
  }));
  const banner = page.locator('[data-testid="activity-replaced"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /The previous activity log is gone/);
  assert.ok((await banner.textContent()).includes(notice), await banner.textContent());
  assert.equal(await page.locator('[data-testid="activity-untrusted"]').count(), 0);
  assert.equal(await page.isVisible('[data-testid="pending-finish"]'), true, "nothing is refused for it");
  // Dismiss, from the keyboard, hides it for this start only.
  await page.focus('[data-testid="activity-replaced-dismiss"]');
  await page.keyboard.press("Enter");
  await banner.waitFor({ state: "detached" });
  assert.equal(await page.isVisible('[data-testid="pending-finish"]'), true, "the interrupted operation stays");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("Finish revocation resumes the interrupted operation", async () => {
  const { page, calls } = await openApp(harness, backend({
    pending_operations: () => [pending],
    resume_revoke: () => ({ ...report, operationId: "op-7" }),
  }));
  await page.click('[data-testid="pending-finish"]');
  await page.waitForSelector('[data-testid="revoke-report"]');
  assert.equal(calls.find((c) => c.cmd === "resume_revoke").args.operationId, "op-7");
  assert.equal(await page.locator('[data-testid="pending-operation"]').count(), 0, "a finished operation is not offered beside its own result");
  assert.equal(await page.getAttribute('[data-testid="revoke-cmek-status"]', "data-status"), "REVOKED");
  await page.close();
});

test("the Activity screen lists entries with expandable details and exports", async () => {
  // One row per write (Desk::activity_rows): the intent (before) with its outcome (after).
  const rows_ = [
    { entry: { id: 1, at: "2025-01-02T00:00:00Z", actor: "user:officer@example.com", kind: "event", action: "connect", target: "org-1", summary: "Connected to the sandbox", status: "ok" }, state: "ok" },
    { entry: { id: 2, at: "2025-01-02T00:00:01Z", actor: "user:officer@example.com", operationId: "op-1", kind: "intent", action: "revoke.remove_access", target: SA, summary: "Remove 1 grant",
        before: { grants: [TC] }, status: "pending" },
      outcome: { id: 3, at: "2025-01-02T00:00:02Z", actor: "user:officer@example.com", operationId: "op-1", kind: "outcome", action: "revoke.remove_access", target: SA, summary: "1 grant(s) removed",
        after: { grants: [] }, status: "ok", intentId: 2 },
      state: "ok" },
  ];
  const { page, calls } = await openApp(harness, backend({
    activity_rows: () => rows_,
    export_activity: (args) => `/data/exports/cmek-activity-20250102-000003Z.${args.format}`,
  }));
  await openActivity(page);
  const rows = page.locator('[data-testid="activity-row"]');
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.first().getAttribute("data-action"), "revoke.remove_access", "newest first");
  await rows.first().locator('[data-testid="activity-details-toggle"]').click();
  // The details span the table below the row: before and after side by side, readable widths.
  const details = page.locator('[data-testid="activity-details"]');
  assert.match(await details.textContent(), /serviceAccountTokenCreator/);
  const before = await page.locator('[data-testid="activity-before"]').boundingBox();
  const table = await page.locator('[data-testid="activity-table"]').boundingBox();
  assert.ok(before.width > table.width / 3, `before/after column ${before.width}px of a ${table.width}px table`);
  await page.click('[data-testid="export-csv"]');
  assert.match(await page.textContent('[data-testid="export-path"]'), /cmek-activity-20250102-000003Z\.csv/);
  assert.deepEqual(calls.find((c) => c.cmd === "export_activity").args, { format: "csv" });
  await page.click('[data-testid="activity-close"]');
  await page.waitForSelector('[data-testid="target-sandbox"]');
  await page.close();
});

// The key emergency action "disable every enabled version" lists what else the key protects in
// its organisation (KMS Inventory, issue 12), or says why it could not be checked.
const keyPreview = (protectedResources) => ({
  key: KEY, confirmText: "payments",
  versions: [{ name: `${KEY}/cryptoKeyVersions/1`, versionId: "1", state: "ENABLED" }],
  toDisable: [`${KEY}/cryptoKeyVersions/1`], skipped: [], restorable: [],
  guard: { key: KEY, allowed: false, inUseBy: [{ clusterId: ID, clusterName: "payments", region: "us-east1", keyUri: KEY, authPrincipal: SA, status: "ENABLED", current: true }], refusal: "CockroachDB shows this key in use." },
  rotation: { rotationPeriod: "7776000s", nextRotationTime: "2026-01-01T00:00:00Z" },
  ...(protectedResources === undefined ? {} : { protectedResources }),
});
const DATASET = "//bigquery.googleapis.com/projects/acme-data/datasets/payments_ledger";
const BUCKET = "//storage.googleapis.com/projects/_/buckets/acme-exports";
const protectedList = {
  status: "evaluated", organization: "organizations/998877665544",
  resources: [
    { resourceType: "bigquery.googleapis.com/Dataset", name: DATASET, project: "acme-data", location: "us-east1", keyVersions: [`${KEY}/cryptoKeyVersions/1`] },
    { resourceType: "storage.googleapis.com/Bucket", name: BUCKET, project: "acme-data", location: "us-east1", keyVersions: [] },
  ],
};

async function openDisable(page) {
  await toRevokeRoute(page, ID, '[data-testid="review-key"]');
  await page.click('[data-testid="review-key"]');
  await page.waitForSelector('[data-testid="key-disable-all"]:not([disabled])');
  await page.click('[data-testid="key-disable-all"]');
  await page.waitForSelector('[data-testid="key-action-dialog"][open]');
}

test("the disable-all-versions confirmation lists what else the key protects, or why it could not be checked", async () => {
  for (const [value, check] of [
    [protectedList, async (page) => {
      const box = page.locator('[data-testid="key-action-dialog"] [data-testid="protected-resources"]');
      assert.equal(await box.getAttribute("data-status"), "evaluated");
      assert.equal(await box.getAttribute("data-count"), "2");
      assert.match(await box.textContent(), /Also protects 2 other resources\s+in organizations\/998877665544 \(KMS Inventory\): Disabling its versions cuts off their data too\./);
      const items = await page.$$eval('[data-testid="key-action-dialog"] [data-testid="protected-resource"]', (li) => li.map((l) => l.textContent.replace(/\s+/g, " ").trim()));
      assert.deepEqual(items, [
        "BigQuery dataset projects/acme-data/datasets/payments_ledger · project acme-data · us-east1 · version 1",
        "Cloud Storage bucket projects/_/buckets/acme-exports · project acme-data · us-east1",
      ]);
      await page.screenshot({ path: path.join(SHOTS, "key-disable-protected.png"), fullPage: true });
    }],
    [{ status: "notEvaluated", why: "the signed-in identity lacks cloudkms.protectedResources.search on organizations/998877665544 (roles/cloudkms.protectedResourcesViewer grants it)" }, async (page) => {
      const box = page.locator('[data-testid="key-action-dialog"] [data-testid="protected-resources"]');
      assert.equal(await box.getAttribute("data-status"), "notEvaluated");
      assert.match(await box.textContent(), /could not be checked: the signed-in identity lacks cloudkms\.protectedResources\.search on organizations\/998877665544/);
      assert.equal(await page.locator('[data-testid="protected-resource"]').count(), 0);
    }],
    [{ status: "evaluated", organization: "organizations/998877665544", resources: [] }, async (page) => {
      assert.match(await page.textContent('[data-testid="key-action-dialog"] [data-testid="protected-resources"]'), /Protects nothing else in organizations\/998877665544/);
    }],
    [undefined, async (page) => {
      assert.match(await page.textContent('[data-testid="key-action-dialog"] [data-testid="protected-resources"]'), /were not checked/);
    }],
  ]) {
    const { page, calls, pageErrors } = await openApp(harness, backend({ preview_key: () => keyPreview(value) }));
    await openDisable(page);
    await check(page);
    await escapeDialog(page, "key-action-dialog");
    assert.ok(!calls.some((c) => c.cmd === "disable_key_versions"), "nothing disabled without confirming");
    assert.deepEqual(pageErrors, []);
    await page.close();
  }
});
