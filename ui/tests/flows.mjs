// Walks the app's screens the way the UI tests need them set up (Connect → cluster list → setup
// form → plan → Apply; the Audit form; the Activity screen; the Revoke screen and its dialogs), so
// each test file states only what it checks. Every step clicks or types as an officer would and
// waits for the screen it leads to where the tests waited for it before.

/** Connects to the sandbox and waits for the cluster table. */
export async function toClusters(page) {
  await page.click('[data-testid="connect-sandbox"]');
  await page.waitForSelector('[data-testid="cluster-table"]');
}

/** Connects, opens `name`'s setup form and asks for its plan, without waiting for the answer. */
export async function requestPlan(page, name = "payments") {
  await toClusters(page);
  await page.click(`[data-testid="select-cluster-${name}"]`);
  await page.waitForSelector('[data-testid="review-plan"]');
  await page.click('[data-testid="review-plan"]');
}

/** Connects, opens `name`'s setup form, asks for its plan and waits for the plan review. */
export async function toReviewedPlan(page, name = "payments") {
  await requestPlan(page, name);
  await page.waitForSelector('[data-testid="plan-review"]');
}

/** Connects and opens `name`'s rotation form (Rotate key on its cluster row). */
export async function toRotation(page, name = "payments") {
  await toClusters(page);
  await page.click(`[data-testid="rotate-cluster-${name}"]`);
  await page.waitForSelector('[data-testid="change-form"][data-kind="rotate"]');
}

/** Applies the reviewed plan: Apply, then the confirm dialog's Apply. */
export async function confirmApply(page) {
  await page.click('[data-testid="apply"]');
  await page.click('[data-testid="confirm-apply"]');
}

/** Connects, waits for the cluster rows and opens the Audit screen's scan form. */
export async function toAuditForm(page) {
  await page.click('[data-testid="connect-sandbox"]');
  await page.waitForSelector('[data-testid^="cluster-row-"]');
  await page.click('[data-testid="open-audit"]');
}

/** Opens the Activity screen from the header and waits for its table. */
export async function openActivity(page) {
  await page.click('[data-testid="open-activity"]');
  await page.waitForSelector('[data-testid="activity-table"]');
}

/** Opens the Revoke screen of cluster `id` through its route (as the result screen and audit cards do) and waits for `ready`. */
export async function toRevokeRoute(page, id, ready) {
  await page.evaluate((clusterId) => (location.hash = `#revoke/${clusterId}`), id);
  await page.waitForSelector(ready);
}

/** From Connect, opens cluster `name`'s page, its Revoke screen and the revoke confirm dialog. */
export async function openRevokeFromClusterPage(page, name) {
  await toClusters(page);
  await page.click(`[data-testid="open-cluster-${name}"]`);
  await page.click('[data-testid="page-revoke"]');
  await page.click('[data-testid="revoke-open-confirm"]');
}

/** Types `name` into the open revoke dialog and confirms it. */
export async function confirmRevoke(page, name) {
  await page.fill('[data-testid="revoke-confirm-input"]', name);
  await page.click('[data-testid="revoke-confirm"]');
}

/** Presses Escape and waits until the dialog with test id `testid` is gone. */
export async function escapeDialog(page, testid) {
  await page.keyboard.press("Escape");
  await page.waitForSelector(`[data-testid="${testid}"]`, { state: "detached" });
}
