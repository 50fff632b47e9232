//! Existing Google credentials through `gcp_auth` 0.12 (gcp-apis.md §11): a service-account
//! key file, Application Default Credentials, or the gcloud CLI's signed-in user.
//!
//! [`resolve_google_credentials`] builds the provider, proves it by fetching one
//! `cloud-platform` token, and says which identity it resolved to.

use crate::error::{AuthError, AuthErrorKind};
use cmek_core::Secret;
use std::path::PathBuf;
use std::sync::Arc;

/// The scope every Google API CMEK Desk calls accepts.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Where to take existing Google credentials from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoogleCredentialSource {
    /// A service-account JSON key file (JWT-bearer grant to the key's `token_uri`).
    ServiceAccountKeyFile(PathBuf),
    /// `~/.config/gcloud/application_default_credentials.json` (or `%APPDATA%\gcloud\...`),
    /// written by `gcloud auth application-default login`.
    ApplicationDefault,
    /// The gcloud CLI's active account (`gcloud auth print-access-token`).
    GcloudUser,
}

/// A resolved credential: a `gcp_auth` token provider plus who it is.
#[derive(Clone)]
pub struct GoogleCredentials {
    provider: Arc<dyn gcp_auth::TokenProvider>,
    /// Human-readable identity, e.g. `service account kms-admin@p.iam.gserviceaccount.com`.
    pub identity: String,
    /// The email when known (service accounts, the gcloud account).
    pub email: Option<String>,
    /// The project the credential belongs to, when it names one.
    pub project_id: Option<String>,
    pub source: GoogleCredentialSource,
}

impl std::fmt::Debug for GoogleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleCredentials")
            .field("identity", &self.identity)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl GoogleCredentials {
    /// A `cloud-platform` access token (gcp_auth caches it and renews it 20 s before expiry).
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let token = self
            .provider
            .token(&[CLOUD_PLATFORM_SCOPE])
            .await
            .map_err(cred_err)?;
        Ok(Secret::new(token.as_str()))
    }

    /// The underlying provider, for clients built on `gcp_auth`.
    pub fn token_provider(&self) -> Arc<dyn gcp_auth::TokenProvider> {
        self.provider.clone()
    }
}

/// Resolves `source` to a working token provider (one token is fetched to prove it).
/// Errors: `Credentials` with a message naming the source and the fix.
pub async fn resolve_google_credentials(
    source: GoogleCredentialSource,
) -> Result<GoogleCredentials, AuthError> {
    let (provider, identity, email, project_id): (
        Arc<dyn gcp_auth::TokenProvider>,
        String,
        Option<String>,
        Option<String>,
    ) = match &source {
        GoogleCredentialSource::ServiceAccountKeyFile(path) => {
            let sa = gcp_auth::CustomServiceAccount::from_file(path).map_err(|e| {
                AuthError::new(
                    AuthErrorKind::Credentials,
                    format!("Cannot use the service-account key {}: {e}", path.display()),
                )
            })?;
            let email = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| json_field(&t, "client_email"));
            let project = sa.project_id().map(str::to_owned);
            let identity = format!(
                "service account {}",
                email.as_deref().unwrap_or("(unknown email)")
            );
            (Arc::new(sa), identity, email, project)
        }
        GoogleCredentialSource::ApplicationDefault => {
            let adc = gcp_auth::ConfigDefaultCredentials::new().await.map_err(|e| {
                    AuthError::new(
                        AuthErrorKind::Credentials,
                        format!("No usable Application Default Credentials ({e}). Run `gcloud auth application-default login`."),
                    )
                })?;
            (
                Arc::new(adc),
                "Application Default Credentials user".into(),
                None,
                None,
            )
        }
        GoogleCredentialSource::GcloudUser => {
            let user = gcp_auth::GCloudAuthorizedUser::new().await.map_err(|e| {
                AuthError::new(
                    AuthErrorKind::Credentials,
                    format!("The gcloud CLI has no usable account ({e}). Run `gcloud auth login`."),
                )
            })?;
            let email = gcloud_account().await;
            let identity = format!(
                "gcloud user {}",
                email.as_deref().unwrap_or("(active account)")
            );
            (Arc::new(user), identity, email, None)
        }
    };
    provider
        .token(&[CLOUD_PLATFORM_SCOPE])
        .await
        .map_err(cred_err)?;
    let project_id = match project_id {
        Some(p) => Some(p),
        None => provider.project_id().await.ok().map(|p| p.to_string()),
    };
    tracing::info!(%identity, "resolved existing Google credentials");
    Ok(GoogleCredentials {
        provider,
        identity,
        email,
        project_id,
        source,
    })
}

fn json_field(text: &str, field: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get(field)?.as_str().map(str::to_owned)
}

async fn gcloud_account() -> Option<String> {
    let out = tokio::task::spawn_blocking(|| {
        std::process::Command::new("gcloud")
            .args(["config", "get-value", "account"])
            .output()
    })
    .await
    .ok()?
    .ok()?;
    let account = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && account.contains('@')).then_some(account)
}

fn cred_err(e: gcp_auth::Error) -> AuthError {
    AuthError::new(
        AuthErrorKind::Credentials,
        format!("Google did not issue a token for these credentials: {e}"),
    )
}
