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
