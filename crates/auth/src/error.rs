//! Sign-in failures: a closed [`AuthErrorKind`] the app switches on, mapped to
//! [`cmek_core::ErrorCode`] in one place ([`From<AuthError> for cmek_core::Error`]).
//!
//! OAuth error strings come from RFC 6749 §4.1.2.1 / §5.2 and Google's token endpoint
//! (gcp-apis.md §9). Messages are safe to show: no tokens, codes, verifiers or raw bodies.

use cmek_core::ErrorCode;

/// Which sign-in failure happened. Each has its own message and `ErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthErrorKind {
    /// No OAuth client configured (client id missing) → `InvalidInput`.
    NotConfigured,
    /// Could not bind the loopback listener on 127.0.0.1 (B30) → `SignIn`.
    PortBind,
    /// The user declined consent (`error=access_denied`) → `SignIn`.
    AccessDenied,
    /// `invalid_grant`: code reused/expired, PKCE mismatch, or refresh token expired/revoked
    /// (B34). The caller must drop the stored refresh token and never retry → `Unauthenticated`.
    InvalidGrant,
    /// `invalid_grant` with subtype `invalid_rapt`: Google Cloud session control demands a new
    /// sign-in → `Unauthenticated`.
    InvalidRapt,
    /// `invalid_client`, `unauthorized_client`, `redirect_uri_mismatch` or `invalid_request`:
    /// the OAuth client is not a "Desktop app" client or is misconfigured (B36) → `SignIn`.
    ClientConfiguration,
    /// Any other OAuth error from the provider → `SignIn`.
    Provider,
    /// No callback within the timeout (B33) → `Timeout`.
    Timeout,
    /// The user cancelled the sign-in → `Cancelled`.
    Cancelled,
    /// The provider was unreachable or answered 5xx → `Unavailable`.
    Network,
    /// The provider answered something we do not understand → `Internal`.
    InvalidResponse,
    /// Existing Google credentials (key file, ADC, gcloud) could not be used → `Unauthenticated`.
    Credentials,
}

/// A sign-in failure: its kind, a message safe to show, and the HTTP status if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct AuthError {
    pub kind: AuthErrorKind,
    pub message: String,
    pub http_status: Option<u16>,
}

impl AuthError {
    pub fn new(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            http_status: None,
        }
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// True when the stored refresh token is dead: delete it from the keychain and ask the
    /// user to sign in again (B34). Never retry these in a loop.
    pub fn requires_new_sign_in(&self) -> bool {
        matches!(
            self.kind,
            AuthErrorKind::InvalidGrant | AuthErrorKind::InvalidRapt
        )
    }

    /// The `ErrorCode` the UI switches on.
    pub fn code(&self) -> ErrorCode {
        use AuthErrorKind as K;
        match self.kind {
            K::NotConfigured => ErrorCode::InvalidInput,
            K::PortBind | K::AccessDenied | K::ClientConfiguration | K::Provider => {
                ErrorCode::SignIn
            }
            K::InvalidGrant | K::InvalidRapt | K::Credentials => ErrorCode::Unauthenticated,
            K::Timeout => ErrorCode::Timeout,
            K::Cancelled => ErrorCode::Cancelled,
            K::Network => ErrorCode::Unavailable,
            K::InvalidResponse => ErrorCode::Internal,
        }
    }
}

impl From<AuthError> for cmek_core::Error {
    fn from(e: AuthError) -> Self {
        let code = e.code();
        let err = cmek_core::Error::new(code, e.message);
        match e.http_status {
            Some(s) => err.with_status(s),
            None => err,
        }
    }
}

/// Where an OAuth error string was received; it changes the advice for `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// `error=` on the loopback redirect.
    Authorize,
    /// Token endpoint, `grant_type=authorization_code`.
    Exchange,
    /// Token endpoint, `grant_type=refresh_token`.
    Refresh,
}

/// Maps an OAuth `error` (+ Google's `error_subtype`) to an [`AuthError`].
pub(crate) fn classify(
    stage: Stage,
    error: &str,
    subtype: Option<&str>,
    description: Option<&str>,
) -> AuthError {
    use AuthErrorKind as K;
    let rapt =
        subtype == Some("invalid_rapt") || description.is_some_and(|d| d.contains("invalid_rapt"));
    let code = sanitize(error);
    match error {
        "invalid_grant" if rapt => AuthError::new(
            K::InvalidRapt,
            "Google asks you to sign in again (invalid_rapt): your Google Workspace administrator \
             requires periodic re-authentication for Google Cloud (Google Cloud session control). \
             Sign in again.",
        ),
        "invalid_grant" if stage == Stage::Refresh => AuthError::new(
            K::InvalidGrant,
            "Your Google sign-in has expired or was revoked (invalid_grant). Sign in again. If \
             this happens about 7 days after each sign-in, the app's OAuth consent screen is in \
             Testing publishing status, whose refresh tokens expire after 7 days; publish it \
             (In production) to lift that limit.",
        ),
        "invalid_grant" => AuthError::new(
            K::InvalidGrant,
            "Google rejected the sign-in code (invalid_grant: expired, already used, or the PKCE \
             verifier did not match). Start the sign-in again.",
        ),
        "access_denied" => AuthError::new(
            K::AccessDenied,
            "Sign-in was declined in the browser (access_denied). CMEK Desk needs the requested \
             access to manage your keys; sign in again and allow it.",
        ),
        "invalid_client" | "unauthorized_client" | "redirect_uri_mismatch" | "invalid_request" => {
            AuthError::new(
                K::ClientConfiguration,
                format!(
                "The OAuth client is misconfigured ({code}). CMEK Desk needs an OAuth client of \
                 type \"Desktop app\" (loopback redirects are refused for other types); check \
                 CMEK_DESK_OAUTH_CLIENT_ID / CMEK_DESK_OAUTH_CLIENT_SECRET or oauth-client.json."
            ),
            )
        }
        _ => AuthError::new(
            K::Provider,
            format!(
                "Google sign-in failed ({code}{}).",
                match stage {
                    Stage::Authorize => " in the browser",
                    Stage::Exchange => " while exchanging the code",
                    Stage::Refresh => " while refreshing the access token",
                }
            ),
        ),
    }
}

/// Keeps an OAuth error string to `[a-z0-9_]`, at most 64 characters, so a hostile callback
/// cannot inject text into the UI.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b34_invalid_grant_on_refresh_names_the_testing_7_day_limit() {
        let e = classify(Stage::Refresh, "invalid_grant", None, None);
        assert_eq!(e.kind, AuthErrorKind::InvalidGrant);
        assert!(e.requires_new_sign_in());
        assert!(e.message.contains("7 days") && e.message.contains("Testing"));
        assert_eq!(cmek_core::Error::from(e).code, ErrorCode::Unauthenticated);
    }

    #[test]
    fn invalid_rapt_is_its_own_kind() {
        let e = classify(Stage::Refresh, "invalid_grant", Some("invalid_rapt"), None);
        assert_eq!(e.kind, AuthErrorKind::InvalidRapt);
        let e = classify(
            Stage::Refresh,
            "invalid_grant",
            None,
            Some("reauth related error (invalid_rapt)"),
        );
        assert_eq!(e.kind, AuthErrorKind::InvalidRapt);
        assert!(e.requires_new_sign_in());
    }

    #[test]
    fn b36_client_errors_are_client_configuration() {
        for err in [
            "invalid_client",
            "invalid_request",
            "unauthorized_client",
            "redirect_uri_mismatch",
        ] {
            let e = classify(Stage::Exchange, err, None, None);
            assert_eq!(e.kind, AuthErrorKind::ClientConfiguration, "{err}");
            assert!(e.message.contains("Desktop app"));
            assert!(!e.requires_new_sign_in());
        }
    }

    #[test]
    fn unknown_errors_are_sanitized() {
        let e = classify(Stage::Authorize, "<script>alert(1)</script>", None, None);
        assert_eq!(e.kind, AuthErrorKind::Provider);
        assert!(!e.message.contains('<'));
    }
}
