//! [`TokenSource`]: a Google access token kept in memory only, refreshed ahead of expiry
//! from the refresh token (RFC 6749 §6), and sign-out by revocation (RFC 7009).

use crate::config::OAuthConfig;
use crate::error::{AuthError, AuthErrorKind};
use crate::flow::SignedIn;
use crate::token::OAuthClient;
use cmek_core::Secret;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// Refresh this long before `expires_at` (Google tokens live ~3600 s; gcp_auth uses 20 s).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

enum State {
    Empty,
    Cached {
        token: Secret,
        expires_at: OffsetDateTime,
    },
    /// The refresh token is dead (`invalid_grant`/`invalid_rapt`) or signed out: every call
    /// returns this error without contacting Google again (B34: never retry in a loop).
    Dead(AuthError),
}

/// Access tokens for one signed-in user. Share it behind an `Arc`; calls serialise on an
/// internal lock so concurrent callers trigger a single refresh.
pub struct TokenSource {
    client: OAuthClient,
    refresh_token: Secret,
    margin: Duration,
    state: Mutex<State>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// From a refresh token read from the keychain; the first call refreshes.
    pub fn new(config: OAuthConfig, refresh_token: Secret) -> Self {
        Self {
            client: OAuthClient::new(config),
            refresh_token,
            margin: DEFAULT_REFRESH_MARGIN,
            state: Mutex::new(State::Empty),
        }
    }

    /// From a fresh sign-in, reusing its access token until it nears expiry.
    pub fn from_signed_in(config: OAuthConfig, signed_in: &SignedIn) -> Self {
        let source = Self::new(config, signed_in.refresh_token.clone());
        *source.state.try_lock().expect("new mutex") = State::Cached {
            token: signed_in.access_token.clone(),
            expires_at: signed_in.expires_at,
        };
        source
    }

    /// Changes how long before expiry a token is refreshed.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// A valid access token, refreshed when it expires within the margin. Errors:
    /// `InvalidGrant`/`InvalidRapt` (then [`AuthError::requires_new_sign_in`]: delete the
    /// stored refresh token and sign in again; later calls fail the same way without a
    /// request), `ClientConfiguration`, `Network`, `InvalidResponse`.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Dead(err) => return Err(err.clone()),
            State::Cached { token, expires_at }
                if *expires_at - self.margin > OffsetDateTime::now_utc() =>
            {
                return Ok(token.clone());
            }
            _ => {}
        }
        match self.client.refresh(&self.refresh_token).await {
            Ok(tokens) => {
                let expires_at = OffsetDateTime::now_utc()
                    + tokens.expires_in.unwrap_or(Duration::from_secs(3600));
                *state = State::Cached {
                    token: tokens.access_token.clone(),
                    expires_at,
                };
                Ok(tokens.access_token)
            }
            Err(err) => {
                if err.requires_new_sign_in() {
                    tracing::warn!(kind = ?err.kind, "refresh token rejected; a new sign-in is required");
                    *state = State::Dead(err.clone());
                }
                Err(err)
            }
        }
    }

    /// When the cached access token expires, if one is cached.
    pub async fn expires_at(&self) -> Option<OffsetDateTime> {
        match &*self.state.lock().await {
            State::Cached { expires_at, .. } => Some(*expires_at),
            _ => None,
        }
    }

    /// Signs out: revokes the refresh token at the revoke endpoint (which kills its access
    /// tokens too) and forgets the cached token. The caller deletes the keychain entry
    /// whatever the result. Later [`TokenSource::access_token`] calls fail with `InvalidGrant`.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        *state = State::Dead(AuthError::new(
            AuthErrorKind::InvalidGrant,
            "Signed out of Google. Sign in again.",
        ));
        self.client.revoke(&self.refresh_token).await
    }
}
