// What the UI does with each error code. It never parses `message`; it shows it as-is
// (messages are safe to show by contract) and picks a title and an action from `code`.
import type { ErrorCode } from "./bindings/ErrorCode";

/** What a banner can offer the user; the screen decides which ones it can perform. */
export type ErrorAction = "retry" | "reconnect" | "chooseCluster" | "fixInput" | "none";

interface CodeInfo {
  title: string;
  hint?: string;
  action: ErrorAction;
}

const INFO: Record<ErrorCode, CodeInfo> = {
  INVALID_INPUT: { title: "Check the form", action: "fixInput" },
  INVALID_ARGUMENT: { title: "The service rejected a value", action: "fixInput" },
  UNAUTHENTICATED: { title: "Not connected", hint: "Connect again to continue.", action: "reconnect" },
  PERMISSION_DENIED: {
    title: "Permission denied",
    hint: "Ask a project owner to grant the missing permission, then try again.",
    action: "retry",
  },
  SERVICE_DISABLED: { title: "A Google API is disabled in the project", action: "retry" },
  NOT_FOUND: { title: "Not found", action: "retry" },
  ALREADY_EXISTS: { title: "Already exists", action: "retry" },
  CONFLICT: { title: "Changed by someone else", hint: "The policy changed meanwhile; trying again is safe.", action: "retry" },
  FAILED_PRECONDITION: { title: "Not possible in the current state", action: "retry" },
  MEMBER_NOT_FOUND: { title: "Unknown IAM member", hint: "New service accounts can take a minute to appear.", action: "retry" },
  ORG_POLICY_VIOLATION: { title: "Blocked by an organization policy", action: "none" },
  RATE_LIMITED: { title: "Rate limited", hint: "Wait a moment, then try again.", action: "retry" },
  UNAVAILABLE: { title: "Service unavailable", hint: "Trying again is safe.", action: "retry" },
  NOT_ELIGIBLE: { title: "This cluster cannot use CMEK", action: "chooseCluster" },
  CMEK_FAILED: { title: "CockroachDB could not enable CMEK", action: "retry" },
  TIMEOUT: { title: "Timed out", hint: "The change may still complete; trying again is safe.", action: "retry" },
  CANCELLED: { title: "Stopped", hint: "Everything done so far stays; applying again continues from there.", action: "retry" },
  KEYCHAIN: { title: "Keychain unavailable", action: "none" },
  SIGN_IN: { title: "Sign-in failed", action: "reconnect" },
  INTERNAL: { title: "Unexpected error", action: "none" },
};

/**
 * Where the error came from. `credentials`: the user just offered a credential (a key file,
 * ADC, gcloud, a Google sign-in, a CockroachDB API key) and it was refused: the backend's
 * message says why (e.g. the file that was not found), so no generic "connect again" hint
 * replaces or buries it.
 */
export type ErrorContext = "credentials";

const CREDENTIALS: Partial<Record<ErrorCode, CodeInfo>> = {
  UNAUTHENTICATED: { title: "These credentials cannot be used", action: "fixInput" },
  SIGN_IN: { title: "Sign-in failed", action: "fixInput" },
};

export function describeError(code: ErrorCode, context?: ErrorContext): CodeInfo {
  return (context === "credentials" ? CREDENTIALS[code] : undefined) ?? INFO[code] ?? INFO.INTERNAL;
}
