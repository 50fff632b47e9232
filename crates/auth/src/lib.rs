//! CMEK Desk sign-in, free of Tauri.
//!
//! - Interactive Google sign-in for a desktop app ([`start_sign_in`], [`PendingSignIn`]):
//!   loopback redirect on `127.0.0.1:0` + PKCE S256 + `state` (RFC 8252, RFC 7636).
//! - [`TokenSource`]: access tokens in memory, refreshed from the refresh token; sign-out.
//! - Existing Google credentials through `gcp_auth` ([`GoogleCredentialSource`]).
//! - CockroachDB Cloud API key validation ([`validate_api_key`]).
//!
//! PKCE, `state`, the authorization URL and the token endpoints (exchange, refresh,
//! revocation) go through the `oauth2` crate; the loopback listener is an axum server.
//!
//! Errors are [`AuthError`] with a closed [`AuthErrorKind`]; `?` turns them into
//! [`cmek_core::Error`]. Secrets are [`cmek_core::Secret`] everywhere; nothing logs them.
//! Keeping the refresh token is the caller's job (`cmek-keychain`).

mod cancel;
mod cockroach;
mod config;
mod error;
mod flow;
mod google;
mod loopback;
mod token;
mod token_source;
mod transport;

pub use cancel::Cancellation;
pub use cockroach::{validate_api_key, COCKROACH_API_VERSION, COCKROACH_CLOUD_URL};
pub use config::{
    OAuthConfig, CONFIG_FILE, ENV_CLIENT_ID, ENV_CLIENT_SECRET, GOOGLE_AUTH_URL, GOOGLE_REVOKE_URL,
    GOOGLE_SCOPES, GOOGLE_TOKEN_URL, GOOGLE_USERINFO_URL,
};
pub use error::{AuthError, AuthErrorKind};
pub use flow::{start_sign_in, BrowserOpener, PendingSignIn, SignedIn};
pub use google::{
    resolve_google_credentials, GoogleCredentialSource, GoogleCredentials, CLOUD_PLATFORM_SCOPE,
};
pub use token_source::{TokenSource, DEFAULT_REFRESH_MARGIN};
