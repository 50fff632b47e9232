// Live step states of a revocation, recovery or key action, folded from its RevokeEvents.
import type { RevokeEvent } from "./bindings/RevokeEvent";
import type { RevokeStep } from "./bindings/RevokeStep";
import type { Grant } from "./bindings/Grant";
import type { IamResource } from "./bindings/IamResource";
import type { ActivityEntry } from "./bindings/ActivityEntry";
import type { RecoverySnapshot } from "./bindings/RecoverySnapshot";
import type { Removal } from "./bindings/Removal";

export type RevokeStepState = "pending" | "running" | "done" | "skipped" | "failed" | "cancelled";

export interface StepView {
  step: RevokeStep;
  title: string;
  state: RevokeStepState;
  /** Latest progress note or the finishing message. */
  note?: string;
}

export const REVOKE_STEPS: [RevokeStep, string][] = [
  ["snapshot", "Record a recovery snapshot"],
  ["removeAccess", "Remove access"],
  ["callRevoke", "Tell CockroachDB to revoke (REVOKE)"],
  ["waitRevoked", "Wait for REVOKED"],
  ["verify", "Re-read and show the observed state"],
];
export const RECOVER_STEPS: [RevokeStep, string][] = [
  ["restoreAccess", "Restore exactly what was removed"],
  ["verify", "Re-read and verify"],
  ["supportRequest", "Prepare the support request"],
];

export function initialSteps(steps: [RevokeStep, string][]): StepView[] {
  return steps.map(([step, title]) => ({ step, title, state: "pending" }));
}

/** The step list after `event` (a new array; unknown steps are appended). */
export function applyEvent(steps: StepView[], event: RevokeEvent): StepView[] {
  if (event.type === "operationStarted" || event.type === "versionDone") return steps;
  const out = steps.map((s) => ({ ...s }));
  let view = out.find((s) => s.step === event.step);
  if (!view) {
    view = { step: event.step, title: event.type === "stepStarted" ? event.title : event.step, state: "pending" };
    out.push(view);
  }
  if (event.type === "stepStarted") {
    view.state = "running";
    view.title = event.title;
  } else if (event.type === "stepProgress") {
    view.note = event.message;
  } else {
    view.state = event.status;
    view.note = event.message;
  }
  return out;
}

/** Marks the running step failed (the command rejected without a stepFinished). */
/** Ends the running step with the error: "cancelled" for a Stop the officer asked for
 *  (`CANCELLED`), "failed" otherwise. */
export function failRunning(steps: StepView[], message: string, code?: string): StepView[] {
  const state: RevokeStepState = code === "CANCELLED" ? "cancelled" : "failed";
  return steps.map((s) => (s.state === "running" ? { ...s, state, note: message } : s));
}

export function resourceName(r: IamResource): string {
  return r.kind === "kms" ? r.name : `projects/${r.project}/serviceAccounts/${r.email}`;
}

export function grantText(g: Grant): string {
  return `${g.role} → ${g.member}${g.condition ? ` (if ${g.condition.title ?? g.condition.expression})` : ""}`;
}

/** The support request as one text to paste into a ticket. */
export function supportText(s: { subject: string; body: string }): string {
  return `Subject: ${s.subject}\n\n${s.body}`;
}

/**
 * What recovering revocation `operationId` restores, from the activity log: the outcome of its
 * `revoke.snapshot` step carries the recovery snapshot (removals and disabled service accounts).
 * `revokeSent`: REVOKE got an outcome `ok` (true), was only intended (null: may have been sent),
 * or never attempted (false). Null when the log has no snapshot for it.
 */
export function restoreFromLog(
  entries: ActivityEntry[],
  operationId: string,
): { clusterName: string; restore: { removals: Removal[]; disables: string[] }; revokeSent: boolean | null } | null {
  const mine = entries.filter((e) => e.operationId === operationId);
  const snap = mine.find((e) => e.action === "revoke.snapshot" && e.kind === "outcome")?.after as RecoverySnapshot | undefined;
  if (!snap || !Array.isArray(snap.removals)) return null;
  const revoke = mine.filter((e) => e.action === "revoke.call_revoke");
  const outcomes = revoke.filter((e) => e.kind === "outcome");
  const revokeSent = outcomes.some((e) => e.status === "ok") ? true : outcomes.length ? false : revoke.length ? null : false;
  return { clusterName: snap.clusterName, restore: { removals: snap.removals, disables: snap.disables ?? [] }, revokeSent };
}
