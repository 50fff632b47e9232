// Honest plan wording (issue 11): for every resource, step and IAM binding of a plan, whether
// applying changes it ("will be created/granted/enabled") or only verifies what exists
// ("exists, will be verified"), from the facts the backend returns (`PlanStep.alreadyDone`,
// `PlannedKey.exists`, `Plan.serviceAccountExists`, the IAM change's `before`). The plan
// review, the confirm dialog and the summary line all read these, so they cannot disagree.
import type { Grant } from "./bindings/Grant";
import type { Plan } from "./bindings/Plan";
import type { PlanStep } from "./bindings/PlanStep";
import type { PlannedIamChange } from "./bindings/PlannedIamChange";
import type { StepKind } from "./bindings/StepKind";

export const VERIFIED = "exists, will be verified";

/** What applying does to a step that is not done yet, by kind. */
const ACTION: Record<StepKind, string> = {
  checkPermissions: "will be checked",
  enableApis: "will be enabled",
  createServiceAccount: "will be created",
  grantTokenCreator: "will be granted",
  createKeyRing: "will be created",
  createCryptoKey: "will be created",
  grantEncrypterDecrypter: "will be granted",
  enableCmek: "will be enabled",
  waitForCmek: "will be waited for",
  updateCmek: "will be changed",
  addRegion: "will be added",
};

/** Steps that only read or wait: never counted as a change (`Plan::count_changes`). */
export const isCheck = (s: PlanStep) => s.kind === "checkPermissions" || s.kind === "waitForCmek";

/** `verify` when the step exists and is only verified, `check` for a read or a wait, else `change`. */
export function stepState(s: PlanStep): "verify" | "check" | "change" {
  if (s.alreadyDone) return "verify";
  return isCheck(s) ? "check" : "change";
}

/** The step's state in words: "exists, will be verified" or "will be created/granted/…". */
export function stepText(s: PlanStep): string {
  if (s.alreadyDone) return s.kind === "enableCmek" || s.kind === "waitForCmek" ? "already enabled, will be verified" : VERIFIED;
  return ACTION[s.kind] ?? "will be changed";
}

/** Whether the plan creates the key ring `ring` (its create step is not done). */
export function ringIsNew(plan: Plan, ring: string): boolean {
  return plan.steps.some((s) => s.kind === "createKeyRing" && s.resource === ring && !s.alreadyDone);
}

const same = (a: Grant, b: Grant) =>
  a.role === b.role && a.member === b.member && (a.condition?.expression ?? "") === (b.condition?.expression ?? "");

/** True when the IAM change's binding is already in the policy (applying only verifies it). */
export const grantExists = (c: PlannedIamChange) => c.before.some((g) => same(g, c.grant));

/** The steps that change something, in order (what the confirm dialog lists). */
export const changingSteps = (plan: Plan) => plan.steps.filter((s) => stepState(s) === "change");

/** How many changes applying makes: the backend's count (`Plan.changes`, the same rule as
 * [`changingSteps`]); counted here only for a plan that lacks it. */
export const changeCount = (plan: Plan): number => plan.changes ?? changingSteps(plan).length;

/** One plain sentence: how many changes applying makes, or that it only verifies. */
export function changesSentence(plan: Plan): string {
  const n = changeCount(plan);
  return n === 0
    ? "Nothing to change: applying only verifies what exists."
    : `Nothing has been changed yet. Applying makes ${n} change${n === 1 ? "" : "s"}.`;
}
