// UI tests of navigation (issue 11) in headless Chromium with mocked Tauri IPC: cluster search
// and filters, the cluster page and its actions (keyboard too), the window title, Disconnect,
// the theme (OS and manual, persisted), a Stop reported as Stopped with focus on the end of
// Apply, dialogs opening at their top, copy buttons, the Result's key facts, closing the audit
// after a failed Apply, the key-file picker, About, and readable activity details.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, gate, openApp, SHOTS } from "./harness.mjs";
import { toClusters, requestPlan, confirmApply, openRevokeFromClusterPage, confirmRevoke } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const allow = (action, status = "ENABLED") => ({ action, allowed: true, status });
const refuse = (action, reason, status = "ENABLED") => ({ action, allowed: false, status, reason, whatToDo: "Do this instead." });

// Audit-style clusters sort before the demo ones by name; the list must not bury the demo ones.
// fx.cluster's ids depend on name length and region count only: give these their own.
let nextId = 100;
const uniq = (name, regions, extra = {}) => fx.cluster(name, regions, { id: `00000000-0000-4000-8000-000000000${nextId++}`, ...extra });
const audit = (name, regions, status = "ENABLED") => ({
  cluster: uniq(name, regions),
  cmekStatus: status,
  actions: [refuse("setup", "CMEK is already on."), allow("rotate"), allow("addRegion"), allow("revoke")],
});
const ledger = uniq("global-ledger", ["us-east1", "europe-west4"]);
const awsCluster = uniq("aws-analytics", ["us-east-1"], { cloud_provider: "AWS", account_id: "810912345678" });
const enabledPayments = {
  cluster: uniq("prod-payments", ["us-east4"]),
  cmekStatus: "ENABLED",
  actions: [refuse("setup", "CMEK is already on."), allow("rotate"), refuse("addRegion", "Every region already has a key."), allow("revoke")],
};
const LIST = [
  audit("audit-clean", ["us-east1"]),
  audit("audit-destroy", ["europe-west1"]),
  audit("audit-failed", ["us-central1"], "REVOKED"),
  { cluster: ledger, cmekStatus: "DISABLED", actions: [allow("setup", "DISABLED"), refuse("rotate", "CMEK is not enabled.", "DISABLED"), refuse("revoke", "CMEK is not enabled.", "DISABLED")] },
  { cluster: awsCluster, cmekStatus: "DISABLED", actions: [allow("setup", "DISABLED")] },
  enabledPayments,
  { cluster: fx.basic, cmekStatus: "DISABLED", ineligibleReason: "its plan is BASIC (CMEK needs ADVANCED)", actions: [] },
];

const backend = fx.mockBackend({
  ...fx.sandbox,
  pending_operations: [],
  list_clusters: LIST,
  suggest_setup: (args) => fx.suggestion(LIST.find((c) => c.cluster.id === args.clusterId)?.cluster ?? fx.single),
  plan_setup: (args) => fx.plan(args.request),
  cmek_status: () => fx.applyResult().cmek,
  disconnect: null,
  "plugin:window|set_title": null,
  "plugin:app|version": "0.1.0",
});
const names = (page) => page.locator('[data-testid="cluster-table"] tbody [data-testid="cluster-name"]').allTextContents();

test("search and filters narrow the cluster list; clusters ready to set up come first", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await toClusters(page);
  // Ready to set up first (by name), then CMEK clusters, then ineligible ones.
  assert.deepEqual(await names(page), ["aws-analytics", "global-ledger", "audit-clean", "audit-destroy", "audit-failed", "prod-payments", "sandbox-basic"]);
  assert.match(await page.textContent('[data-testid="cluster-count"]'), /^7 clusters$/);

  await page.fill('[data-testid="cluster-search"]', "LEDGER");
  assert.deepEqual(await names(page), ["global-ledger"]);
  assert.match(await page.textContent('[data-testid="cluster-count"]'), /1 of 7 clusters/);
  // Words match the name, the id or a region, all of them.
  await page.fill('[data-testid="cluster-search"]', "audit europe");
  assert.deepEqual(await names(page), ["audit-destroy"]);
  await page.fill('[data-testid="cluster-search"]', "nothing-like-this");
  assert.equal(await page.isVisible('[data-testid="no-match"]'), true);
  await page.click('[data-testid="clear-filters"]');
  assert.equal((await names(page)).length, 7);

  // The menus offer the values present.
  assert.deepEqual(await page.locator('[data-testid="filter-cloud"] option').allTextContents(), ["Any", "AWS", "GCP"]);
  await page.selectOption('[data-testid="filter-cloud"]', "AWS");
  assert.deepEqual(await names(page), ["aws-analytics"]);
  await page.selectOption('[data-testid="filter-cloud"]', "");
  await page.selectOption('[data-testid="filter-cmek"]', "REVOKED");
  assert.deepEqual(await names(page), ["audit-failed"]);
  await page.selectOption('[data-testid="filter-cmek"]', "ENABLED");
  await page.selectOption('[data-testid="filter-region"]', "us-east4");
  assert.deepEqual(await names(page), ["prod-payments"]);
  await page.screenshot({ path: path.join(SHOTS, "nav-filters.png"), fullPage: true });

  // The filters survive a visit to a cluster page.
  await page.click('[data-testid="open-cluster-prod-payments"]');
  await page.click('[data-testid="cluster-page-back"]');
  await page.waitForSelector('[data-testid="cluster-table"]');
  assert.deepEqual(await names(page), ["prod-payments"]);
  assert.equal(await page.inputValue('[data-testid="filter-region"]'), "us-east4");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the cluster page, opened with the keyboard, offers what the state machine allows and says why not", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend({
    preview_revoke: fx.rejects({ code: "UNAVAILABLE", message: "preview not needed here" }),
  }));
  await toClusters(page);
  await page.fill('[data-testid="cluster-search"]', "prod-payments");
  // The cluster's name is a link: focused, Enter opens its page.
  await page.focus('[data-testid="open-cluster-prod-payments"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-testid="cluster-page"]');
  assert.equal(await page.textContent('[data-testid="cluster-page-title"]'), "prod-payments");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus moves to the page's heading");
  assert.equal(await page.getAttribute('[data-testid="cluster-page-status"]', "data-status"), "ENABLED");
  // An enabled cluster can be revoked from its page (not only through the audit).
  assert.equal(await page.getAttribute('[data-testid="cluster-action-revoke"]', "data-allowed"), "true");
  assert.equal(await page.isDisabled('[data-testid="page-revoke"]'), false);
  assert.equal(await page.isDisabled('[data-testid="page-rotate"]'), false);
  assert.equal(await page.isDisabled('[data-testid="page-addRegion"]'), true);
  assert.match(await page.textContent('[data-testid="why-not-addRegion"]'), /Every region already has a key\. Do this instead\./);
  assert.equal(await page.isDisabled('[data-testid="page-setup"]'), true);
  assert.match(await page.textContent('[data-testid="why-not-setup"]'), /CMEK is already on/);
  await page.screenshot({ path: path.join(SHOTS, "nav-cluster-page.png"), fullPage: true });

  // Window title: connection and place.
  const title = "CMEK Desk — sandbox — prod-payments";
  await page.waitForFunction((t) => document.title === t, title);
  assert.ok(calls.some((c) => c.cmd === "plugin:window|set_title" && c.args.value === title), JSON.stringify(calls.filter((c) => c.cmd.startsWith("plugin:window"))));

  // Revoke opens the Revoke screen for this cluster.
  await page.click('[data-testid="page-revoke"]');
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.deepEqual(calls.find((c) => c.cmd === "preview_revoke").args, { clusterId: enabledPayments.cluster.id });
  assert.match(await page.textContent("main h1"), /^Revoke CMEK/);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("audit from the cluster page returns there; a REVOKED cluster cannot be revoked again, with the reason", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  await toClusters(page);
  await page.click('[data-testid="open-cluster-audit-failed"]');
  await page.waitForSelector('[data-testid="cluster-page"]');
  await page.click('[data-testid="page-audit"]');
  await page.waitForSelector('[data-testid="audit-close"]');
  await page.click('[data-testid="audit-close"]');
  await page.waitForSelector('[data-testid="cluster-page"]');
  assert.equal(await page.textContent('[data-testid="cluster-page-title"]'), "audit-failed");
  // Set up from the page goes to the plan, Back returns to the page.
  await page.click('[data-testid="cluster-page-back"]');
  await page.click('[data-testid="open-cluster-global-ledger"]');
  assert.equal(await page.isDisabled('[data-testid="page-revoke"]'), true);
  assert.match(await page.textContent('[data-testid="why-not-revoke"]'), /CMEK is not enabled/);
  await page.click('[data-testid="page-setup"]');
  await page.waitForSelector('[data-testid="review-plan"]');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("Disconnect forgets the connection and returns to Connect; connecting again works", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend());
  await toClusters(page);
  await page.waitForFunction(() => document.title === "CMEK Desk — sandbox — Clusters");
  await page.click('[data-testid="disconnect"]');
  await page.waitForSelector('[data-testid="connect-sandbox"]');
  assert.ok(calls.some((c) => c.cmd === "disconnect"));
  assert.equal(await page.locator('[data-testid="connection-info"]').count(), 0);
  await page.waitForFunction(() => document.title === "CMEK Desk — not connected — Connect");
  await toClusters(page);
  assert.equal(calls.filter((c) => c.cmd === "connect_sandbox").length, 2);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the theme follows the OS until one is chosen; the choice is kept across restarts", async () => {
  const { page, pageErrors } = await openApp(harness, backend());
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
  // A manual choice wins over the OS and is stored.
  await page.selectOption('[data-testid="theme-select"]', "dark");
  assert.equal(await theme(), "dark");
  assert.equal(await page.evaluate(() => localStorage.getItem("cmek-desk-theme")), "dark");
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(15, 20, 27)", "the dark background is applied");
  await toClusters(page);
  await page.screenshot({ path: path.join(SHOTS, "nav-dark.png"), fullPage: true });
  // Text on table heads and badges keeps a readable contrast in the dark theme.
  const ratios = await page.evaluate(() => {
    const lum = (c) => {
      const [r, g, b] = c.match(/\d+/g).slice(0, 3).map((v) => {
        const s = Number(v) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
    return [...document.querySelectorAll(".badge, .table thead th, .table tbody th, .btn-secondary")].map((el) => {
      const s = getComputedStyle(el);
      let bgEl = el;
      let bgc = s.backgroundColor;
      while (bgc === "rgba(0, 0, 0, 0)" && bgEl.parentElement) {
        bgEl = bgEl.parentElement;
        bgc = getComputedStyle(bgEl).backgroundColor;
      }
      return { text: el.textContent.trim().slice(0, 20), ratio: ratio(s.color, bgc) };
    });
  });
  assert.ok(ratios.length > 5);
  for (const r of ratios) assert.ok(r.ratio >= 4.5, `contrast ${r.ratio.toFixed(2)} for ${r.text}`);
  // The OS switching to light does not override the choice; a reload keeps it.
  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await theme(), "dark");
  await page.reload();
  await page.waitForSelector('[data-testid="connect-sandbox"]');
  assert.equal(await theme(), "dark");
  assert.equal(await page.inputValue('[data-testid="theme-select"]'), "dark");
  // Back to "system": the OS decides again.
  await page.selectOption('[data-testid="theme-select"]', "system");
  assert.equal(await theme(), "light");
  assert.equal(await page.evaluate(() => localStorage.getItem("cmek-desk-theme")), null);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a Stop is reported as Stopped, not as a failure, and the end of Apply gets focus in view", async () => {
  const { promise: stopped, release: cancelled } = gate();
  const { page, calls, pageErrors } = await openApp(harness, backend({
    async apply_setup(args, ipc) {
      await ipc.send(args.onEvent, { event: "stepStarted", stepId: "check" });
      await stopped;
      await ipc.send(args.onEvent, { event: "stepFailed", stepId: "check", error: { code: "CANCELLED", message: "Stopped before the next change." } });
      throw { code: "CANCELLED", message: "Stopped before the next change." };
    },
    cancel_apply: () => {
      cancelled();
      return null;
    },
  }));
  await page.setViewportSize({ width: 1000, height: 420 });
  await requestPlan(page, "global-ledger");
  await confirmApply(page);
  await page.waitForSelector('[data-testid="step-0"][data-state="running"]');
  // While it runs, the officer cannot leave the apply through the header.
  assert.equal(await page.isDisabled('[data-testid="open-audit"]'), true);
  assert.equal(await page.isDisabled('[data-testid="disconnect"]'), true);
  await page.click('[data-testid="stop-apply"]');
  await page.waitForSelector('[data-testid="apply-end"][data-outcome="stopped"]');
  assert.ok(calls.some((c) => c.cmd === "cancel_apply"));
  const banner = page.locator('[data-testid="error-banner"]');
  assert.equal(await banner.getAttribute("data-stopped"), "true");
  assert.equal(await banner.getAttribute("role"), "status");
  assert.match(await banner.textContent(), /Stopped/);
  assert.doesNotMatch(await page.textContent("main"), /Apply failed/);
  assert.match(await page.textContent('[data-testid="apply-announcement"]'), /^Stopped/);
  assert.match(await page.textContent('[data-testid="apply-outcome"]'), /^Stopped at your request\./);
  assert.equal(await banner.locator(".code-tag").count(), 0, "no internal code on a Stop");
  // Focus and view moved to the end of the screen (outcome and the next buttons).
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "apply-end");
  const inView = await page.evaluate(() => {
    const r = document.querySelector('[data-testid="apply-again"]').getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  });
  assert.ok(inView, "Apply again is scrolled into view");
  await page.screenshot({ path: path.join(SHOTS, "nav-stopped.png") });
  assert.equal(await page.isDisabled('[data-testid="open-audit"]'), false);

  // Closing the audit opened after the stop goes to the cluster's page, not back to Apply.
  await page.click('[data-testid="open-audit"]');
  await page.click('[data-testid="audit-close"]');
  await page.waitForSelector('[data-testid="cluster-page"]');
  assert.equal(await page.textContent('[data-testid="cluster-page-title"]'), "global-ledger");
  assert.equal(calls.filter((c) => c.cmd === "apply_setup").length, 1, "the apply is not started again");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the Result screen shows the protection level and rotation; identifiers have copy buttons", async () => {
  const { page, pageErrors } = await openApp(harness, backend({
    async apply_setup() {
      return fx.applyResult();
    },
  }));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await requestPlan(page, "global-ledger");
  await confirmApply(page);
  await page.waitForSelector('[data-testid="apply-end"][data-outcome="finished"]');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "apply-end");
  await page.click('[data-testid="view-result"]');
  await page.waitForSelector('[data-testid="result-status"]');
  // fx.suggestion: SOFTWARE, 90 days.
  assert.equal(await page.textContent('[data-testid="result-protection"]'), "SOFTWARE");
  assert.equal(await page.textContent('[data-testid="result-rotation"]'), "Every 90 days");
  // The auth principal's copy button puts exactly the service-account email on the clipboard.
  const principal = await page.textContent('[data-testid="auth-principal"]');
  await page.click('[data-testid="copy-auth-principal"]');
  await page.waitForSelector('[data-testid="copy-auth-principal"][data-state="copied"]');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), principal);
  // Every key URI shown has its own.
  const uri = await page.textContent('[data-testid="key-uri-us-east1"]');
  const button = page.locator('[data-testid="result-regions"] button[data-copy-value]').first();
  assert.equal(await button.getAttribute("data-copy-value"), uri);
  await button.click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), uri);
  await page.screenshot({ path: path.join(SHOTS, "nav-result.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a Stop during a revocation is reported as Stopped: the step ends 'stopped', not failed", async () => {
  const SA = "crdb-cmek-payments@acme-keys.iam.gserviceaccount.com";
  const id = enabledPayments.cluster.id;
  const { promise: stopped, release: cancelled } = gate();
  const preview = {
    clusterId: id, clusterName: "prod-payments", organizationId: "org-1", regions: ["us-east4"],
    cmek: { status: "ENABLED", region_infos: [] }, cockroachPrincipal: "crl@x.iam.gserviceaccount.com", serviceAccounts: [SA], keys: [], otherKeyUsers: [],
    stopsWorking: ["Nodes restart."], sharing: [],
    levers: [{
      lever: "TOKEN_CREATOR", title: "Remove Token Creator", reach: "THIS_CLUSTER", reachText: "Only this cluster.", delayText: "About 2 minutes.", typicalDelaySecs: 120, maxDelaySecs: 420, isDefault: true,
      removals: [{ resource: { kind: "serviceAccount", project: "acme-keys", email: SA }, grants: [{ role: "roles/iam.serviceAccountTokenCreator", member: "serviceAccount:crl@x.iam.gserviceaccount.com" }] }],
      disables: [], affectedClusters: [id], warnings: [],
    }],
    confirmText: "prod-payments", warnings: [],
  };
  const { page, calls, pageErrors } = await openApp(harness, backend({
    preview_revoke: () => preview,
    async revoke_cluster(args, ipc) {
      await ipc.send(args.onEvent, { type: "operationStarted", operationId: "op-1", action: "revoke" });
      await ipc.send(args.onEvent, { type: "stepStarted", step: "snapshot", title: "Record a recovery snapshot" });
      await stopped;
      throw { code: "CANCELLED", message: "Stopped before the next change; nothing was removed." };
    },
    cancel_revoke: () => {
      cancelled();
      return null;
    },
  }));
  await openRevokeFromClusterPage(page, "prod-payments");
  await confirmRevoke(page, "prod-payments");
  await page.click('[data-testid="revoke-stop"]');
  await page.waitForSelector('[data-testid="rstep-snapshot"][data-state="cancelled"]');
  assert.ok(calls.some((c) => c.cmd === "cancel_revoke"));
  assert.equal(await page.textContent('[data-testid="rstep-snapshot"] .badge'), "stopped");
  const banner = page.locator('[data-testid="error-banner"]');
  assert.equal(await banner.getAttribute("data-stopped"), "true");
  assert.match(await banner.textContent(), /^\s*Stopped/);
  assert.doesNotMatch(await page.textContent("main"), /failed/i);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("a tall revoke dialog opens at its top (blast radius in view) with focus in the name field", async () => {
  const KEY = "projects/acme-keys/locations/us-east1/keyRings/crdb-cmek/cryptoKeys/payments";
  const SA = "crdb-cmek-payments@acme-keys.iam.gserviceaccount.com";
  const id = enabledPayments.cluster.id;
  const sharing = Array.from({ length: 12 }, (_, i) => ({
    clusterId: `c-${i}`, clusterName: `shared-${i}`, cmekStatus: "ENABLED", regions: ["us-east1"], sharesServiceAccount: true, sharedKeys: [KEY], holdsTokenCreator: true, cutOffBy: ["ENCRYPTER_DECRYPTER"],
  }));
  const lever = (name, isDefault) => ({
    lever: name, title: name, reach: "THIS_CLUSTER", reachText: "Only this cluster.", delayText: "About 2 minutes.", typicalDelaySecs: 120, maxDelaySecs: 420, isDefault,
    removals: [{ resource: { kind: "serviceAccount", project: "acme-keys", email: SA }, grants: [{ role: "roles/iam.serviceAccountTokenCreator", member: "serviceAccount:crl@x.iam.gserviceaccount.com" }] }],
    disables: [], affectedClusters: [id], warnings: [],
  });
  const preview = {
    clusterId: id, clusterName: "prod-payments", organizationId: "org-1", regions: ["us-east4"],
    cmek: { status: "ENABLED", region_infos: [] }, cockroachPrincipal: "crl@x.iam.gserviceaccount.com", serviceAccounts: [SA], keys: [KEY], otherKeyUsers: [],
    stopsWorking: Array.from({ length: 8 }, (_, i) => `Consequence ${i}: nodes restart and cannot read their data.`),
    sharing, levers: [lever("TOKEN_CREATOR", true), lever("ENCRYPTER_DECRYPTER", false), lever("DISABLE_SERVICE_ACCOUNT", false)], confirmText: "prod-payments", warnings: [],
  };
  const { page, pageErrors } = await openApp(harness, backend({ preview_revoke: () => preview }));
  await page.setViewportSize({ width: 1000, height: 500 });
  await openRevokeFromClusterPage(page, "prod-payments");
  await page.waitForSelector('[data-testid="revoke-dialog"][open]');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const state = await page.evaluate(() => {
    const d = document.querySelector('[data-testid="revoke-dialog"]');
    return { scrollTop: d.scrollTop, scrollable: d.scrollHeight > d.clientHeight, focused: document.activeElement?.getAttribute("data-testid") };
  });
  assert.ok(state.scrollable, "the dialog is taller than the window in this test");
  assert.equal(state.scrollTop, 0, "opens at its top");
  assert.equal(state.focused, "revoke-confirm-input");
  const titleInView = await page.evaluate(() => {
    const r = document.querySelector("#revoke-title").getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  });
  assert.ok(titleInView, "the title and the blast radius below it are in view");
  await page.screenshot({ path: path.join(SHOTS, "nav-revoke-dialog-top.png") });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the key-file picker fills the path; About shows the version and opens docs links or offers to copy them", async () => {
  const picked = "/home/officer/keys/sa.json";
  const { page, calls, pageErrors } = await openApp(harness, backend({
    "plugin:dialog|open": () => picked,
    open_docs: fx.rejects({ code: "INTERNAL", message: "Opening the browser is turned off (CMEK_DESK_OPEN_BROWSER=0)." }),
  }));
  await page.click('[data-testid="target-credentials"]');
  await page.click('[data-testid="choose-key-file"]');
  await page.waitForFunction((p) => document.querySelector('[data-testid="key-file-path"]').value === p, picked);
  const open = calls.find((c) => c.cmd === "plugin:dialog|open");
  assert.equal(open.args.options.multiple, false);
  assert.deepEqual(open.args.options.filters[0].extensions, ["json"]);

  await page.click('[data-testid="open-about"]');
  await page.waitForSelector('[data-testid="docs-table"]');
  assert.equal(await page.textContent('[data-testid="app-version"]'), "0.1.0");
  const urls = await page.locator('[data-testid="doc-url"]').allTextContents();
  assert.ok(urls.length >= 5 && urls.every((u) => u.startsWith("https://www.cockroachlabs.com/docs/")), urls.join(" "));
  await page.locator('[data-testid="open-doc"]').first().click();
  await page.waitForSelector('[data-testid="docs-open-error"]');
  assert.equal(calls.find((c) => c.cmd === "open_docs").args.url, urls[0]);
  assert.match(await page.textContent('[data-testid="docs-open-error"]'), /Copy the link/);
  await page.waitForFunction(() => document.title === "CMEK Desk — not connected — About");
  await page.click('[data-testid="about-close"]');
  await page.waitForSelector('[data-testid="connect-sandbox"]');
  assert.deepEqual(pageErrors, []);
  await page.close();
});
