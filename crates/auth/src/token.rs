//! The token endpoint (code exchange, refresh), revocation and userinfo over reqwest.
//!
//! Wire format: RFC 6749 §4.1.3 / §6 form POSTs; errors are HTTP 400 JSON `{error,
//! error_description, error_subtype?}` (Google adds `error_subtype: invalid_rapt`).
//! Revocation: RFC 7009 form `token=`. Nothing here logs a token, code or verifier.

use crate::config::OAuthConfig;
use crate::error::{classify, AuthError, AuthErrorKind, Stage};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cmek_core::Secret;
use std::time::Duration;

/// Per-request timeout of every call to the provider.
pub(crate) const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A token endpoint answer (RFC 6749 §5.1).
#[derive(serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    /// Seconds; Google sends ~3599.
    pub expires_in: Option<u64>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
    error_description: Option<String>,
    error_subtype: Option<String>,
}

/// HTTP client bound to one [`OAuthConfig`]. Redirects are not followed (SSRF, §11).
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub config: OAuthConfig,
    http: reqwest::Client,
}

impl OAuthClient {
    pub fn new(config: OAuthConfig) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("reqwest client with default TLS");
        Self { config, http }
    }

    /// `grant_type=authorization_code` with the PKCE verifier (RFC 7636 §4.5).
    pub async fn exchange_code(
        &self,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<TokenResponse, AuthError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("code_verifier", verifier.expose()),
            ("redirect_uri", redirect_uri),
            ("client_id", &self.config.client_id),
        ];
        if let Some(s) = &self.config.client_secret {
            form.push(("client_secret", s.expose()));
        }
        self.token_request(Stage::Exchange, &form).await
    }

    /// `grant_type=refresh_token` (RFC 6749 §6).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, AuthError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", &self.config.client_id),
        ];
        if let Some(s) = &self.config.client_secret {
            form.push(("client_secret", s.expose()));
        }
        self.token_request(Stage::Refresh, &form).await
    }

    async fn token_request(
        &self,
        stage: Stage,
        form: &[(&str, &str)],
    ) -> Result<TokenResponse, AuthError> {
        let resp = self
            .http
            .post(&self.config.token_url)
            .form(form)
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(network)?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|_| {
                AuthError::new(
                    AuthErrorKind::InvalidResponse,
                    "The token endpoint answered without an access_token.",
                )
                .with_status(status.as_u16())
            });
        }
        if status.is_server_error() {
            return Err(AuthError::new(
                AuthErrorKind::Network,
                format!("The token endpoint failed (HTTP {status}); try again later."),
            )
            .with_status(status.as_u16()));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => Err(classify(
                stage,
                &e.error,
                e.error_subtype.as_deref(),
                e.error_description.as_deref(),
            )
            .with_status(status.as_u16())),
            Err(_) => Err(AuthError::new(
                AuthErrorKind::InvalidResponse,
                format!("The token endpoint answered HTTP {status} without an OAuth error."),
            )
            .with_status(status.as_u16())),
        }
    }

    /// Revokes a token (RFC 7009). Revoking a refresh token also kills its access tokens.
    /// An already invalid token (`400 invalid_token`) counts as revoked.
    pub async fn revoke(&self, token: &Secret) -> Result<(), AuthError> {
        let resp = self
            .http
            .post(&self.config.revoke_url)
            .form(&[("token", token.expose())])
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if status.is_success() || status == reqwest::StatusCode::BAD_REQUEST {
            return Ok(());
        }
        Err(AuthError::new(
            AuthErrorKind::Network,
            format!("Revoking the Google sign-in failed (HTTP {status})."),
        )
        .with_status(status.as_u16()))
    }

    /// The `email` claim from the OIDC userinfo endpoint.
    pub async fn userinfo_email(&self, access_token: &Secret) -> Result<Option<String>, AuthError> {
        #[derive(serde::Deserialize)]
        struct UserInfo {
            email: Option<String>,
        }
        let resp = self
            .http
            .get(&self.config.userinfo_url)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(network)?;
        if !resp.status().is_success() {
            return Ok(None);
        }
        Ok(resp.json::<UserInfo>().await.ok().and_then(|u| u.email))
    }
}

/// The `email` claim of an ID token, without verifying its signature: the token came
/// straight from the token endpoint over TLS, which OIDC Core §3.1.3.7 accepts in place of
/// signature validation for this (code) flow.
pub(crate) fn id_token_email(id_token: &Secret) -> Option<String> {
    let payload = id_token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("email")?.as_str().map(str::to_owned)
}

fn network(e: reqwest::Error) -> AuthError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    AuthError::new(
        AuthErrorKind::Network,
        format!("The request to Google {what}; check the network and try again."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_from_an_id_token_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","email":"a@b.example"}"#);
        let token = Secret::new(format!("h.{payload}.sig"));
        assert_eq!(id_token_email(&token).as_deref(), Some("a@b.example"));
        assert_eq!(id_token_email(&Secret::new("garbage")), None);
    }
}
