// Pure helpers of the Audit screen: key severity from the domain's findings, the key-table
// filters, and the per-cluster access graph (CockroachDB principal → service account → key →
// key ring → project) whose edge health comes from the domain's findings (C01-C04, A07, A15).
import type { AuditReport } from "../../lib/bindings/AuditReport";
import type { ClusterRow } from "../../lib/bindings/ClusterRow";
import type { CmekKeyInfo } from "../../lib/bindings/CmekKeyInfo";
import type { Finding } from "../../lib/bindings/Finding";
import type { KeyRow } from "../../lib/bindings/KeyRow";
import type { Severity } from "../../lib/bindings/Severity";

export const SEVERITIES: Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];
export const rank = (s: Severity) => SEVERITIES.indexOf(s);

export const ROLE_ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
export const ROLE_TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator";

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

/** `crl-kms-user-{last 12 of cluster id}@{account_id}.iam.gserviceaccount.com` (as cmek-audit's `crl_principal`). */
export function crlPrincipal(c: ClusterRow): string {
  return `crl-kms-user-${c.id.slice(-12)}@${c.accountId}.iam.gserviceaccount.com`;
}

/** A region's key in use now: its newest key info. */
export function currentKeyInfo(infos: CmekKeyInfo[]): CmekKeyInfo | null {
  return infos.reduce<CmekKeyInfo | null>((a, b) => (a === null || b.created_at > a.created_at ? b : a), null);
}

export type Health = "ok" | "broken" | "wide" | "unknown";
export type GraphNode = { id: string; column: number; kind: "principal" | "serviceAccount" | "key" | "keyRing" | "project"; label: string; health: Health; note: string };
export type GraphEdge = { from: string; to: string; label: string; sub?: string; health: Health; why: string };
export type Graph = { nodes: GraphNode[]; edges: GraphEdge[] };

const worse = (a: Health, b: Health): Health => {
  const order: Health[] = ["broken", "wide", "unknown", "ok"];
  return order.indexOf(a) < order.indexOf(b) ? a : b;
};

/**
 * The access chain of one cluster, one path per (key, service account) in use now. Edge health:
 * principal → SA from C04 (Critical: broken, Medium: project-wide = over-wide) and the SA's
 * existence; SA → key from C03 (Critical: broken, High: over-wide) and the binding's level
 * (granted on the project: over-wide); key → ring and ring → project are containment, the
 * project edge is over-wide when A07/A15 fire on the project. Key nodes are broken on C01/C02.
 */
export function accessGraph(report: AuditReport, c: ClusterRow): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const fails = report.findings.filter((f) => f.status === "FAIL");
  const crl = crlPrincipal(c);
  const node = (n: GraphNode) => {
    const had = nodes.get(n.id);
    if (had) had.health = worse(had.health, n.health);
    else nodes.set(n.id, n);
  };
  const edge = (e: GraphEdge) => {
    const k = `${e.from}→${e.to}`;
    const had = edges.get(k);
    if (had) {
      had.health = worse(had.health, e.health);
      if (had.health === e.health) had.why = e.why;
    } else edges.set(k, e);
  };
  node({ id: `p:${crl}`, column: 0, kind: "principal", label: crl, health: "ok", note: `CockroachDB identity of ${c.name}` });
  const pairs = new Map<string, { uri: string; sa: string }>();
  for (const r of c.cmek?.region_infos ?? []) {
    const cur = currentKeyInfo(r.key_infos);
    if (cur && cur.spec.type === "GCP_CLOUD_KMS") pairs.set(`${cur.spec.uri}|${cur.spec.auth_principal}`, { uri: cur.spec.uri, sa: cur.spec.auth_principal });
  }
  for (const { uri, sa } of pairs.values()) {
    const saRow = report.serviceAccounts.find((s) => s.email === sa);
    const key = allKeys(report).find((k) => k.name === uri);
    // principal → service account
    const c04 = fails.find((f) => f.checkId === "C04" && f.resource === sa && (f.evidence.length === 0 || f.evidence.some((e) => e.value.includes(crl)) || !f.evidence.some((e) => e.field === "expected member")));
    let h: Health = "ok";
    let why = `${ROLE_TOKEN_CREATOR} granted on the service account`;
    if (!saRow) [h, why] = ["unknown", "the service account was not read"];
    if (saRow && !saRow.exists) [h, why] = ["broken", "the service account does not exist"];
    if (c04) [h, why] = [c04.severity === "CRITICAL" ? "broken" : "wide", c04.message];
    node({ id: `sa:${sa}`, column: 1, kind: "serviceAccount", label: sa, health: saRow && !saRow.exists ? "broken" : saRow?.disabled ? "broken" : "ok", note: saRow?.disabled ? "disabled" : "" });
    edge({ from: `p:${crl}`, to: `sa:${sa}`, label: "Token Creator", sub: h === "broken" ? "missing" : h === "wide" ? "project-wide" : "", health: h, why });
    // service account → key
    const c03 = fails.find((f) => f.checkId === "C03" && f.resource === uri && f.evidence.some((e) => e.value.includes(sa)));
    const c03any = c03 ?? fails.find((f) => f.checkId === "C03" && f.resource === uri);
    const grant = key?.effectiveBindings.find((b) => b.member === `serviceAccount:${sa}` && b.role === ROLE_ENCRYPTER && !b.condition);
    let kh: Health = grant ? (grant.level === "project" ? "wide" : "ok") : key ? "broken" : "unknown";
    let kwhy = grant ? `${ROLE_ENCRYPTER} at ${grant.level} level` : key ? "no unconditional Encrypter/Decrypter on the key" : "the key was not scanned (pick its project)";
    if (c03any) [kh, kwhy] = [c03any.severity === "CRITICAL" ? "broken" : "wide", c03any.message];
    const keyBroken = fails.some((f) => (f.checkId === "C01" || f.checkId === "C02") && f.resource === uri);
    node({ id: `k:${uri}`, column: 2, kind: "key", label: uri.split("/").pop() ?? uri, health: key ? (keyBroken ? "broken" : "ok") : "unknown", note: uri });
    edge({ from: `sa:${sa}`, to: `k:${uri}`, label: "Encrypt/Decrypt", sub: grant ? `on ${grant.level === "keyRing" ? "key ring" : grant.level}` : "missing", health: kh, why: kwhy });
    // key → key ring → project
    const m = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)/.exec(uri);
    if (!m) continue;
    const ring = m[0];
    const project = m[1];
    node({ id: `r:${ring}`, column: 3, kind: "keyRing", label: `${m[3]} (${m[2]})`, health: "ok", note: ring });
    edge({ from: `k:${uri}`, to: `r:${ring}`, label: "in key ring", health: keyBroken ? "broken" : key ? "ok" : "unknown", why: keyBroken ? "the key is not usable (C01/C02)" : "" });
    const projectWide = fails.filter((f) => (f.checkId === "A07" || f.checkId === "A15") && f.resource === `projects/${project}`);
    node({ id: `pr:${project}`, column: 4, kind: "project", label: project, health: projectWide.length ? "wide" : "ok", note: "" });
    edge({ from: `r:${ring}`, to: `pr:${project}`, label: "in project", sub: projectWide.length ? "wide grants" : "", health: projectWide.length ? "wide" : "ok", why: projectWide.map((f) => f.message).join(" ") });
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** `7776000s` (with its parsed seconds) as "90 days"; other values as sent. */
export function days(sent: string | null, seconds: number | null): string | null {
  if (sent === null) return null;
  if (seconds === null || seconds % 86400 !== 0) return sent;
  return `${seconds / 86400} day${seconds === 86400 ? "" : "s"}`;
}
