// Pure helpers of the Audit screen: key severity from the domain's findings, the key-table
// filters, and the lookup of a cluster's access graph (nodes, edges and their health are
// decided by the domain: cmek_audit::graph).
import type { AccessGraph } from "../../lib/bindings/AccessGraph";
import type { AuditReport } from "../../lib/bindings/AuditReport";
import type { ClusterRow } from "../../lib/bindings/ClusterRow";
import type { CmekKeyInfo } from "../../lib/bindings/CmekKeyInfo";
import type { Finding } from "../../lib/bindings/Finding";
import type { KeyRow } from "../../lib/bindings/KeyRow";
import type { Severity } from "../../lib/bindings/Severity";
import { duration, exactSeconds } from "../../lib/format";

export const SEVERITIES: Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];
export const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Failed findings about one key (the key itself or something under it). */
export function keyFindings(report: AuditReport, key: KeyRow): Finding[] {
  return report.findings.filter((f) => f.status === "FAIL" && (f.resource === key.name || f.resource.startsWith(key.name + "/")));
}

/** The highest severity of a list of findings, or null. */
export function worst(findings: Finding[]): Severity | null {
  return findings.reduce<Severity | null>((w, f) => (w === null || rank(f.severity) < rank(w) ? f.severity : w), null);
}

export function allKeys(report: AuditReport): KeyRow[] {
  return report.projects.flatMap((p) => p.keys);
}

export type KeyFilter = { project: string; location: string; severity: "" | Severity | "none"; usedBy: "" | "yes" | "no"; search: string };
export const emptyFilter = (): KeyFilter => ({ project: "", location: "", severity: "", usedBy: "", search: "" });

/** The keys matching every filter; `severity` matches a key having at least one finding of it ("none": no finding). */
export function filterKeys(report: AuditReport, keys: KeyRow[], f: KeyFilter): KeyRow[] {
  const q = f.search.trim().toLowerCase();
  return keys.filter((k) => {
    if (f.project && k.project !== f.project) return false;
    if (f.location && k.location !== f.location) return false;
    if (f.usedBy === "yes" && k.usedBy.length === 0) return false;
    if (f.usedBy === "no" && k.usedBy.length > 0) return false;
    const findings = keyFindings(report, k);
    if (f.severity === "none" && findings.length > 0) return false;
    if (f.severity && f.severity !== "none" && !findings.some((x) => x.severity === f.severity)) return false;
    if (q) {
      const hay = [k.name, k.purpose ?? "", k.primaryState ?? "", ...Object.entries(k.labels).map(([a, b]) => `${a}=${b}`), ...k.usedBy.map((u) => u.clusterName), ...findings.map((x) => `${x.checkId} ${x.title}`)]
        .join(" ")
        .toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  });
}

/** A region's key in use now: its newest key info. */
export function currentKeyInfo(infos: CmekKeyInfo[]): CmekKeyInfo | null {
  return infos.reduce<CmekKeyInfo | null>((a, b) => (a === null || b.created_at > a.created_at ? b : a), null);
}

/** The domain's access graph of one cluster (`AuditReport.accessGraphs`); empty when it has none. */
export function accessGraph(report: AuditReport, c: ClusterRow): AccessGraph {
  return report.accessGraphs.find((g) => g.clusterId === c.id) ?? { clusterId: c.id, nodes: [], edges: [] };
}

/** Only a Google Cloud cluster with CMEK can be revoked (the Revoke flow is for Cloud KMS). */
export function canRevoke(c: ClusterRow): boolean {
  return c.cloudProvider === "GCP" && c.cmek !== null;
}

/** `7776000s` (with its parsed seconds) as "90 days", `7776001s` as "90 d 1 s"; unparsed values as sent. */
export function days(sent: string | null, seconds: number | null): string | null {
  if (sent === null) return null;
  return seconds === null ? sent : duration(seconds);
}

/** The tooltip of a duration: the exact seconds (or the value as sent when unparsed). */
export function daysTitle(sent: string | null, seconds: number | null): string {
  if (sent === null) return "";
  return seconds === null ? sent : exactSeconds(seconds);
}
