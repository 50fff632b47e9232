// UI tests of the Audit screen in headless Chromium with mocked Tauri IPC (no backend): the key
// table's filters, search and keyboard navigation, the detail panel's binding levels, the
// access graph as the domain sends it (broken, ok, over-wide edges), Revoke… only on GCP cards, progress with a failed project, Cancel, and export.
// Run: npm run build && node --test ui/tests/audit.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, gate, openApp, SHOTS } from "./harness.mjs";
import { toAuditForm } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const P1 = "keys-prj";
const P2 = "other-prj";
const CLUSTER_ID = "11111111-2222-3333-4444-abcdefabcdef";
const AWS_CLUSTER_ID = "99999999-8888-7777-6666-555555555555";
const CRL = `crl-kms-user-abcdefabcdef@crl-prod-abc.iam.gserviceaccount.com`;
const SA = `crdb@${P1}.iam.gserviceaccount.com`;
const RING = `projects/${P1}/locations/us-east1/keyRings/crdb`;
const GOOD = `${RING}/cryptoKeys/k-good`;
const BAD = `${RING}/cryptoKeys/k-bad`;
const EU = `projects/${P2}/locations/europe-west1/keyRings/eu/cryptoKeys/k-eu`;
const ENC = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const sources = { cis: ["CIS GCP 1.10"], prowler: ["kms_key_rotation_enabled"], scoutsuite: [], scc: ["KMS_ROTATION_PERIOD"], other: [] };

const version = (key, id, state, extra = {}) => ({
  name: `${key}/cryptoKeyVersions/${id}`, id: String(id), state, protectionLevel: "SOFTWARE", algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION",
  createTime: "2025-01-01T00:00:00Z", generateTime: null, destroyTime: null, destroyEventTime: null, isPrimary: false, ...extra,
});
const key = (name, project, location, extra = {}) => ({
  name, project, location, keyRing: name.split("/")[5], keyId: name.split("/").pop(), purpose: "ENCRYPT_DECRYPT", protectionLevel: "SOFTWARE",
  algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", createTime: "2025-01-01T00:00:00Z", rotationPeriod: "7776000s", rotationPeriodSeconds: 7776000,
  nextRotationTime: null, destroyScheduledDuration: null, destroyScheduledDurationSeconds: null, importOnly: false, labels: {},
  primaryId: "1", primaryState: "ENABLED", versions: [version(name, 1, "ENABLED", { isPrimary: true })], effectiveBindings: [], usedBy: [], ...extra,
});
const node = (id, kind, label, health, note) => ({ id, kind, label, health, note });
const edge = (from, to, label, role, level, sub, health, why) => ({ from, to, label, role, level, sub, health, why });
const finding = (checkId, severity, resource, project, message, extra = {}) => ({
  checkId, title: `Title of ${checkId}`, severity, status: "FAIL", resource, project, message, evidence: [], remediation: `Fix ${checkId}.`, sources, ...extra,
});
const goodKey = key(GOOD, P1, "us-east1", {
  versions: [
    version(GOOD, 1, "DESTROY_SCHEDULED", { destroyTime: "2025-12-31T00:00:00Z" }),
    version(GOOD, 2, "ENABLED", { isPrimary: true, createTime: "2025-03-01T00:00:00Z" }),
  ],
  effectiveBindings: [
    { role: ENC, member: `serviceAccount:${SA}`, level: "key", resource: GOOD, condition: null },
    { role: "roles/cloudkms.viewer", member: "group:auditors@example.com", level: "keyRing", resource: RING, condition: null },
    { role: "roles/cloudkms.admin", member: "user:ops@example.com", level: "project", resource: `projects/${P1}`, condition: { expression: "request.time < timestamp('2026-01-01T00:00:00Z')", title: "temporary" } },
  ],
  usedBy: [{ clusterId: CLUSTER_ID, clusterName: "payments", region: "us-east1", current: true, status: "ENABLED", authPrincipal: SA, createdAt: "2025-01-01T00:00:00Z" }],
});
const report = {
  schemaVersion: 2, scanTime: "2025-06-01T00:00:00Z", identity: "user:officer@example.com", appVersion: "0.1.0", cancelled: false, durationMs: 1200,
  // AWS was not in this scan: the AWS cluster's card says "not audited", never "OK".
  cloudsAudited: ["GCP"],
  summary: { critical: 3, high: 0, medium: 2, low: 0, info: 0, failed: 5, notEvaluated: 0 },
  projects: [
    { projectId: P1, locations: ["us-east1"], keyRings: [{ name: RING, location: "us-east1", createTime: null, keys: 2 }], keys: [goodKey, key(BAD, P1, "us-east1", { primaryState: "DESTROY_SCHEDULED" })], bindings: [], error: null, kmsCalls: 9 },
    { projectId: P2, locations: ["europe-west1"], keyRings: [], keys: [key(EU, P2, "europe-west1", { rotationPeriod: null, rotationPeriodSeconds: null, usedBy: [{ clusterId: "00000000-0000-4000-8000-0000000000ee", clusterName: "ledger", region: "europe-west1", current: false, status: "ENABLED", authPrincipal: SA, createdAt: "2024-01-01T00:00:00Z" }] })], bindings: [], error: { code: "PERMISSION_DENIED", message: "Permission cloudkms.keyRings.list denied on other-prj" }, kmsCalls: 3 },
  ],
  serviceAccounts: [{ email: SA, project: P1, exists: true, disabled: false, bindings: [], projectBindings: [], error: null }],
  clusters: [{
    id: CLUSTER_ID, name: "payments", cloudProvider: "GCP", accountId: "crl-prod-abc", plan: "ADVANCED", regions: ["us-east1"], error: null,
    cmek: { status: "ENABLED", region_infos: [{ region: "us-east1", status: "ENABLED", key_infos: [{ spec: { type: "GCP_CLOUD_KMS", uri: GOOD, auth_principal: SA }, status: "ENABLED", user_message: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" }] }] },
  }, {
    id: AWS_CLUSTER_ID, name: "aws-orders", cloudProvider: "AWS", accountId: "crl-aws", plan: "ADVANCED", regions: ["us-east-1"], error: null,
    cmek: { status: "ENABLED", region_infos: [{ region: "us-east-1", status: "ENABLED", key_infos: [{ spec: { type: "AWS_KMS", uri: "arn:aws:kms:us-east-1:123456789012:key/k", auth_principal: "arn:aws:iam::123456789012:role/crdb" }, status: "ENABLED", user_message: "", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" }] }] },
  }],
  cockroachError: null,
  drift: [{
    id: "drift-1", kind: "extra", level: "key", resource: GOOD, project: P1, confirmText: "k-good",
    role: "roles/cloudkms.admin", member: "user:colleague@example.com", usedBy: [], expected: [],
    message: "user:colleague@example.com holds roles/cloudkms.admin on a key CockroachDB uses.",
  }],
  // As cmek_audit::graph computes it for this report (C04 Critical: the impersonation edge is
  // broken; A15 on the project: the project edge is over-wide); nothing to draw for AWS.
  accessGraphs: [
    {
      clusterId: CLUSTER_ID,
      nodes: [
        node(`p:${CRL}`, "principal", CRL, "ok", "CockroachDB identity of payments"),
        node(`sa:${SA}`, "serviceAccount", SA, "ok", ""),
        node(`k:${GOOD}`, "key", "k-good", "ok", GOOD),
        node(`r:${RING}`, "keyRing", "crdb (us-east1)", "ok", RING),
        node(`pr:${P1}`, "project", P1, "over-wide", ""),
      ],
      edges: [
        edge(`p:${CRL}`, `sa:${SA}`, "Token Creator", "roles/iam.serviceAccountTokenCreator", null, "missing", "broken", `${CRL} cannot impersonate ${SA}: payments cannot use its key.`),
        edge(`sa:${SA}`, `k:${GOOD}`, "Encrypt/Decrypt", ENC, "key", "on key", "ok", `${ENC} at key level`),
        edge(`k:${GOOD}`, `r:${RING}`, "in key ring", null, null, "", "ok", ""),
        edge(`r:${RING}`, `pr:${P1}`, "in project", null, null, "wide grants", "over-wide", "Token Creator granted project-wide."),
      ],
    },
    { clusterId: AWS_CLUSTER_ID, nodes: [], edges: [] },
  ],
  checks: [
    { id: "A03", title: "Rotation configured", severity: "MEDIUM", condition: "FAIL if rotationPeriod is unset.", sources, remediation: "Set a rotation period." },
    { id: "A09", title: "Key not scheduled for destruction", severity: "CRITICAL", condition: "FAIL if a version is DESTROY_SCHEDULED.", sources, remediation: "Restore it." },
    { id: "C04", title: "CockroachDB identity can impersonate the service account", severity: "CRITICAL", condition: "FAIL (Critical) if no Token Creator.", sources, remediation: "Grant it." },
  ],
  findings: [
    finding("A09", "CRITICAL", BAD, P1, "k-bad is scheduled for destruction.", { evidence: [{ field: "state", value: "DESTROY_SCHEDULED" }] }),
    finding("A09", "CRITICAL", GOOD, P1, "Version 1 of k-good is scheduled for destruction.", { evidence: [{ field: "destroyTime", value: "2025-12-31T00:00:00Z" }] }),
    finding("A03", "MEDIUM", EU, P2, "k-eu has no rotation."),
    finding("A15", "MEDIUM", `projects/${P1}`, P1, "Token Creator granted project-wide."),
    finding("C04", "CRITICAL", SA, P1, `${CRL} cannot impersonate ${SA}: payments cannot use its key.`, { evidence: [{ field: "expected member", value: `serviceAccount:${CRL}` }] }),
  ],
};
const connection = { ...fx.connection, projects: [P1, P2] };

const backend = fx.mockBackend({
  ...fx.sandbox,
  pending_operations: [],
  connect_sandbox: connection,
  start_audit: report,
  cancel_audit: null,
  export_audit: (args) => `/tmp/exports/cmek-audit.${args.format}`,
});

/** Connect → Audit → pick both projects → Start scan. */
async function openAudit(page, { wait = true } = {}) {
  await toAuditForm(page);
  await page.check(`[data-testid="audit-project-${P1}"]`);
  await page.check(`[data-testid="audit-project-${P2}"]`);
  await page.click('[data-testid="audit-start"]');
  if (wait) await page.waitForSelector('[data-testid="audit-results"]');
}
const rowKeys = (page) => page.$$eval('[data-testid="key-row"]', (rows) => rows.map((r) => r.dataset.key.split("/").pop()));

test("filters and search narrow the key table; the keyboard moves between rows and opens a key", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend());
  await openAudit(page);
  const start = calls.find((c) => c.cmd === "start_audit");
  assert.deepEqual(start.args.options.projects, [P1, P2]);
  assert.match(start.args.onEvent, /^__CHANNEL__:/);
  assert.deepEqual(await rowKeys(page), ["k-good", "k-bad", "k-eu"]);

  await page.selectOption('[data-testid="filter-project"]', P2);
  assert.deepEqual(await rowKeys(page), ["k-eu"]);
  await page.selectOption('[data-testid="filter-project"]', "");
  await page.selectOption('[data-testid="filter-location"]', "us-east1");
  assert.deepEqual(await rowKeys(page), ["k-good", "k-bad"]);
  await page.selectOption('[data-testid="filter-severity"]', "CRITICAL");
  assert.deepEqual(await rowKeys(page), ["k-good", "k-bad"]);
  await page.selectOption('[data-testid="filter-used-by"]', "no");
  assert.deepEqual(await rowKeys(page), ["k-bad"]);
  await page.selectOption('[data-testid="filter-used-by"]', "yes");
  assert.deepEqual(await rowKeys(page), ["k-good"]);
  await page.selectOption('[data-testid="filter-used-by"]', "");
  await page.selectOption('[data-testid="filter-location"]', "");
  await page.selectOption('[data-testid="filter-severity"]', "MEDIUM");
  assert.deepEqual(await rowKeys(page), ["k-eu"]);
  await page.selectOption('[data-testid="filter-severity"]', "");
  await page.fill('[data-testid="filter-search"]', "bad");
  assert.deepEqual(await rowKeys(page), ["k-bad"]);
  await page.fill('[data-testid="filter-search"]', "payments");
  assert.deepEqual(await rowKeys(page), ["k-good"], "search matches the cluster using the key");
  await page.fill('[data-testid="filter-search"]', "nothing-like-this");
  assert.deepEqual(await rowKeys(page), []);
  await page.waitForSelector('[data-testid="key-table-empty"]');
  await page.fill('[data-testid="filter-search"]', "");
  assert.equal((await rowKeys(page)).length, 3);
  assert.equal(await page.getAttribute(`[data-testid="key-row"][data-key="${BAD}"]`, "data-severity"), "CRITICAL");

  // Keyboard: one tab stop, arrows move, Enter opens the detail panel.
  await page.focus('[data-testid="key-row"][tabindex="0"]');
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), BAD);
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), EU);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${EU}"]`);
  assert.deepEqual(pageErrors, []);
});

test("progress shows counts per project, a failed project keeps its error on its row", async () => {
  const { page, pageErrors } = await openApp(harness, backend({
    start_audit: async (args, ipc) => {
      await ipc.send(args.onEvent, { event: "started", projects: [P1, P2] });
      await ipc.send(args.onEvent, { event: "projectProgress", project: P1, keyRings: 1, keys: 2, versions: 3, policies: 4, kmsCalls: 9 });
      await ipc.send(args.onEvent, { event: "projectFinished", project: P2, keys: 1, error: report.projects[1].error });
      await ipc.send(args.onEvent, { event: "projectFinished", project: P1, keys: 2, error: null });
      await ipc.send(args.onEvent, { event: "clustersRead", clusters: 1, error: null });
      await ipc.send(args.onEvent, { event: "finished", findings: 4, cancelled: false });
      return report;
    },
  }));
  await openAudit(page);
  const cells = await page.$$eval(`[data-testid="progress-${P1}"] td`, (tds) => tds.map((t) => t.textContent.trim()));
  assert.deepEqual(cells.slice(0, 5), ["1", "2", "3", "4", "9"]);
  assert.equal(await page.getAttribute(`[data-testid="progress-${P2}"]`, "data-state"), "failed");
  assert.match(await page.textContent(`[data-testid="progress-${P2}"] [data-testid="progress-error"]`), /cloudkms.keyRings.list denied/);
  const bar = await page.$('[data-testid="audit-progress-bar"]');
  assert.equal(await bar.evaluate((b) => [b.value, b.max].join("/")), "3/3");
  assert.ok(await bar.getAttribute("aria-valuetext"));
  // The failed project's partial rows are still in the table.
  assert.ok((await rowKeys(page)).includes("k-eu"));
  assert.deepEqual(pageErrors, []);
});

test("the detail panel shows each binding's level, conditions, the version timeline and findings with sources", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await openAudit(page);
  await page.click(`[data-testid="key-row"][data-key="${GOOD}"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${GOOD}"]`);
  const levels = await page.$$eval('[data-testid="binding-row"]', (rows) => rows.map((r) => [r.dataset.level, r.querySelector('[data-testid="binding-level"]').textContent.trim()]));
  assert.deepEqual(levels, [["key", "key"], ["keyRing", "key ring"], ["project", "project"]]);
  assert.match(await page.textContent('[data-testid="key-bindings"]'), /request\.time < timestamp/);
  const states = await page.$$eval('[data-testid="timeline-version"]', (g) => g.map((x) => x.dataset.state));
  assert.deepEqual(states, ["DESTROY_SCHEDULED", "ENABLED"]);
  const f = await page.textContent('[data-testid="key-finding"][data-check-id="A09"]');
  assert.match(f, /CRITICAL/);
  assert.match(f, /FAIL if a version is DESTROY_SCHEDULED/, "the check's condition");
  assert.match(f, /destroyTime/, "evidence");
  assert.match(f, /Fix A09/, "remediation");
  assert.match(f, /CIS GCP 1\.10/);
  assert.match(f, /KMS_ROTATION_PERIOD/, "SCC source id");
  await page.screenshot({ path: path.join(SHOTS, "audit-detail.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("a key CockroachDB used before a rotation is marked still needed to decrypt", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await openAudit(page);
  assert.equal(await page.locator(`[data-testid="key-row"][data-key="${EU}"] [data-testid="still-needed"]`).count(), 1);
  assert.equal(await page.locator(`[data-testid="key-row"][data-key="${GOOD}"] [data-testid="still-needed"]`).count(), 0);
  await page.click(`[data-testid="key-row"][data-key="${EU}"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${EU}"]`);
  assert.match(await page.textContent('[data-testid="key-still-needed"]'), /do not disable, destroy or revoke it/);
  assert.deepEqual(pageErrors, []);
});

test("a drift finding is fixed only after its confirmation is typed, by its id", async () => {
  const { page, calls, pageErrors } = await openApp(
    harness,
    backend({
      async remediate_drift() {
        return { operationId: "op-1", fix: {}, changed: true, before: {}, after: {}, verified: true };
      },
    }),
  );
  await openAudit(page);
  await page.click('[data-testid="drift-row"][data-id="drift-1"] [data-testid="drift-fix"]');
  await page.waitForSelector('[data-testid="drift-dialog"]');
  assert.equal(await page.isDisabled('[data-testid="drift-confirm"]'), true);
  await page.fill('[data-testid="drift-confirm-input"]', "k-goo");
  assert.equal(await page.isDisabled('[data-testid="drift-confirm"]'), true);
  await page.fill('[data-testid="drift-confirm-input"]', "k-good");
  await page.click('[data-testid="drift-confirm"]');
  await page.waitForSelector('[data-testid="drift-fixed"]');
  const call = calls.find((c) => c.cmd === "remediate_drift");
  assert.deepEqual(call.args.request, { findingId: "drift-1", confirm: "k-good" });
  assert.deepEqual(pageErrors, []);
});

test("the access graph draws the domain's chain: broken edge red, ok green, over-wide amber; only a GCP card links to Revoke", async () => {
  const { page, pageErrors } = await openApp(harness, backend({ preview_revoke: fx.rejects({ code: "INTERNAL", message: "not in this test" }) }));
  await openAudit(page);
  const card = '[data-testid="cluster-card"][data-cluster="payments"]';
  await page.waitForSelector(`${card} [data-testid="access-graph"]`);
  const edges = await page.$$eval(`${card} [data-testid="graph-edge"]`, (gs) => gs.map((g) => ({ from: g.dataset.from, to: g.dataset.to, health: g.dataset.health, stroke: getComputedStyle(g.querySelector("line")).stroke })));
  const kinds = await page.$$eval(`${card} [data-testid="graph-node"]`, (gs) => gs.map((g) => g.dataset.kind));
  assert.deepEqual(kinds, ["principal", "serviceAccount", "key", "keyRing", "project"]);
  const broken = edges.find((e) => e.from === CRL && e.to === SA);
  assert.equal(broken.health, "broken");
  assert.equal(broken.stroke, "rgb(192, 38, 45)", "red");
  const toKey = edges.find((e) => e.from === SA);
  assert.equal(toKey.health, "ok");
  assert.equal(toKey.stroke, "rgb(29, 122, 58)", "green");
  const wide = edges.find((e) => e.to === P1);
  assert.equal(wide.health, "over-wide");
  assert.equal(wide.stroke, "rgb(184, 110, 0)", "amber");
  assert.equal(await page.getAttribute(`${card} [data-testid="audit-revoke"]`, "href"), `#revoke/${CLUSTER_ID}`);
  // The Revoke flow is for Google Cloud: no link on another provider's cluster.
  const aws = '[data-testid="cluster-card"][data-cluster="aws-orders"]';
  await page.waitForSelector(aws);
  assert.equal(await page.$(`${aws} [data-testid="audit-revoke"]`), null, "no Revoke… on an AWS cluster");
  assert.ok(await page.$(`${aws} [data-testid="graph-empty"]`), "nothing to draw for an AWS key");
  assert.equal(await page.textContent(`${aws} [data-testid="cluster-not-audited"]`), "not audited", "AWS was not in the scan");
  assert.equal(await page.$(`${aws} [data-testid="severity-badge"]`), null, "never OK for a cloud not audited");
  assert.ok(await page.$(`${card} [data-testid="severity-badge"]`), "the GCP cluster was audited");
  await page.screenshot({ path: path.join(SHOTS, "audit-graph.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("Cancel sends cancel_audit; the partial report is shown as cancelled; export writes the chosen format", async () => {
  const { promise: released, release } = gate();
  const { page, calls, pageErrors } = await openApp(harness, backend({
    start_audit: async (args, ipc) => {
      await ipc.send(args.onEvent, { event: "started", projects: [P1, P2] });
      await released;
      return { ...report, cancelled: true };
    },
    cancel_audit: () => {
      release();
      return null;
    },
  }));
  await openAudit(page, { wait: false });
  assert.equal(await page.getAttribute('[data-testid="audit-progress"]', "data-running"), "true");
  await page.click('[data-testid="audit-cancel"]');
  await page.waitForSelector('[data-testid="audit-results"][data-cancelled="true"]');
  assert.ok(calls.some((c) => c.cmd === "cancel_audit"), "cancel_audit was sent");
  assert.match(await page.textContent('[data-testid="audit-progress"]'), /Cancelled/);

  await page.click('[data-testid="audit-export-html"]');
  await page.waitForSelector('[data-testid="audit-export-path"][data-format="html"]');
  assert.deepEqual(calls.find((c) => c.cmd === "export_audit").args, { format: "html" });
  assert.match(await page.textContent('[data-testid="audit-export-path"]'), /cmek-audit\.html/);
  assert.deepEqual(pageErrors, []);
});

test("the header's scan time and the rotation are readable (exact values in tooltips); a project without the KMS API is info, not an error", async () => {
  const P3 = "cmek-fresh-project";
  const raw = "Cloud Key Management Service (KMS) API has not been used in project cmek-fresh-project before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/cloudkms.googleapis.com/overview?project=cmek-fresh-project then retry.";
  const odd = `${RING}/cryptoKeys/k-odd`;
  const r = {
    ...report,
    scanTime: "2026-11-30T09:21:09.604453436Z",
    projects: [
      { ...report.projects[0], keys: [...report.projects[0].keys, key(odd, P1, "us-east1", { rotationPeriod: "7776001s", rotationPeriodSeconds: 7776001 })] },
      report.projects[1],
      { projectId: P3, locations: [], keyRings: [], keys: [], bindings: [], error: { code: "SERVICE_DISABLED", message: raw }, kmsCalls: 1 },
    ],
  };
  const { page, pageErrors } = await openApp(harness, backend({
    connect_sandbox: () => ({ ...connection, projects: [P1, P2, P3] }),
    start_audit: async (args, ipc) => {
      await ipc.send(args.onEvent, { event: "started", projects: [P1, P2, P3] });
      await ipc.send(args.onEvent, { event: "projectFinished", project: P3, keys: 0, error: r.projects[2].error });
      return r;
    },
  }));
  await toAuditForm(page);
  await page.click('[data-testid="audit-select-all"]');
  await page.click('[data-testid="audit-start"]');
  await page.waitForSelector('[data-testid="audit-results"]');

  // Header: "YYYY-MM-DD HH:MM:SS UTC", the exact value in the tooltip.
  const scanned = page.locator('[data-testid="audit-scanned"] time');
  assert.equal(await scanned.textContent(), "2026-11-30 09:21:09 UTC");
  assert.equal(await scanned.getAttribute("title"), "2026-11-30T09:21:09.604453436Z");
  assert.doesNotMatch(await page.textContent('[data-testid="audit-scanned"]'), /T09:21:09\.6/);

  // Rotation in days; not whole days as "90 d 1 s"; exact seconds in the tooltip.
  const rot = (k) => page.locator(`[data-testid="key-row"][data-key="${k}"] [data-testid="key-rotation"]`);
  assert.equal(await rot(GOOD).textContent(), "90 days");
  assert.equal(await rot(GOOD).getAttribute("title"), "7776000 seconds");
  assert.equal(await rot(odd).textContent(), "90 d 1 s");
  assert.equal(await rot(odd).getAttribute("title"), "7776001 seconds");
  assert.equal(await rot(EU).textContent(), "none");

  // SERVICE_DISABLED: an info line, Google's text only inside the details element.
  const row = `[data-testid="progress-${P3}"]`;
  assert.equal(await page.textContent(`${row} [data-testid="progress-info"]`), "Cloud KMS API is disabled in this project — it holds no keys to audit");
  assert.equal(await page.locator(`${row} [data-testid="progress-error"]`).count(), 0, "not shown as an error");
  assert.equal(await page.locator(`${row} .badge-bad`).count(), 0);
  assert.equal(await page.isVisible(`${row} [data-testid="progress-raw"]`), true);
  assert.equal(await page.locator(`${row} [data-testid="progress-raw"]`).evaluate((d) => d.open), false, "collapsed");
  assert.match(await page.textContent(`${row} [data-testid="progress-raw"]`), /has not been used in project/);
  // A real failure is still an error.
  assert.match(await page.textContent(`[data-testid="progress-${P2}"] [data-testid="progress-error"]`), /denied/);
  await page.screenshot({ path: path.join(SHOTS, "audit-formats.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("clicking anywhere on a key row opens its detail panel, also when another key is open", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await openAudit(page);
  await page.click(`[data-testid="key-row"][data-key="${BAD}"] td:nth-child(3)`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${BAD}"]`);
  // Another row, on the nested key-ring line and on the severity badge.
  await page.click(`[data-testid="key-row"][data-key="${GOOD}"] td:first-child .small`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${GOOD}"]`);
  await page.click(`[data-testid="key-row"][data-key="${EU}"] [data-testid="severity-badge"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${EU}"]`);
  assert.equal(await page.getAttribute(`[data-testid="key-row"][data-key="${EU}"]`, "aria-selected"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "key-detail-title", "focus moves to the panel");
  assert.deepEqual(pageErrors, []);
});

test("the scope picker scans an organization and the results say which inventory path read it", async () => {
  const orgReport = { ...report, inventoryPath: { used: false, reason: "the signed-in identity lacks cloudasset.assets.searchAllResources on organizations/123456789012", assetCalls: 0 } };
  const { page, calls, pageErrors } = await openApp(harness, backend({ start_audit: () => orgReport }));
  await toAuditForm(page);
  await page.selectOption('[data-testid="audit-scope-kind"]', "organization");
  assert.equal(await page.$('[data-testid="audit-projects"]'), null, "the project list gives way to the organization id");
  await page.fill('[data-testid="audit-scope-id"]', "my-org");
  assert.ok(await page.isDisabled('[data-testid="audit-start"]'), "a name is not an organization id");
  assert.match(await page.textContent("#scope-id-rule"), /digits only/);
  await page.fill('[data-testid="audit-scope-id"]', "123456789012");
  await page.click('[data-testid="audit-start"]');
  await page.waitForSelector('[data-testid="audit-results"]');
  const start = calls.find((c) => c.cmd === "start_audit");
  assert.deepEqual(start.args.options.scope, { kind: "organization", id: "123456789012" });
  assert.deepEqual(start.args.options.projects, []);
  assert.equal(start.args.options.inventory, "auto");
  const line = await page.textContent('[data-testid="audit-inventory-path"]');
  assert.match(line, /inventory path: not available because the signed-in identity lacks cloudasset\.assets\.searchAllResources/);
  await page.screenshot({ path: path.join(SHOTS, "audit-organization-scope.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test("the key detail shows what else a CockroachDB key protects (KMS Inventory), or why it was not evaluated; other keys say nothing", async () => {
  const DATASET = "//bigquery.googleapis.com/projects/other-prj/datasets/payments_ledger";
  const withProtected = (protectedResources, eu) => ({
    ...report,
    projects: [
      { ...report.projects[0], keys: [{ ...goodKey, protectedResources }, report.projects[0].keys[1]] },
      { ...report.projects[1], keys: [{ ...report.projects[1].keys[0], protectedResources: eu }] },
    ],
  });
  const list = {
    status: "evaluated", organization: "organizations/1234",
    resources: [{ resourceType: "bigquery.googleapis.com/Dataset", name: DATASET, project: P2, location: "us-east1", keyVersions: [`${GOOD}/cryptoKeyVersions/2`] }],
  };
  const why = "the signed-in identity lacks cloudkms.protectedResources.search on organizations/1234 (roles/cloudkms.protectedResourcesViewer grants it)";
  const { page, pageErrors } = await openApp(harness, backend({ start_audit: () => withProtected(list, { status: "notEvaluated", why }) }));
  await openAudit(page);
  await page.click(`[data-testid="key-row"][data-key="${GOOD}"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${GOOD}"]`);
  const box = page.locator('[data-testid="key-detail"] [data-testid="protected-resources"]');
  assert.equal(await box.getAttribute("data-status"), "evaluated");
  assert.match(await box.textContent(), /Also protects 1 other resource\s+in organizations\/1234 \(KMS Inventory\)\./);
  assert.deepEqual(
    await page.$$eval('[data-testid="key-detail"] [data-testid="protected-resource"]', (li) => li.map((l) => l.textContent.replace(/\s+/g, " ").trim())),
    [`BigQuery dataset projects/other-prj/datasets/payments_ledger · project ${P2} · us-east1 · version 2`],
  );
  await page.screenshot({ path: path.join(SHOTS, "audit-key-protected.png"), fullPage: true });
  await page.click(`[data-testid="key-row"][data-key="${EU}"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${EU}"]`);
  assert.equal(await box.getAttribute("data-status"), "notEvaluated");
  assert.equal(await page.textContent('[data-testid="key-detail"] [data-testid="protected-why"]'), why);
  // A key no cluster uses was not searched: no section at all.
  await page.click(`[data-testid="key-row"][data-key="${BAD}"]`);
  await page.waitForSelector(`[data-testid="key-detail"][data-key="${BAD}"]`);
  assert.equal(await box.count(), 0);
  assert.deepEqual(pageErrors, []);
  await page.close();
});
