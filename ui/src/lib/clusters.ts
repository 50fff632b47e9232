// The cluster list's search, filters and order (pure functions, so the list scales to an
// organisation's worth of clusters): free text over name, id and regions; cloud, CMEK status
// and region filters; clusters the officer can set up first, then by name.
import type { ClusterSummary } from "./bindings/ClusterSummary";
import type { CmekAction } from "./bindings/CmekAction";

export interface ClusterFilter {
  /** Case-insensitive words, all of which must occur in the name, the id or a region. */
  text: string;
  /** `GCP`, `AWS`…; "" for any. */
  cloud: string;
  /** A CMEK status (`DISABLED`, `ENABLED`, `REVOKED`…); "" for any. */
  cmek: string;
  /** A cluster region; "" for any. */
  region: string;
}

export const NO_FILTER: ClusterFilter = { text: "", cloud: "", cmek: "", region: "" };

/** What the list keeps between visits (back from a cluster page, an overlay…). */
export const listState: { filter: ClusterFilter } = { filter: { ...NO_FILTER } };

/** The distinct values the filter menus offer, sorted. */
export function filterOptions(clusters: ClusterSummary[]) {
  const sorted = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort();
  return {
    clouds: sorted(clusters.map((c) => c.cluster.cloud_provider)),
    statuses: sorted(clusters.map((c) => c.cmekStatus)),
    regions: sorted(clusters.flatMap((c) => c.cluster.regions.map((r) => r.name))),
  };
}

export function matches(c: ClusterSummary, f: ClusterFilter): boolean {
  if (f.cloud && c.cluster.cloud_provider !== f.cloud) return false;
  if (f.cmek && c.cmekStatus !== f.cmek) return false;
  if (f.region && !c.cluster.regions.some((r) => r.name === f.region)) return false;
  const haystack = [c.cluster.name, c.cluster.id, ...c.cluster.regions.map((r) => r.name)].join(" ").toLowerCase();
  return f.text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** 0: eligible and without CMEK (ready to set up); 1: eligible with CMEK (rotate, add a
 *  region, revoke…); 2: not eligible. */
function rank(c: ClusterSummary): number {
  if (c.ineligibleReason) return 2;
  return c.cmekStatus === "DISABLED" ? 0 : 1;
}

/** Clusters ready to set up first, then those with CMEK, then ineligible ones; by name within. */
export function sortClusters(clusters: ClusterSummary[]): ClusterSummary[] {
  return [...clusters].sort((a, b) => rank(a) - rank(b) || a.cluster.name.localeCompare(b.cluster.name));
}

export function filterClusters(clusters: ClusterSummary[], f: ClusterFilter): ClusterSummary[] {
  return sortClusters(clusters.filter((c) => matches(c, f)));
}

/** The state machine's answer for one action on one cluster (absent: not offered). */
export function availability(c: ClusterSummary, action: CmekAction) {
  return c.actions?.find((a) => a.action === action);
}

/** Why an action is not available, in one line (reason, then what to do). */
export function whyNot(a: { reason?: string; whatToDo?: string } | undefined): string {
  return `${a?.reason ?? ""} ${a?.whatToDo ?? ""}`.trim();
}

/** The cluster list row's actions, as the CMEK state machine answers them
 * (`ClusterSummary.actions`, `cmek_core::lifecycle`):
 * - `setup`: allowed only when the cluster is eligible and the state machine allows setup
 *   (an answer that is absent follows eligibility); `why` is the ineligibility or the refusal
 *   with what to do, `note` what to know first when allowed;
 * - `changes`: rotate and add region for a GCP cluster with CMEK (status not `DISABLED`),
 *   each with its own answer; `changeFirst` when setup is refused and one of them is allowed:
 *   that is what applies, so the row offers it first (as the primary button). */
export function rowActions(c: ClusterSummary) {
  const a = availability(c, "setup");
  const setup = {
    allowed: !c.ineligibleReason && (a ? a.allowed : true),
    why: c.ineligibleReason ? `Not eligible: ${c.ineligibleReason}` : whyNot(a),
    note: a?.allowed ? a.note : undefined,
  };
  const labels: [Exclude<CmekAction, "setup" | "revoke" | "recover" | "keyEmergency">, string][] = [
    ["rotate", "Rotate key…"],
    ["addRegion", "Add region…"],
  ];
  const withCmek = c.cmekStatus !== "DISABLED" && c.cmekStatus !== "UNKNOWN";
  const offered = c.cluster.cloud_provider === "GCP" && withCmek
    ? labels.flatMap(([action, label]) => {
        const x = availability(c, action);
        return x ? [{ action, label, a: x }] : [];
      })
    : [];
  const changeFirst = !setup.allowed && !c.ineligibleReason && offered.some((x) => x.a.allowed);
  const firstAllowed = offered.find((x) => x.a.allowed)?.action;
  return {
    setup,
    changeFirst,
    changes: offered.map((x) => ({ ...x, primary: changeFirst && x.action === firstAllowed })),
  };
}
