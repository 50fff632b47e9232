//! The provider's token endpoints through the `oauth2` crate: the client built from an
//! [`OAuthConfig`], code exchange with the PKCE verifier (RFC 6749 §4.1.3, RFC 7636 §4.5),
//! refresh (RFC 6749 §6), revocation (RFC 7009), plus the OIDC userinfo email.
//!
//! oauth2's errors are mapped onto [`AuthErrorKind`] here, in one place: an OAuth error body
//! (`{error, error_description, error_subtype?}`; Google adds `error_subtype: invalid_rapt`)
//! through [`classify`], a 5xx to `Network`, an answer we cannot read to `InvalidResponse`.
//! Client id and secret go in the form body, as Google documents. Nothing here logs a token,
//! code or verifier.

use crate::config::OAuthConfig;
use crate::error::{classify, AuthError, AuthErrorKind, Stage};
use crate::transport::{http_client, ProviderHttp, TransportError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cmek_core::Secret;
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, ConfigurationError,
    EndpointMaybeSet, EndpointNotSet, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, RevocationUrl, StandardRevocableToken, StandardTokenResponse,
    TokenResponse as _, TokenUrl,
};
use std::borrow::Cow;
use std::time::Duration;

/// An OAuth error answer (RFC 6749 §5.2) with Google's `error_subtype`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ProviderError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_subtype: Option<String>,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::error::sanitize(&self.error))
    }
}

impl oauth2::ErrorResponse for ProviderError {}

/// The token endpoint's fields beyond RFC 6749 §5.1: the OIDC ID token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdTokenField {}

type ProviderTokens = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The oauth2 client for one [`OAuthConfig`]. Endpoints are "maybe set" so that a bad URL
/// fails the one call that needs it (`NotConfigured`), not the others.
type Client = oauth2::Client<
    ProviderError,
    ProviderTokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What the token endpoint issued.
pub(crate) struct IssuedTokens {
    pub access_token: Secret,
    /// Google sends ~3599 s.
    pub expires_in: Option<Duration>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
}

impl From<ProviderTokens> for IssuedTokens {
    fn from(t: ProviderTokens) -> Self {
        Self {
            access_token: Secret::new(t.access_token().secret().as_str()),
            expires_in: t.expires_in(),
            refresh_token: t.refresh_token().map(|r| Secret::new(r.secret().as_str())),
            id_token: t.extra_fields().id_token.as_deref().map(Secret::new),
        }
    }
}

/// The provider's endpoints for one [`OAuthConfig`].
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    oauth: Client,
    /// Set when the revocation endpoint is plain HTTP on loopback (see [`OAuthClient::revoke`]).
    loopback_revoke_uri: Option<oauth2::http::Uri>,
    userinfo_url: String,
    http: reqwest::Client,
}

impl OAuthClient {
    pub fn new(config: OAuthConfig) -> Self {
        let (revocation_url, loopback_revoke_uri) = revocation_endpoint(&config.revoke_url);
        let mut oauth: Client = oauth2::Client::new(ClientId::new(config.client_id.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri_option(AuthUrl::new(config.auth_url.clone()).ok())
            .set_token_uri_option(TokenUrl::new(config.token_url.clone()).ok())
            .set_revocation_url_option(revocation_url);
        if let Some(secret) = &config.client_secret {
            oauth = oauth.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        Self {
            oauth,
            loopback_revoke_uri,
            userinfo_url: config.userinfo_url,
            http: http_client(),
        }
    }

    /// The oauth2 client, for building the authorization URL.
    pub fn oauth(&self) -> &Client {
        &self.oauth
    }

    /// `grant_type=authorization_code` with the PKCE verifier (RFC 7636 §4.5).
    pub async fn exchange_code(
        &self,
        code: AuthorizationCode,
        verifier: PkceCodeVerifier,
        redirect_uri: &RedirectUrl,
    ) -> Result<IssuedTokens, AuthError> {
        let request = self
            .oauth
            .exchange_code(code)
            .map_err(not_configured)?
            .set_pkce_verifier(verifier)
            .set_redirect_uri(Cow::Borrowed(redirect_uri));
        let http = ProviderHttp::new(&self.http);
        let result = request.request_async(&http).await;
        result
            .map(IssuedTokens::from)
            .map_err(|e| token_error(Stage::Exchange, e, http.status()))
    }

    /// `grant_type=refresh_token` (RFC 6749 §6).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<IssuedTokens, AuthError> {
        let refresh_token = RefreshToken::new(refresh_token.expose().to_owned());
        let request = self
            .oauth
            .exchange_refresh_token(&refresh_token)
            .map_err(not_configured)?;
        let http = ProviderHttp::new(&self.http);
        let result = request.request_async(&http).await;
        result
            .map(IssuedTokens::from)
            .map_err(|e| token_error(Stage::Refresh, e, http.status()))
    }

    /// Revokes a refresh token (RFC 7009), which also kills its access tokens. An already
    /// invalid token (Google: `400 invalid_token`) counts as revoked.
    ///
    /// oauth2 refuses a revocation endpoint that is not HTTPS (RFC 7009 §2). A provider on
    /// this machine (the test server, a sandbox) speaks plain HTTP, which RFC 8252 §8.3 allows
    /// for loopback: oauth2 is given the `https` spelling of its URL and the request goes to
    /// the configured `http` one. Plain HTTP anywhere else is `NotConfigured`.
    pub async fn revoke(&self, token: &Secret) -> Result<(), AuthError> {
        let request = self
            .oauth
            .revoke_token(StandardRevocableToken::RefreshToken(RefreshToken::new(
                token.expose().to_owned(),
            )))
            .map_err(not_configured)?;
        let http = ProviderHttp::new(&self.http).sending_to(self.loopback_revoke_uri.clone());
        let result = request.request_async(&http).await;
        let status = http.status();
        match result {
            Ok(()) => Ok(()),
            Err(RequestTokenError::Request(e)) => Err(network(&e)),
            Err(_) if status == Some(400) => Ok(()),
            Err(_) => {
                let err = AuthError::new(
                    AuthErrorKind::Network,
                    format!(
                        "Revoking the Google sign-in failed (HTTP {}).",
                        status.unwrap_or(0)
                    ),
                );
                Err(match status {
                    Some(s) => err.with_status(s),
                    None => err,
                })
            }
        }
    }

    /// The `email` claim from the OIDC userinfo endpoint.
    pub async fn userinfo_email(&self, access_token: &Secret) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct UserInfo {
            email: Option<String>,
        }
        let resp = self
            .http
            .get(&self.userinfo_url)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json::<UserInfo>().await.ok()?.email
    }
}

/// The revocation URL for oauth2, and the real URI when it is plain HTTP on loopback.
fn revocation_endpoint(url: &str) -> (Option<RevocationUrl>, Option<oauth2::http::Uri>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (None, None);
    };
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if parsed.scheme() == "http" && loopback {
        let uri = url.parse().ok();
        if parsed.set_scheme("https").is_ok() && uri.is_some() {
            return (Some(RevocationUrl::from_url(parsed)), uri);
        }
    }
    (Some(RevocationUrl::from_url(parsed)), None)
}

/// Maps oauth2's error for a token request; `status` is the provider's HTTP status, if any.
fn token_error(
    stage: Stage,
    err: RequestTokenError<TransportError, ProviderError>,
    status: Option<u16>,
) -> AuthError {
    let with_status = |e: AuthError| match status {
        Some(s) => e.with_status(s),
        None => e,
    };
    match err {
        RequestTokenError::Request(e) => network(&e),
        _ if status.is_some_and(|s| s >= 500) => with_status(AuthError::new(
            AuthErrorKind::Network,
            format!(
                "The token endpoint failed (HTTP {}); try again later.",
                status.unwrap_or(0)
            ),
        )),
        RequestTokenError::ServerResponse(e) => with_status(classify(
            stage,
            &e.error,
            e.error_subtype.as_deref(),
            e.error_description.as_deref(),
        )),
        _ if status == Some(200) => with_status(AuthError::new(
            AuthErrorKind::InvalidResponse,
            "The token endpoint answered without an access_token.",
        )),
        _ => with_status(AuthError::new(
            AuthErrorKind::InvalidResponse,
            format!(
                "The token endpoint answered HTTP {} without an OAuth error.",
                status.unwrap_or(0)
            ),
        )),
    }
}

/// An endpoint URL that is missing or not a valid URL (or, for revocation, not HTTPS).
pub(crate) fn not_configured(e: ConfigurationError) -> AuthError {
    let message = match e {
        ConfigurationError::MissingUrl(which) => {
            format!("The OAuth {which} URL is not a valid URL.")
        }
        ConfigurationError::InsecureUrl(which) => format!(
            "The OAuth {which} URL must be HTTPS (plain HTTP is accepted only on 127.0.0.1 or [::1])."
        ),
        other => format!("The OAuth client is not configured: {other}."),
    };
    AuthError::new(AuthErrorKind::NotConfigured, message)
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

fn network(e: &TransportError) -> AuthError {
    AuthError::new(
        AuthErrorKind::Network,
        format!(
            "The request to Google {}; check the network and try again.",
            e.what()
        ),
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

    #[test]
    fn plain_http_revocation_is_allowed_on_loopback_only() {
        let (url, real) = revocation_endpoint("http://127.0.0.1:4000/revoke");
        assert_eq!(url.unwrap().as_str(), "https://127.0.0.1:4000/revoke");
        assert_eq!(real.unwrap().to_string(), "http://127.0.0.1:4000/revoke");
        let (url, real) = revocation_endpoint("http://[::1]:4000/revoke");
        assert_eq!(url.unwrap().as_str(), "https://[::1]:4000/revoke");
        assert!(real.is_some());
        let (url, real) = revocation_endpoint(crate::config::GOOGLE_REVOKE_URL);
        assert_eq!(url.unwrap().as_str(), crate::config::GOOGLE_REVOKE_URL);
        assert!(real.is_none());
        let (url, real) = revocation_endpoint("http://revoke.example/revoke");
        assert_eq!(url.unwrap().as_str(), "http://revoke.example/revoke");
        assert!(real.is_none(), "oauth2 then refuses it: NotConfigured");
    }

    #[test]
    fn oauth_error_bodies_map_onto_the_closed_kinds() {
        let body = |json: &str| -> RequestTokenError<TransportError, ProviderError> {
            RequestTokenError::ServerResponse(serde_json::from_str(json).unwrap())
        };
        let e = token_error(
            Stage::Refresh,
            body(r#"{"error":"invalid_grant","error_subtype":"invalid_rapt"}"#),
            Some(400),
        );
        assert_eq!(
            (e.kind, e.http_status),
            (AuthErrorKind::InvalidRapt, Some(400))
        );
        let e = token_error(
            Stage::Exchange,
            body(r#"{"error":"invalid_grant"}"#),
            Some(400),
        );
        assert_eq!(e.kind, AuthErrorKind::InvalidGrant);
        let e = token_error(
            Stage::Exchange,
            body(r#"{"error":"invalid_client"}"#),
            Some(401),
        );
        assert_eq!(e.kind, AuthErrorKind::ClientConfiguration);
        let e = token_error(Stage::Refresh, body(r#"{"error":"backend"}"#), Some(503));
        assert_eq!((e.kind, e.http_status), (AuthErrorKind::Network, Some(503)));
        let e = token_error(
            Stage::Refresh,
            RequestTokenError::Other("server returned empty error response".into()),
            Some(404),
        );
        assert_eq!(e.kind, AuthErrorKind::InvalidResponse);
        assert!(e.message.contains("HTTP 404"));
    }
}
