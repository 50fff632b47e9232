// The ONLY module that imports @tauri-apps/api. One line per backend command; every argument
// and result type comes from the generated bindings (ui/src/lib/bindings, ts-rs).
// A failed command rejects with an `IpcError` ({ code, message, ... }); screens switch on `code`.
import { invoke, Channel } from "@tauri-apps/api/core";
import type { ApplyEvent } from "../bindings/ApplyEvent";
import type { ApplyResult } from "../bindings/ApplyResult";
import type { ClusterSummary } from "../bindings/ClusterSummary";
import type { CmekClusterInfo } from "../bindings/CmekClusterInfo";
import type { ConnectionInfo } from "../bindings/ConnectionInfo";
import type { Error as IpcError } from "../bindings/Error";
import type { Plan } from "../bindings/Plan";
import type { SetupRequest } from "../bindings/SetupRequest";

export type { IpcError };

/** Normalises whatever `invoke` rejected with into the backend's error shape. */
export function toIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as IpcError;
  // Tauri's own failures (unknown command, bad arguments, denied by the ACL) are plain strings.
  return { code: "INTERNAL", message: typeof e === "string" ? e : String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const connectSandbox = () => call<ConnectionInfo>("connect_sandbox");
export const listClusters = () => call<ClusterSummary[]>("list_clusters");
export const suggestSetup = (clusterId: string) => call<SetupRequest>("suggest_setup", { clusterId });
export const planSetup = (request: SetupRequest) => call<Plan>("plan_setup", { request });
export const cancelApply = () => call<null>("cancel_apply");
export const cmekStatus = (clusterId: string) => call<CmekClusterInfo>("cmek_status", { clusterId });

/** Applies a reviewed plan; `onEvent` receives every progress event in order. */
export function applySetup(plan: Plan, onEvent: (event: ApplyEvent) => void): Promise<ApplyResult> {
  const channel = new Channel<ApplyEvent>(onEvent);
  return call<ApplyResult>("apply_setup", { plan, onEvent: channel });
}
