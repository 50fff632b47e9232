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
import type { SessionStatus } from "../bindings/SessionStatus";
import type { SignInEvent } from "../bindings/SignInEvent";
import type { CredentialSource } from "../bindings/CredentialSource";

export type { IpcError };

/** Normalises whatever `invoke` rejected with into the backend's error shape. */
export function toIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as IpcError;
  // Tauri's own failures (unknown command, bad arguments, denied by the ACL) are plain strings
  // naming Rust types and commands: refused before the command ran, so nothing was sent. The
  // officer gets that in plain words (issue 11: no serde text reaches a person); the raw text
  // goes to the webview console for a bug report.
  console.error("IPC refused:", e);
  return {
    code: "INTERNAL",
    message:
      "CMEK Desk could not run this action: the window's request was refused before it reached the app, so nothing was sent to Google Cloud, AWS or CockroachDB Cloud. Please report this with the steps that led to it.",
  };
}

// Commands whose UNAUTHENTICATED means "this input was wrong", not "your sign-in died".
const OWN_UNAUTHENTICATED = new Set(["save_cockroach_key", "sign_in_google", "use_google_credentials", "connect_sandbox"]);
const unauthenticatedListeners = new Set<(error: IpcError) => void>();

/** Calls `listener` whenever a command fails because a credential expired or was revoked. */
export function onUnauthenticated(listener: (error: IpcError) => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    const error = toIpcError(e);
    if (error.code === "UNAUTHENTICATED" && !OWN_UNAUTHENTICATED.has(command)) {
      for (const listener of unauthenticatedListeners) listener(error);
    }
    throw error;
  }
}

export const sessionStatus = () => call<SessionStatus>("session_status");
export const cancelSignIn = () => call<null>("cancel_sign_in");
export const useGoogleCredentials = (source: CredentialSource) => call<SessionStatus>("use_google_credentials", { source });
/** The key goes to the backend once; it is validated and kept in the OS keychain, never returned. */
export const saveCockroachKey = (key: string) => call<SessionStatus>("save_cockroach_key", { key });
export const forgetCockroachKey = () => call<SessionStatus>("forget_cockroach_key");
export const signOut = () => call<SessionStatus>("sign_out");
export const connectLive = () => call<ConnectionInfo>("connect_live");

/** Google sign-in in the system browser; `onEvent` gets the URL to show while waiting. */
export function signInGoogle(onEvent: (event: SignInEvent) => void): Promise<SessionStatus> {
  const channel = new Channel<SignInEvent>(onEvent);
  return call<SessionStatus>("sign_in_google", { onEvent: channel });
}

export const connectSandbox = () => call<ConnectionInfo>("connect_sandbox");
export const listClusters = () => call<ClusterSummary[]>("list_clusters");
export const suggestSetup = (clusterId: string) => call<SetupRequest>("suggest_setup", { clusterId });
export const planSetup = (request: SetupRequest) => call<Plan>("plan_setup", { request });
export const cancelApply = () => call<null>("cancel_apply");
export const cmekStatus = (clusterId: string) => call<CmekClusterInfo>("cmek_status", { clusterId });

/** Applies the reviewed plan the backend holds as `planId` (the plan itself is never sent back);
 *  `onEvent` receives every progress event in order. */
export function applySetup(planId: string, onEvent: (event: ApplyEvent) => void): Promise<ApplyResult> {
  const channel = new Channel<ApplyEvent>(onEvent);
  return call<ApplyResult>("apply_setup", { planId, onEvent: channel });
}

// Revoke, recover, key actions and the activity log (issue #5).
import type { RevokePreview } from "../bindings/RevokePreview";
import type { RevokeRequest } from "../bindings/RevokeRequest";
import type { RevokeReport } from "../bindings/RevokeReport";
import type { RevokeEvent } from "../bindings/RevokeEvent";
import type { RecoverReport } from "../bindings/RecoverReport";
import type { KeyPreview } from "../bindings/KeyPreview";
import type { KeyActionReport } from "../bindings/KeyActionReport";
import type { ActivityEntry } from "../bindings/ActivityEntry";
import type { ActivityRow } from "../bindings/ActivityRow";
import type { PendingOperation } from "../bindings/PendingOperation";
import type { ChainVerification } from "../bindings/ChainVerification";
import type { ExportFormat } from "../bindings/ExportFormat";

export const previewRevoke = (clusterId: string) => call<RevokePreview>("preview_revoke", { clusterId });
export const cancelRevoke = () => call<null>("cancel_revoke");
export const previewKey = (key: string) => call<KeyPreview>("preview_key", { key });
export const activityEntries = () => call<ActivityEntry[]>("activity_entries");
/** The log as the Activity screen shows it: one row per write with its final state. */
export const activityRows = () => call<ActivityRow[]>("activity_rows");
export const pendingOperations = () => call<PendingOperation[]>("pending_operations");
export const verifyActivity = () => call<ChainVerification>("verify_activity");
/** Writes the log into the export folder (`cmek-activity-YYYYMMDD-HHMMSSZ.json|csv`); resolves with the file's path. */
export const exportActivity = (format: ExportFormat) => call<string>("export_activity", { format });

/** Revokes CMEK for a cluster (`confirmName` must be its name); `onEvent` gets every step. */
export function revokeCluster(request: RevokeRequest, onEvent: (event: RevokeEvent) => void): Promise<RevokeReport> {
  return call<RevokeReport>("revoke_cluster", { request, onEvent: new Channel<RevokeEvent>(onEvent) });
}
/** Finishes a revocation a crash interrupted. */
export function resumeRevoke(operationId: string, onEvent: (event: RevokeEvent) => void): Promise<RevokeReport> {
  return call<RevokeReport>("resume_revoke", { operationId, onEvent: new Channel<RevokeEvent>(onEvent) });
}
/** Restores exactly what revocation `operationId` removed (also rolls back an interrupted one). */
export function recoverRevoke(operationId: string, onEvent: (event: RevokeEvent) => void): Promise<RecoverReport> {
  return call<RecoverReport>("recover_revoke", { operationId, onEvent: new Channel<RevokeEvent>(onEvent) });
}
export function disableKeyVersions(key: string, confirmKey: string, onEvent: (event: RevokeEvent) => void): Promise<KeyActionReport> {
  return call<KeyActionReport>("disable_key_versions", { key, confirmKey, onEvent: new Channel<RevokeEvent>(onEvent) });
}
export function restoreKeyVersions(key: string, confirmKey: string, enableAfter: boolean, onEvent: (event: RevokeEvent) => void): Promise<KeyActionReport> {
  return call<KeyActionReport>("restore_key_versions", { key, confirmKey, enableAfter, onEvent: new Channel<RevokeEvent>(onEvent) });
}

// Visual audit of existing keys (issue #4).
import type { AuditReport } from "../bindings/AuditReport";
import type { ScanEvent } from "../bindings/ScanEvent";
import type { ScanOptions } from "../bindings/ScanOptions";
import type { AuditExportFormat } from "../bindings/AuditExportFormat";

/** Scans the chosen projects; `onEvent` gets the progress per project. Resolves with the report (partial if cancelled). */
export function startAudit(options: ScanOptions, onEvent: (event: ScanEvent) => void): Promise<AuditReport> {
  return call<AuditReport>("start_audit", { options, onEvent: new Channel<ScanEvent>(onEvent) });
}
export const cancelAudit = () => call<null>("cancel_audit");
/** Writes the last report in `format` into the export folder; resolves with the file's path. */
export const exportAudit = (format: AuditExportFormat) => call<string>("export_audit", { format });

// Day two: rotate to a new key, add a region (issue #10). Both plans are applied by id with
// apply_setup, like a first setup.
import type { RotationRequest } from "../bindings/RotationRequest";
import type { AddRegionRequest } from "../bindings/AddRegionRequest";
import type { ActionAvailability } from "../bindings/ActionAvailability";

/** A rotation prefilled for a CMEK cluster: the same project and service account, a new key id. */
export const suggestRotation = (clusterId: string) => call<RotationRequest>("suggest_rotation", { clusterId });
export const planRotation = (request: RotationRequest) => call<Plan>("plan_rotation", { request });
export const planAddRegion = (request: AddRegionRequest) => call<Plan>("plan_add_region", { request });
/** What the officer may do on a cluster now, and why not otherwise (the CMEK state machine). */
export const allowedActions = (clusterId: string) => call<ActionAvailability[]>("allowed_actions", { clusterId });

// AWS clusters (issue #9): the cross-account role and KMS keys.
import type { AwsSetupRequest } from "../bindings/AwsSetupRequest";
import type { AwsPlan } from "../bindings/AwsPlan";

export const suggestAwsSetup = (clusterId: string) => call<AwsSetupRequest>("suggest_aws_setup", { clusterId });
export const planAwsSetup = (request: AwsSetupRequest) => call<AwsPlan>("plan_aws_setup", { request });
/** Applies the AWS plan the backend holds as `planId`; `onEvent` receives every progress event. */
export function applyAwsSetup(planId: string, onEvent: (event: ApplyEvent) => void): Promise<ApplyResult> {
  return call<ApplyResult>("apply_aws_setup", { planId, onEvent: new Channel<ApplyEvent>(onEvent) });
}

// Drift (issue #10): fix one finding by its id and the typed confirmation.
import type { DriftFixRequest } from "../bindings/DriftFixRequest";
import type { DriftFixReport } from "../bindings/DriftFixReport";

export function remediateDrift(request: DriftFixRequest, onEvent: (event: RevokeEvent) => void): Promise<DriftFixReport> {
  return call<DriftFixReport>("remediate_drift", { request, onEvent: new Channel<RevokeEvent>(onEvent) });
}

// Navigation (issue 11): leave the connection; open a CockroachDB docs page in the system browser.
/** Forgets the current connection (the keychain keeps the credentials). */
export const disconnect = () => call<null>("disconnect");
/** Opens a page under https://www.cockroachlabs.com/docs/ in the system browser. */
export const openDocs = (url: string) => call<null>("open_docs", { url });
