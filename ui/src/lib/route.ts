// Views outside the wizard, reachable from anywhere by URL hash (the result screen, the
// start-up banner, later the audit cards): `#revoke/<clusterId>`, `#activity`, `#audit`, `#about`.

export type Overlay =
  | { kind: "revoke"; clusterId: string; resume?: { operationId: string; mode: "finish" | "rollback" } }
  | { kind: "activity" }
  | { kind: "audit" }
  | { kind: "about" };

/** The link that opens the Revoke screen for a cluster. */
export const revokeHref = (clusterId: string) => `#revoke/${encodeURIComponent(clusterId)}`;
export const ACTIVITY_HREF = "#activity";
export const AUDIT_HREF = "#audit";

export function parseRoute(hash: string): Overlay | null {
  const h = hash.replace(/^#\/?/, "");
  if (h === "activity") return { kind: "activity" };
  if (h === "audit") return { kind: "audit" };
  if (h === "about") return { kind: "about" };
  const m = /^revoke\/(.+)$/.exec(h);
  return m ? { kind: "revoke", clusterId: decodeURIComponent(m[1]) } : null;
}

/** Calls `cb` with the current route (if any) and on every hash change; returns the unsubscribe. */
export function watchRoute(cb: (overlay: Overlay | null) => void): () => void {
  const onChange = () => cb(parseRoute(location.hash));
  window.addEventListener("hashchange", onChange);
  if (location.hash) onChange();
  return () => window.removeEventListener("hashchange", onChange);
}

/** Leaves an overlay: drops the hash without adding a history entry. */
export function clearRoute() {
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
}
