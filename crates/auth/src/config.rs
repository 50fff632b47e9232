//! The OAuth client CMEK Desk signs in with, and where its id and secret come from.
//!
//! Sources, first match wins ([`OAuthConfig::load`]):
//! 1. env vars `CMEK_DESK_OAUTH_CLIENT_ID` and (optional) `CMEK_DESK_OAUTH_CLIENT_SECRET`;
//! 2. `oauth-client.json` in the app config dir (Tauri's `app_config_dir()`, e.g.
//!    `~/.config/dev.cmekdesk.app/` on Linux), either `{"client_id": "...", "client_secret":
//!    "..."}` or the JSON Google Cloud Console downloads for an OAuth client, which must be
//!    of type "Desktop app" (top-level key `installed`; a `web` client is refused — B36).
//!
//! Google says a Desktop-app client secret is not treated as confidential, but its token
//! endpoint still expects it (gcp-apis.md §9), so it is optional here and kept in a `Secret`.

use crate::error::{AuthError, AuthErrorKind};
use cmek_core::Secret;
use std::path::Path;

/// Google's endpoints (gcp-apis.md §9; also in accounts.google.com's openid-configuration).
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// `openid email` show who signed in; `cloud-platform` covers KMS, IAM, CRM and Service Usage.
pub const GOOGLE_SCOPES: [&str; 3] = [
    "openid",
    "email",
    "https://www.googleapis.com/auth/cloud-platform",
];
/// Env var holding the OAuth client id.
pub const ENV_CLIENT_ID: &str = "CMEK_DESK_OAUTH_CLIENT_ID";
/// Env var holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "CMEK_DESK_OAUTH_CLIENT_SECRET";
/// File name of the client configuration in the app config dir.
pub const CONFIG_FILE: &str = "oauth-client.json";

/// An OAuth client and the provider's endpoints. URLs are absolute; all are overridable
/// (tests point them at a loopback server).
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub userinfo_url: String,
    /// Requested scopes, joined with spaces in the authorization URL.
    pub scopes: Vec<String>,
}

impl OAuthConfig {
    /// Google's endpoints and scopes for the given client.
    pub fn google(client_id: impl Into<String>, client_secret: Option<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            auth_url: GOOGLE_AUTH_URL.into(),
            token_url: GOOGLE_TOKEN_URL.into(),
            revoke_url: GOOGLE_REVOKE_URL.into(),
            userinfo_url: GOOGLE_USERINFO_URL.into(),
            scopes: GOOGLE_SCOPES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Env vars first, then `<config_dir>/oauth-client.json`; `NotConfigured` if neither.
    pub fn load(config_dir: &Path) -> Result<Self, AuthError> {
        if let Some(cfg) = Self::from_env() {
            return Ok(cfg);
        }
        let path = config_dir.join(CONFIG_FILE);
        if path.exists() {
            return Self::from_file(&path);
        }
        Err(AuthError::new(
            AuthErrorKind::NotConfigured,
            format!(
                "No Google OAuth client is configured: set {ENV_CLIENT_ID} (and {ENV_CLIENT_SECRET}) \
                 or put the \"Desktop app\" client JSON at {}.",
                path.display()
            ),
        ))
    }

    /// From `CMEK_DESK_OAUTH_CLIENT_ID` / `CMEK_DESK_OAUTH_CLIENT_SECRET`; `None` without an id.
    pub fn from_env() -> Option<Self> {
        let id = std::env::var(ENV_CLIENT_ID)
            .ok()
            .filter(|s| !s.trim().is_empty())?;
        let secret = std::env::var(ENV_CLIENT_SECRET)
            .ok()
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        Some(Self::google(id.trim(), secret))
    }

    /// From a JSON file (see the module doc for the two accepted shapes).
    pub fn from_file(path: &Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AuthError::new(
                AuthErrorKind::NotConfigured,
                format!("Cannot read {}: {e}", path.display()),
            )
        })?;
        Self::from_json(&text)
    }

    /// Parses the client JSON (flat, or Google's download with `installed`).
    pub fn from_json(text: &str) -> Result<Self, AuthError> {
        #[derive(serde::Deserialize)]
        struct Flat {
            client_id: String,
            client_secret: Option<Secret>,
        }
        let bad = |why: &str| {
            AuthError::new(
                AuthErrorKind::NotConfigured,
                format!("OAuth client JSON: {why}"),
            )
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| bad("not valid JSON"))?;
        if value.get("web").is_some() {
            return Err(AuthError::new(
                AuthErrorKind::ClientConfiguration,
                "The OAuth client JSON is for a \"Web application\" client; CMEK Desk needs a \
                 client of type \"Desktop app\" (Google refuses loopback redirects for web clients).",
            ));
        }
        let inner = value.get("installed").cloned().unwrap_or(value);
        let flat: Flat = serde_json::from_value(inner).map_err(|_| bad("missing client_id"))?;
        if flat.client_id.trim().is_empty() {
            return Err(bad("empty client_id"));
        }
        Ok(Self::google(
            flat.client_id.trim(),
            flat.client_secret.filter(|s| !s.is_empty()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_defaults() {
        let c = OAuthConfig::google("id", None);
        assert_eq!(c.auth_url, "https://accounts.google.com/o/oauth2/v2/auth");
        assert_eq!(c.token_url, "https://oauth2.googleapis.com/token");
        assert_eq!(c.revoke_url, "https://oauth2.googleapis.com/revoke");
        assert_eq!(
            c.userinfo_url,
            "https://openidconnect.googleapis.com/v1/userinfo"
        );
        assert_eq!(
            c.scopes.join(" "),
            "openid email https://www.googleapis.com/auth/cloud-platform"
        );
    }

    #[test]
    fn reads_flat_and_google_installed_json() {
        let c = OAuthConfig::from_json(r#"{"client_id":"a.apps","client_secret":"s"}"#).unwrap();
        assert_eq!(
            (c.client_id.as_str(), c.client_secret.unwrap().expose()),
            ("a.apps", "s")
        );
        let g = r#"{"installed":{"client_id":"b.apps","client_secret":"t","auth_uri":"x","redirect_uris":["http://localhost"]}}"#;
        assert_eq!(OAuthConfig::from_json(g).unwrap().client_id, "b.apps");
    }

    #[test]
    fn b36_web_client_json_is_a_client_configuration_error() {
        let e = OAuthConfig::from_json(r#"{"web":{"client_id":"w.apps"}}"#).unwrap_err();
        assert_eq!(e.kind, AuthErrorKind::ClientConfiguration);
        assert!(e.message.contains("Desktop app"));
    }

    #[test]
    fn missing_config_names_both_sources() {
        let dir = std::env::temp_dir().join("cmek-auth-no-config-here");
        if std::env::var_os(ENV_CLIENT_ID).is_none() {
            let e = OAuthConfig::load(&dir).unwrap_err();
            assert_eq!(e.kind, AuthErrorKind::NotConfigured);
            assert!(e.message.contains(ENV_CLIENT_ID) && e.message.contains(CONFIG_FILE));
        }
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let c = OAuthConfig::google("id", Some(Secret::new("GOCSPX-abc")));
        assert!(!format!("{c:?}").contains("GOCSPX"));
    }
}
