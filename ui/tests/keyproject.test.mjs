// UI tests of the C12 fix the plan offers (issue 11) in headless Chromium with mocked Tauri IPC:
// the plan's separation-of-duties warning has a "Use a separate key project" button that
// reveals and focuses the Key project field (keyboard only), re-planning sends `keyProject`,
// and the plan that no longer warns offers no button; on the Apply screen a create step that
// found its resource in place is titled by what happened ("… exists, verified").
// Run: npm run build && node --test ui/tests/keyproject.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useHarness, openApp, SHOTS } from "./harness.mjs";
import { toClusters, toReviewedPlan, confirmApply } from "./flows.mjs";
import * as fx from "./fixtures.mjs";

const harness = useHarness();

const KEY_PROJECT = "acme-kms-only";
const C12 =
  "Separation of duties (audit check C12): user:officer@example.com own(s) project acme-keys, which will hold 1 key(s) (projects/acme-keys/locations/us-east1/keyRings/crdb-cmek/cryptoKeys/payments-us-east1); the audit will report C12 on each.";

/** The plan the backend would return: C12 warned (and the fix offered) unless the request
 * names a separate key project, whose keys then live there. */
function planFor(request) {
  const p = fx.plan(request);
  if (!request.keyProject) return { ...p, warnings: [...p.warnings, C12], offerKeyProject: true };
  const moved = (s) => s.replace("projects/acme-keys/", `projects/${request.keyProject}/`);
  return {
    ...p,
    keyRingNames: p.keyRingNames.map(moved),
    keys: p.keys.map((k) => ({ ...k, name: moved(k.name) })),
    offerKeyProject: false,
  };
}

const backend = fx.mockBackend({ ...fx.setupScreens(planFor), cmek_status: () => fx.applyResult().cmek });

test("the C12 warning's button reveals and focuses the Key project field, and re-planning sends it", async () => {
  const { page, calls, pageErrors } = await openApp(harness, backend());
  await toReviewedPlan(page);
  assert.equal(await page.locator('[data-testid="key-project"]').count(), 0, "the field starts hidden");
  assert.match(await page.textContent('[data-testid="plan-warnings"]'), /audit check C12/);
  const button = page.locator('[data-testid="use-key-project"]');
  assert.equal(await button.count(), 1);
  assert.equal((await button.textContent()).trim(), "Use a separate key project");

  // Keyboard only: focus the button, press Enter.
  await button.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-testid="key-project"]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), "f-key-project", "the field has the focus");
  assert.match(await page.textContent('label[for="f-key-project"]'), /Key project/);
  assert.match(await page.textContent("#hint-key-project"), /no person owns.*C12.*service account stays/s);
  await page.screenshot({ path: path.join(SHOTS, "key-project-field.png"), fullPage: true });

  await page.keyboard.type(KEY_PROJECT);
  // Typing changes the form: the old plan is gone until reviewed again.
  assert.equal(await page.locator('[data-testid="plan-review"]').count(), 0);
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="plan-review"]');
  const plans = calls.filter((c) => c.cmd === "plan_setup");
  assert.equal(plans.length, 2);
  assert.equal(plans[0].args.request.keyProject, undefined, "no key project until asked for");
  assert.equal(plans[1].args.request.keyProject, KEY_PROJECT);
  assert.equal(plans[1].args.request.project, "acme-keys", "the service account's project is kept");

  // The new plan: no C12 warning, no button, keys in the key project.
  assert.doesNotMatch(await page.textContent('[data-testid="plan-review"]'), /audit check C12/);
  assert.equal(await page.locator('[data-testid="use-key-project"]').count(), 0);
  assert.match(await page.textContent('[data-testid="plan-resources"]'), new RegExp(`projects/${KEY_PROJECT}/locations/us-east1/keyRings/crdb-cmek`));
  await page.screenshot({ path: path.join(SHOTS, "key-project-plan.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the form's own link reveals the field too, and an invalid key project is shown on the field", async () => {
  const { page, pageErrors } = await openApp(
    harness,
    backend({
      plan_setup(args) {
        if (args.request.keyProject) throw { code: "INVALID_INPUT", message: "Key project: must be 6-30 characters", resource: "key_project" };
        return planFor(args.request);
      },
    }),
  );
  await toClusters(page);
  await page.click('[data-testid="select-cluster-payments"]');
  await page.waitForSelector('[data-testid="show-key-project"]');
  await page.focus('[data-testid="show-key-project"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('[data-testid="key-project"]');
  assert.equal(await page.locator('[data-testid="show-key-project"]').count(), 0);
  await page.fill('[data-testid="key-project"]', "abc");
  await page.click('[data-testid="review-plan"]');
  await page.waitForSelector('[data-testid="field-error"]');
  assert.equal(await page.textContent('[data-testid="field-error"]'), "must be 6-30 characters");
  assert.equal(await page.getAttribute('[data-testid="key-project"]', "aria-invalid"), "true");
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("on Apply, a create step that found its resource reads 'exists, verified', a new one keeps its title", async () => {
  const { page, pageErrors } = await openApp(
    harness,
    backend({
      plan_setup: (args) => ({ ...planFor({ ...args.request, keyProject: KEY_PROJECT }) }),
      async apply_setup(args, ipc) {
        const ch = args.onEvent;
        await fx.finishStep(ipc, ch, "check", "unchanged");
        await fx.finishStep(ipc, ch, "sa", "adopted");
        await fx.finishStep(ipc, ch, "key", "done");
        await fx.finishStep(ipc, ch, "cmek", "done");
        return fx.finishApply(ipc, ch);
      },
    }),
  );
  await toReviewedPlan(page);
  await confirmApply(page);
  await page.waitForSelector('[data-testid="step-3"][data-state="done"]');
  const title = (i) => page.textContent(`[data-testid="step-${i}"] [data-testid="applied-step-title"]`);
  assert.equal(await page.getAttribute('[data-testid="step-1"]', "data-state"), "adopted");
  assert.equal(await title(1), "Service account exists, verified");
  assert.equal(await title(2), "Create key", "a step that created keeps its title");
  assert.equal(await title(0), "Check permissions");
  assert.deepEqual(pageErrors, []);
  await page.close();
});
