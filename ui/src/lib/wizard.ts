// The wizard's screens, in order, with the labels the progress bar shows.
export type Screen = "connect" | "clusters" | "plan" | "apply" | "result";

export const SCREENS: { id: Screen; label: string }[] = [
  { id: "connect", label: "Connect" },
  { id: "clusters", label: "Cluster" },
  { id: "plan", label: "Plan" },
  { id: "apply", label: "Apply" },
  { id: "result", label: "Result" },
];

/** The live state of one apply step (from the apply channel's events). */
export type StepState = "pending" | "running" | "done" | "adopted" | "unchanged" | "failed";

/** One step as the Apply screen lists it (GCP setup, rotation, new region and AWS setup steps). */
export interface StepView {
  id: string;
  title: string;
  resource: string;
}

/** What the Apply screen runs: the plan the backend holds (by id), its steps, and the command
 *  that applies it. The plan itself is never sent back. */
export interface ApplyTarget {
  planId: string;
  clusterName: string;
  /** "Set up CMEK", "Rotate the key", "Add region europe-west1"… */
  what: string;
  steps: StepView[];
  /** What the Result screen repeats about the keys: protection level and rotation, in words. */
  facts?: KeyFacts;
  run: (onEvent: (event: import("./bindings/ApplyEvent").ApplyEvent) => void) => Promise<import("./bindings/ApplyResult").ApplyResult>;
}

/** The reviewed plan's key settings, shown again on the Result screen. */
export interface KeyFacts {
  /** "SOFTWARE", "HSM", or for AWS "AWS KMS (symmetric)". */
  protectionLevel: string;
  /** "Every 90 days", "No automatic rotation"… */
  rotation: string;
}
