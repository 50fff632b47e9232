// The Audit screen's state, kept while the app runs (leaving for "Revoke…" and coming back
// keeps the last report, the selection and the filters).
import type { AuditReport } from "../../lib/bindings/AuditReport";
import type { Error as IpcError } from "../../lib/bindings/Error";
import { emptyFilter, type KeyFilter } from "./audit";

export type ProjectProgress = { project: string; keyRings: number; keys: number; versions: number; policies: number; kmsCalls: number; state: "waiting" | "scanning" | "done" | "failed"; error: IpcError | null };

export const audit = $state({
  selected: [] as string[],
  report: null as AuditReport | null,
  progress: [] as ProjectProgress[],
  clusters: "waiting" as "waiting" | "done" | "failed",
  clustersError: null as string | null,
  selectedKey: null as string | null,
  filter: emptyFilter() as KeyFilter,
});
