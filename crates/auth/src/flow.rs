//! Interactive Google sign-in for a desktop app: loopback redirect + PKCE (RFC 8252, RFC 7636;
//! gcp-apis.md §9; field reports B30, B32, B33, B36, B37).
//!
//! [`start_sign_in`] binds `127.0.0.1:0`, makes the PKCE pair and `state`, builds the
//! authorization URL and asks a [`BrowserOpener`] to open it. [`PendingSignIn::wait`] then
//! serves the browser's redirect: it accepts exactly one `GET /?code=..&state=..` whose
//! `state` is this flow's, exchanges the code with the verifier, answers the browser, and
//! closes the listener (so a replayed callback finds no one listening).

use crate::cancel::Cancellation;
use crate::config::OAuthConfig;
use crate::error::{classify, AuthError, AuthErrorKind, Stage};
use crate::loopback::{read_request, respond, READ_TIMEOUT};
use crate::pkce::{random_urlsafe, Pkce};
use crate::token::{id_token_email, OAuthClient};
use cmek_core::Secret;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
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
    redirect_uri: String,
    authorization_url: String,
    state: Secret,
    verifier: Secret,
    browser_error: Option<String>,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("redirect_uri", &self.redirect_uri)
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
/// Errors: `NotConfigured` without a client id; `PortBind` when 127.0.0.1 cannot be bound.
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
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).map_err(|e| {
        AuthError::new(
            AuthErrorKind::PortBind,
            format!("Cannot listen on 127.0.0.1 for the sign-in redirect ({e}). Check that the loopback interface is up and not blocked by a firewall or sandbox."),
        )
    })?;
    listener.set_nonblocking(true).map_err(|e| {
        AuthError::new(
            AuthErrorKind::PortBind,
            format!("Cannot configure the sign-in listener ({e})."),
        )
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::new(AuthErrorKind::PortBind, e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/");
    let pkce = Pkce::new();
    let state = Secret::new(random_urlsafe(32));
    let mut url = url::Url::parse(&config.auth_url).map_err(|_| {
        AuthError::new(
            AuthErrorKind::NotConfigured,
            "The OAuth authorization URL is not a valid URL.",
        )
    })?;
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &config.scopes.join(" "))
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", state.expose())
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent");
    let authorization_url = url.to_string();
    let browser_error = opener.open(&authorization_url).err();
    if let Some(reason) = &browser_error {
        tracing::warn!(%reason, "could not open the system browser; the sign-in URL is shown to copy");
    }
    tracing::info!(port, "sign-in started; waiting for the loopback redirect");
    Ok(PendingSignIn {
        listener,
        client: OAuthClient::new(config.clone()),
        redirect_uri,
        authorization_url,
        state,
        verifier: pkce.verifier,
        browser_error,
    })
}

impl PendingSignIn {
    /// The URL to show for copying when the browser did not open (it holds no secret:
    /// the challenge is public and `state` is single-use).
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// `http://127.0.0.1:{port}/`.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
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
    /// the wait (B32). Errors: `Timeout`, `Cancelled`, `AccessDenied`, `InvalidGrant`,
    /// `ClientConfiguration`, `Provider`, `Network`, `InvalidResponse`.
    pub async fn wait(
        self,
        timeout: Duration,
        cancel: &Cancellation,
    ) -> Result<SignedIn, AuthError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let listener =
            tokio::net::TcpListener::from_std(self.listener.try_clone().map_err(bind_err)?)
                .map_err(bind_err)?;
        loop {
            let mut stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                _ = tokio::time::sleep_until(deadline) => return Err(AuthError::new(
                    AuthErrorKind::Timeout,
                    format!("No answer from the browser within {} s. Open the sign-in link again, or cancel.", timeout.as_secs()),
                )),
                _ = cancel.cancelled() => return Err(AuthError::new(AuthErrorKind::Cancelled, "Sign-in was cancelled.")),
            };
            let read_for =
                READ_TIMEOUT.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            let Ok(Some(req)) = tokio::time::timeout(read_for, read_request(&mut stream)).await
            else {
                continue;
            };
            if req.method != "GET" {
                respond(
                    &mut stream,
                    "405 Method Not Allowed",
                    "Not allowed",
                    "This address only accepts the browser's sign-in redirect.",
                )
                .await;
                continue;
            }
            if req.path != "/" {
                respond(&mut stream, "404 Not Found", "Not found", "Nothing here.").await;
                continue;
            }
            if req.param("state") != Some(self.state.expose()) {
                tracing::warn!(
                    "ignored a loopback callback whose state does not match this sign-in"
                );
                respond(&mut stream, "400 Bad Request", "Unknown sign-in", "This link does not belong to the sign-in in progress. Return to CMEK Desk and start the sign-in there.").await;
                continue;
            }
            if let Some(error) = req.param("error") {
                let err = classify(
                    Stage::Authorize,
                    error,
                    None,
                    req.param("error_description"),
                );
                let body = if err.kind == AuthErrorKind::AccessDenied {
                    "You declined access, so CMEK Desk is not signed in. You can close this tab and try again from CMEK Desk."
                } else {
                    "Google reported an error. You can close this tab; CMEK Desk shows the details."
                };
                respond(&mut stream, "200 OK", "Sign-in not completed", body).await;
                return Err(err);
            }
            let Some(code) = req.param("code").map(Secret::new) else {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Missing code",
                    "The redirect carried no authorization code.",
                )
                .await;
                continue;
            };
            let result = self.exchange(&code).await;
            match &result {
                Ok(_) => {
                    respond(
                        &mut stream,
                        "200 OK",
                        "Signed in",
                        "You can close this tab and return to CMEK Desk.",
                    )
                    .await
                }
                Err(e) => {
                    respond(
                        &mut stream,
                        "200 OK",
                        "Sign-in failed",
                        &html_escape(&e.message),
                    )
                    .await
                }
            }
            return result;
        }
    }

    async fn exchange(&self, code: &Secret) -> Result<SignedIn, AuthError> {
        let tokens = self
            .client
            .exchange_code(code, &self.verifier, &self.redirect_uri)
            .await?;
        let refresh_token = tokens.refresh_token.ok_or_else(|| {
            AuthError::new(AuthErrorKind::InvalidResponse, "Google returned no refresh token; sign in again (the app asks for prompt=consent).")
        })?;
        let mut email = tokens.id_token.as_ref().and_then(id_token_email);
        if email.is_none() {
            email = self
                .client
                .userinfo_email(&tokens.access_token)
                .await
                .unwrap_or(None);
        }
        let expires_at =
            OffsetDateTime::now_utc() + Duration::from_secs(tokens.expires_in.unwrap_or(3600));
        tracing::info!("sign-in completed");
        Ok(SignedIn {
            email,
            refresh_token,
            access_token: tokens.access_token,
            expires_at,
        })
    }
}

fn bind_err(e: std::io::Error) -> AuthError {
    AuthError::new(
        AuthErrorKind::PortBind,
        format!("Cannot use the sign-in listener ({e})."),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
