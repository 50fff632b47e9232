//! The closed set of error codes the UI switches on, and the domain error that carries one.
//!
//! Every adapter (Google clients, CockroachDB client, keychain, OAuth) maps its failures into
//! [`Error`] in exactly one place; the UI decides what to show from [`ErrorCode`] and never
//! parses message text. Messages must be safe to show: no tokens, no raw response bodies.

use serde::Serialize;
use std::time::Duration;
use ts_rs::TS;

/// What went wrong, as a closed set. Add a variant only when a consumer handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum ErrorCode {
    /// Input failed a local rule (names the field and the rule); nothing was sent.
    InvalidInput,
    /// The service rejected the request's arguments (HTTP 400 INVALID_ARGUMENT / OUT_OF_RANGE).
    InvalidArgument,
    /// Credentials missing, expired or revoked (HTTP 401); the user must sign in again.
    Unauthenticated,
    /// The caller lacks a permission (HTTP 403 PERMISSION_DENIED); `permission` names it when known.
    PermissionDenied,
    /// A Google API is disabled in the project (403 with ErrorInfo reason SERVICE_DISABLED).
    ServiceDisabled,
    /// The resource does not exist (HTTP 404).
    NotFound,
    /// The resource already exists (HTTP 409 ALREADY_EXISTS).
    AlreadyExists,
    /// An IAM policy changed between our read and our write (HTTP 409 ABORTED, stale etag).
    Conflict,
    /// The resource is in a state that forbids the call (HTTP 400 FAILED_PRECONDITION).
    FailedPrecondition,
    /// An IAM member names an identity that does not exist (400 "Service account … does not exist").
    MemberNotFound,
    /// An organisation policy (e.g. `iam.allowedPolicyMemberDomains`) rejected a member.
    OrgPolicyViolation,
    /// Quota or rate limit exceeded (HTTP 429 RESOURCE_EXHAUSTED); retry after backoff.
    RateLimited,
    /// The service is temporarily unavailable (HTTP 500/502/503/504) or unreachable.
    Unavailable,
    /// The CockroachDB cluster cannot use CMEK (plan, visibility or state).
    NotEligible,
    /// A CockroachDB CMEK operation ended in a `*_FAILED` status.
    CmekFailed,
    /// A bounded wait ran out (propagation, operation polling, OAuth callback).
    Timeout,
    /// The user cancelled.
    Cancelled,
    /// The OS keychain is unavailable or refused the operation.
    Keychain,
    /// Sign-in failed (OAuth error); the message says which and what to do.
    SignIn,
    /// A bug or an unexpected answer; the message says what was expected.
    Internal,
}

impl ErrorCode {
    /// True for failures that may succeed if the same call is repeated later.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::Unavailable | Self::Conflict | Self::Timeout
        )
    }
}

/// A domain error: a code, a message safe to show, and the facts the UI may need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, serde::Deserialize, TS)]
#[error("{code:?}: {message}")]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// HTTP status of the failing call, when there was one.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The missing IAM permission (e.g. `cloudkms.cryptoKeys.setIamPolicy`), when known.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The resource the error is about (resource name, email or cluster id), when known.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Seconds to wait before retrying (from `Retry-After`), when the server said.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a code and a message and no further facts.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            http_status: None,
            permission: None,
            resource: None,
            retry_after_secs: None,
        }
    }

    /// Local validation failure: names the field and the rule. A request field key
    /// (`layout.location`, `confirm_name`, …) is shown by its label
    /// ([`crate::setup_fields::label_of`]: "Key location: …") and kept in `resource` for the
    /// window to focus; any other `field` is already a label.
    pub fn invalid_input(field: &str, rule: impl std::fmt::Display) -> Self {
        let label = crate::setup_fields::label_of(field);
        Self::new(ErrorCode::InvalidInput, format!("{label}: {rule}")).with_resource(field)
    }

    /// An internal error (a bug or an unexpected answer).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_permission(mut self, permission: impl Into<String>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after_secs = after.map(|d| d.as_secs());
        self
    }

    /// The server's suggested wait, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after_secs.map(Duration::from_secs)
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }

    /// A transport failure: the service could not be reached, or its answer did not arrive in
    /// full (connection refused or reset, time-out). `Unavailable` with no `http_status`, which
    /// is how retry rules tell it from an HTTP 5xx; a write may or may not have been applied.
    pub fn transport(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// True for a [`Error::transport`] failure (`Unavailable` and no HTTP status).
    pub fn is_transport(&self) -> bool {
        self.code == ErrorCode::Unavailable && self.http_status.is_none()
    }

    /// The operation was stopped on request (a cancelled token, "Stop" in the window).
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Cancelled, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_failure_is_unavailable_without_a_status() {
        let t = Error::transport("connection reset");
        assert_eq!(t.code, ErrorCode::Unavailable);
        assert!(t.is_transport());
        assert!(!Error::new(ErrorCode::Unavailable, "x")
            .with_status(503)
            .is_transport());
        assert!(!Error::new(ErrorCode::Timeout, "x").is_transport());
        assert_eq!(Error::cancelled("stop").code, ErrorCode::Cancelled);
    }
}
