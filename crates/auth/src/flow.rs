//! Interactive Google sign-in for a desktop app: loopback redirect + PKCE (RFC 8252, RFC 7636;
//! gcp-apis.md §9; field reports B30, B32, B33, B36, B37).
//!
//! [`start_sign_in`] binds `127.0.0.1:0`, has the `oauth2` crate make the PKCE pair (S256),
//! the `state` and the authorization URL, and asks a [`BrowserOpener`] to open it.
//! [`PendingSignIn::wait`] then serves the browser's redirect (`loopback`, on axum): the first
//! `GET /?code=..&state=..` whose `state` is this flow's is exchanged for tokens with the
//! verifier (`token`, on oauth2), its browser tab gets the outcome, and the listener is
//! closed (so a replayed callback finds no one listening).

use crate::cancel::Cancellation;
use crate::config::OAuthConfig;
use crate::error::{classify, AuthError, AuthErrorKind, Stage};
use crate::loopback::{self, Page, Redirect};
use crate::token::{id_token_email, not_configured, OAuthClient};
use axum::http::StatusCode;
use cmek_core::Secret;
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};
use std::borrow::Cow;
use std::net::TcpListener;
use std::time::Duration;
use time::OffsetDateTime;

/// Opens a URL in the system browser (not an embedded webview: Google blocks those).
/// The app implements it with `tauri_plugin_opener`; tests capture the URL.
pub trait BrowserOpener: Send + Sync {
    /// Opens `url`; `Err` carries a reason safe to show (B33: the URL is then shown to copy).
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The result of a completed sign-in. Store `refresh_token` in the keychain; keep
/// `access_token` in memory only (hand both to [`crate::TokenSource::from_signed_in`]).
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The Google account's email (ID token `email` claim, else the userinfo endpoint).
    pub email: Option<String>,
    pub refresh_token: Secret,
    pub access_token: Secret,
    /// When `access_token` expires (now + `expires_in`, UTC).
    pub expires_at: OffsetDateTime,
}

/// A started sign-in, waiting for the browser's redirect. Single use: [`PendingSignIn::wait`]
/// consumes it, and its `state` and PKCE verifier die with it (B37).
pub struct PendingSignIn {
    listener: TcpListener,
    client: OAuthClient,
    redirect_uri: RedirectUrl,
    authorization_url: String,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    browser_error: Option<String>,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("browser_error", &self.browser_error)
            .finish_non_exhaustive()
    }
}

/// Starts a sign-in: binds `127.0.0.1:0` (the OS picks a free port, so a busy port such as
/// 8080 never matters — B30), builds the authorization URL with `redirect_uri =
/// http://127.0.0.1:{port}/`, `response_type=code`, the scopes, `code_challenge` (S256),
/// `state`, `access_type=offline` and `prompt=consent` (so Google always returns a refresh
/// token), then asks `opener` to open it. A failing opener is not an error: the URL stays
/// available from [`PendingSignIn::authorization_url`] for the user to copy (B33).
///
/// Errors: `NotConfigured` without a client id or with an invalid authorization URL;
/// `PortBind` when 127.0.0.1 cannot be bound.
pub fn start_sign_in(
    config: &OAuthConfig,
    opener: &dyn BrowserOpener,
) -> Result<PendingSignIn, AuthError> {
    if config.client_id.trim().is_empty() {
        return Err(AuthError::new(
            AuthErrorKind::NotConfigured,
            "No OAuth client id is configured.",
        ));
    }
    let listener = loopback::bind()?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::new(AuthErrorKind::PortBind, e.to_string()))?
        .port();
    let redirect_uri = RedirectUrl::new(format!("http://127.0.0.1:{port}/"))
        .expect("a loopback URL with a port is a valid URL");
    let client = OAuthClient::new(config.clone());
    // 32 random bytes each: a 43-character verifier (RFC 7636 §4.1) and state.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .oauth()
        .authorize_url(|| CsrfToken::new_random_len(32))
        .map_err(not_configured)?
        .set_redirect_uri(Cow::Borrowed(&redirect_uri))
        .add_scopes(config.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("access_type", "offline")
        .add_extra_param("prompt", "consent")
        .url();
    let authorization_url = client_id_first(url);
    let browser_error = opener.open(&authorization_url).err();
    if let Some(reason) = &browser_error {
        tracing::warn!(%reason, "could not open the system browser; the sign-in URL is shown to copy");
    }
    tracing::info!(port, "sign-in started; waiting for the loopback redirect");
    Ok(PendingSignIn {
        listener,
        client,
        redirect_uri,
        authorization_url,
        state,
        verifier,
        browser_error,
    })
}

/// Puts `client_id` first in the authorization URL's query (oauth2 starts with
/// `response_type`), so the URL a user is shown to copy starts with the client it signs in to.
fn client_id_first(mut url: url::Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort_by_key(|(k, _)| k != "client_id");
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

impl PendingSignIn {
    /// The URL to show for copying when the browser did not open (it holds no secret:
    /// the challenge is public and `state` is single-use).
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// `http://127.0.0.1:{port}/`.
    pub fn redirect_uri(&self) -> &str {
        self.redirect_uri.as_str()
    }

    /// The OS-chosen loopback port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Why the browser could not be opened, if it could not (B33): show the URL to copy.
    pub fn browser_error(&self) -> Option<&str> {
        self.browser_error.as_deref()
    }

    /// Waits up to `timeout` for the redirect, or until `cancel` fires, then exchanges the
    /// code. Callbacks with a missing or foreign `state`, other paths and non-GET methods get
    /// an error page and are otherwise ignored (B30, B37); the first matching callback ends
    /// the wait (B32), and the listener is closed before this returns. Errors: `Timeout`,
    /// `Cancelled`, `AccessDenied`, `InvalidGrant`, `ClientConfiguration`, `Provider`,
    /// `Network`, `InvalidResponse`.
    pub async fn wait(
        self,
        timeout: Duration,
        cancel: &Cancellation,
    ) -> Result<SignedIn, AuthError> {
        let Self {
            listener,
            client,
            redirect_uri,
            state,
            verifier,
            ..
        } = self;
        let (server, callback) = loopback::serve(listener, state)?;
        let callback = tokio::select! {
            callback = callback => callback.map_err(|_| AuthError::new(
                AuthErrorKind::PortBind,
                "The sign-in listener stopped unexpectedly. Start the sign-in again.",
            )),
            _ = tokio::time::sleep(timeout) => Err(AuthError::new(
                AuthErrorKind::Timeout,
                format!("No answer from the browser within {} s. Open the sign-in link again, or cancel.", timeout.as_secs()),
            )),
            _ = cancel.cancelled() => Err(AuthError::new(AuthErrorKind::Cancelled, "Sign-in was cancelled.")),
        };
        let result = match callback {
            Err(e) => Err(e),
            Ok(callback) => {
                let (result, page) = match &callback.redirect {
                    Redirect::Error { error, description } => {
                        let err = classify(Stage::Authorize, error, None, description.as_deref());
                        let body = if err.kind == AuthErrorKind::AccessDenied {
                            "You declined access, so CMEK Desk is not signed in. You can close this tab and try again from CMEK Desk."
                        } else {
                            "Google reported an error. You can close this tab; CMEK Desk shows the details."
                        };
                        (
                            Err(err),
                            Page::new(StatusCode::OK, "Sign-in not completed", body),
                        )
                    }
                    Redirect::Code(code) => {
                        let result = exchange(&client, code.clone(), verifier, &redirect_uri).await;
                        let page = match &result {
                            Ok(_) => Page::new(
                                StatusCode::OK,
                                "Signed in",
                                "You can close this tab and return to CMEK Desk.",
                            ),
                            Err(e) => {
                                Page::new(StatusCode::OK, "Sign-in failed", e.message.clone())
                            }
                        };
                        (result, page)
                    }
                };
                callback.answer(page);
                result
            }
        };
        server.shutdown().await;
        result
    }
}

async fn exchange(
    client: &OAuthClient,
    code: oauth2::AuthorizationCode,
    verifier: PkceCodeVerifier,
    redirect_uri: &RedirectUrl,
) -> Result<SignedIn, AuthError> {
    let tokens = client.exchange_code(code, verifier, redirect_uri).await?;
    let refresh_token = tokens.refresh_token.ok_or_else(|| {
        AuthError::new(
            AuthErrorKind::InvalidResponse,
            "Google returned no refresh token; sign in again (the app asks for prompt=consent).",
        )
    })?;
    let mut email = tokens.id_token.as_ref().and_then(id_token_email);
    if email.is_none() {
        email = client.userinfo_email(&tokens.access_token).await;
    }
    let expires_at =
        OffsetDateTime::now_utc() + tokens.expires_in.unwrap_or(Duration::from_secs(3600));
    tracing::info!("sign-in completed");
    Ok(SignedIn {
        email,
        refresh_token,
        access_token: tokens.access_token,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoOpener;

    impl BrowserOpener for NoOpener {
        fn open(&self, _url: &str) -> Result<(), String> {
            Ok(())
        }
    }

    fn param(url: &str, name: &str) -> Option<String> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    #[test]
    fn authorization_url_has_client_id_first_and_fresh_pkce_and_state() {
        let config = OAuthConfig::google("id.apps", None);
        let a = start_sign_in(&config, &NoOpener).unwrap();
        let b = start_sign_in(&config, &NoOpener).unwrap();
        let url = a.authorization_url();
        assert!(
            url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?client_id=id.apps&"),
            "{url}"
        );
        for (name, value) in [
            ("response_type", "code"),
            ("code_challenge_method", "S256"),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ] {
            assert_eq!(param(url, name).as_deref(), Some(value), "{name}");
        }
        // 32 random bytes, base64url without padding: 43 characters each (RFC 7636 §4.1-4.2).
        assert_eq!(param(url, "code_challenge").unwrap().len(), 43);
        assert_eq!(param(url, "state").unwrap().len(), 43);
        assert_eq!(a.verifier.secret().len(), 43);
        assert_ne!(
            param(url, "code_challenge"),
            param(b.authorization_url(), "code_challenge")
        );
        assert_ne!(param(url, "state"), param(b.authorization_url(), "state"));
        assert!(!format!("{a:?}").contains(a.state.secret()));
    }

    #[test]
    fn an_invalid_authorization_url_is_not_configured() {
        let mut config = OAuthConfig::google("id.apps", None);
        config.auth_url = "not a url".into();
        let err = start_sign_in(&config, &NoOpener).unwrap_err();
        assert_eq!(err.kind, AuthErrorKind::NotConfigured);
        assert_eq!(
            err.message,
            "The OAuth authorization URL is not a valid URL."
        );
    }

    #[test]
    fn the_sign_in_and_token_futures_are_send() {
        fn send<T: Send>(_: T) {}
        let config = OAuthConfig::google("id.apps", None);
        let cancel = Cancellation::new();
        send(
            start_sign_in(&config, &NoOpener)
                .unwrap()
                .wait(Duration::ZERO, &cancel),
        );
        let tokens = crate::TokenSource::new(config, Secret::new("rt"));
        send(tokens.access_token());
        send(tokens.sign_out());
    }
}
