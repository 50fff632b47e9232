// The apply targets of each plan kind: the GCP setup / rotation / new-region plan and the AWS
// setup plan, each applied by the id the backend holds it under.
import type { Plan } from "./bindings/Plan";
import type { AwsPlan } from "./bindings/AwsPlan";
import type { ApplyTarget, KeyFacts } from "./wizard";
import { applySetup, applyAwsSetup } from "./ipc/commands";

/** What a GCP plan does, in words: its kind (setup, rotation, new region). */
export function planWhat(plan: Plan): string {
  switch (plan.change?.kind) {
    case "rotation":
      return "Rotate to a new key";
    case "addRegion":
      return `Add region ${plan.change.request.region}`;
    default:
      return "CMEK setup";
  }
}

/** A Cloud KMS rotation period in words (`rotationPeriodDays` of the request). */
export function rotationText(days: number | null | undefined): string {
  if (days === undefined || days === null) return "No automatic rotation";
  return `Every ${days} day${days === 1 ? "" : "s"}`;
}

export function gcpFacts(plan: Plan): KeyFacts {
  return { protectionLevel: plan.request.protectionLevel, rotation: rotationText(plan.request.rotationPeriodDays) };
}

export function awsFacts(plan: AwsPlan): KeyFacts {
  return {
    protectionLevel: "AWS KMS (symmetric)",
    rotation: plan.request.rotation ? "Automatic, yearly" : "No automatic rotation",
  };
}

export function gcpTarget(plan: Plan): ApplyTarget {
  return {
    planId: plan.planId,
    clusterName: plan.cluster.name,
    what: planWhat(plan),
    steps: plan.steps,
    facts: gcpFacts(plan),
    run: (onEvent) => applySetup(plan.planId, onEvent),
  };
}

export function awsTarget(plan: AwsPlan): ApplyTarget {
  return {
    planId: plan.planId,
    clusterName: plan.cluster.name,
    what: "CMEK setup (AWS)",
    steps: plan.steps,
    facts: awsFacts(plan),
    run: (onEvent) => applyAwsSetup(plan.planId, onEvent),
  };
}
