//! The signed-in session: the Google credential (OAuth refresh token or existing credentials),
//! the CockroachDB Cloud API key, and the keychain that keeps both between runs.
//!
//! Secrets live in the keychain and in `cmek_core::Secret`s here; what leaves this module for
//! the UI is [`SessionStatus`], which holds none. Keychain calls block (D-Bus), so they run on
//! `spawn_blocking`. No keychain is an error with the keychain crate's fix, never a fallback.

use crate::settings::Settings;
use crate::wire::{
    CredentialSource, GoogleAccount, GoogleMethod, PendingSignIn, SessionStatus, SignInEvent,
};
use async_trait::async_trait;
use cmek_auth::{BrowserOpener, Cancellation, GoogleCredentialSource, OAuthConfig};
use cmek_core::cockroach::Organization;
use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_keychain::{keys, OsKeychain, SecretStore};
use cmek_setup::{Connection, Timing};
use std::path::PathBuf;
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;
use tokio::sync::Mutex;

/// How long sign-in waits for the browser (issue #3: 5 minutes).
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);
/// The signed-in Google account's email, kept next to its refresh token (not a secret, but it
/// must go when the token goes, so it lives in the same place).
pub const GOOGLE_EMAIL_KEY: &str = "google-oauth-email";

/// Where the session's keychain comes from.
pub enum Keychain {
    /// The OS keychain in this namespace, opened on first use.
    Os(cmek_keychain::Namespace),
    /// A given store (tests: `InMemoryStore`).
    Given(Arc<dyn SecretStore>),
}

enum Google {
    None,
    OAuth {
        tokens: Arc<cmek_auth::TokenSource>,
        email: Option<String>,
    },
    Existing(cmek_auth::GoogleCredentials),
}

struct Inner {
    restored: bool,
    store: Option<Result<Arc<dyn SecretStore>>>,
    google: Google,
    cockroach_key_stored: bool,
    organization: Option<Organization>,
    cockroach_key_error: Option<Error>,
}

/// Held by [`crate::Desk`].
pub struct Session {
    settings: Settings,
    keychain: Keychain,
    opener: SyncMutex<Option<Arc<dyn BrowserOpener>>>,
    config_dir: SyncMutex<Option<PathBuf>>,
    inner: Mutex<Inner>,
    pending: SyncMutex<Option<(PendingSignIn, Cancellation)>>,
    /// Set when a credential is found expired or revoked (also by the token adapter mid-call).
    problem: Arc<SyncMutex<Option<Error>>>,
}

impl Session {
    pub fn new(settings: Settings, keychain: Keychain) -> Self {
        Self {
            settings,
            keychain,
            opener: SyncMutex::new(None),
            config_dir: SyncMutex::new(None),
            inner: Mutex::new(Inner {
                restored: false,
                store: None,
                google: Google::None,
                cockroach_key_stored: false,
                organization: None,
                cockroach_key_error: None,
            }),
            pending: SyncMutex::new(None),
            problem: Arc::new(SyncMutex::new(None)),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The system-browser opener (the app sets the tauri-plugin-opener one at startup).
    pub fn set_opener(&self, opener: Arc<dyn BrowserOpener>) {
        *lock(&self.opener) = Some(opener);
    }

    /// Opens `url` in the system browser with the app's opener; `Err` with the reason (in
    /// words) when opening the browser is turned off or no opener is set.
    pub(crate) fn open_in_browser(&self, url: &str) -> std::result::Result<(), String> {
        if !self.settings.open_browser() {
            return NoBrowser.open(url);
        }
        let opener = lock(&self.opener).clone();
        match opener {
            Some(opener) => opener.open(url),
            None => Err("No system browser is available to this app.".into()),
        }
    }

    /// `<app_config_dir>`, where `oauth-client.json` may be.
    pub fn set_config_dir(&self, dir: PathBuf) {
        *lock(&self.config_dir) = Some(dir);
    }

    fn oauth_config(&self) -> Result<OAuthConfig> {
        let dir = lock(&self.config_dir)
            .clone()
            .or_else(Settings::default_config_dir);
        self.settings
            .oauth_config(dir.as_deref())
            .map_err(crate::settings::no_oauth_client)
    }

    /// The current status; the first call restores the previous run's session from the keychain.
    pub async fn status(&self) -> SessionStatus {
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        self.status_of(&inner)
    }

    /// Restores the previous run's session once, before anything reads or changes it.
    async fn ensure_restored(&self, inner: &mut Inner) {
        if !inner.restored {
            inner.restored = true;
            self.restore(inner).await;
        }
    }

    fn status_of(&self, inner: &Inner) -> SessionStatus {
        let google = match &inner.google {
            Google::None => None,
            Google::OAuth { email, .. } => Some(GoogleAccount {
                method: GoogleMethod::OAuth,
                identity: email.clone().unwrap_or_else(|| "Google account".into()),
                email: email.clone(),
            }),
            Google::Existing(c) => Some(GoogleAccount {
                method: match c.source {
                    GoogleCredentialSource::ServiceAccountKeyFile(_) => {
                        GoogleMethod::ServiceAccountKeyFile
                    }
                    GoogleCredentialSource::ApplicationDefault => GoogleMethod::ApplicationDefault,
                    GoogleCredentialSource::GcloudUser => GoogleMethod::GcloudUser,
                },
                identity: c.identity.clone(),
                email: c.email.clone(),
            }),
        };
        SessionStatus {
            keychain_error: match &inner.store {
                Some(Err(e)) => Some(e.clone()),
                _ => None,
            },
            oauth_config_error: self.oauth_config().err(),
            google,
            pending_sign_in: lock(&self.pending).as_ref().map(|(p, _)| p.clone()),
            cockroach_key_stored: inner.cockroach_key_stored,
            cockroach_organization: inner.organization.clone(),
            cockroach_key_error: inner.cockroach_key_error.clone(),
            problem: lock(&self.problem).clone(),
            // Filled by `Desk::session_status` from the AWS part of the session (`crate::aws`).
            aws: None,
        }
    }

    /// The keychain (opened on first use, after restoring the previous session): the AWS part
    /// of the session (`crate::aws`) keeps its access keys there too.
    pub(crate) async fn secret_store(&self) -> Result<Arc<dyn SecretStore>> {
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        self.store(&mut inner).await
    }

    /// The keychain, opened on first use; its error (with the fix) otherwise.
    async fn store(&self, inner: &mut Inner) -> Result<Arc<dyn SecretStore>> {
        if inner.store.is_none() {
            inner.store = Some(match &self.keychain {
                Keychain::Given(store) => Ok(store.clone()),
                Keychain::Os(namespace) => {
                    let namespace = *namespace;
                    blocking(move || OsKeychain::open(namespace))
                        .await
                        .map(|k| Arc::new(k) as Arc<dyn SecretStore>)
                }
            });
        }
        inner.store.clone().expect("just set")
    }

    async fn restore(&self, inner: &mut Inner) {
        let Ok(store) = self.store(inner).await else {
            return;
        };
        // A refused endpoint override: nothing stored is sent anywhere until it is fixed.
        if let Err(e) = self.settings.refused() {
            self.set_problem(e);
            return;
        }
        let s = store.clone();
        let stored = blocking(move || {
            Ok((
                s.retrieve(keys::GOOGLE_REFRESH_TOKEN)?,
                s.retrieve(GOOGLE_EMAIL_KEY)?,
                s.retrieve(keys::COCKROACH_API_KEY)?,
            ))
        })
        .await;
        let (refresh, email, api_key) = match stored {
            Ok(v) => v,
            Err(e) => {
                inner.store = Some(Err(e));
                return;
            }
        };
        if let Some(refresh) = refresh {
            let email = email.map(|e| e.expose().to_owned());
            match self.oauth_config() {
                Ok(config) => {
                    let tokens = Arc::new(cmek_auth::TokenSource::new(config, refresh));
                    // Prove it now, so an expired or revoked sign-in shows at startup.
                    match tokens.access_token().await {
                        Err(e) if e.requires_new_sign_in() => {
                            tracing::warn!(kind = ?e.kind, "stored Google sign-in is no longer valid");
                            self.set_problem(e.into());
                            forget_google(&store).await;
                        }
                        other => {
                            if let Err(e) = other {
                                tracing::warn!(kind = ?e.kind, "could not refresh the Google token at startup");
                            }
                            tracing::info!("restored the Google sign-in from the keychain");
                            inner.google = Google::OAuth { tokens, email };
                        }
                    }
                }
                Err(e) => self.set_problem(e),
            }
        }
        if let Some(key) = api_key {
            inner.cockroach_key_stored = true;
            match cmek_auth::validate_api_key(&self.settings.cockroach_base(), &key).await {
                Ok(org) => inner.organization = Some(org),
                Err(e) => {
                    tracing::warn!(code = ?e.code, "the stored CockroachDB Cloud API key was not accepted");
                    inner.cockroach_key_error = Some(e);
                }
            }
        }
    }

    fn set_problem(&self, error: Error) {
        *lock(&self.problem) = Some(error);
    }

    /// Interactive Google sign-in: opens the system browser (or reports why it could not),
    /// waits up to 5 minutes for the redirect, keeps the refresh token in the keychain.
    pub async fn sign_in_google(&self, on_event: impl Fn(SignInEvent)) -> Result<SessionStatus> {
        self.settings.refused()?;
        let config = self.oauth_config()?;
        let store = {
            let mut inner = self.inner.lock().await;
            self.ensure_restored(&mut inner).await;
            self.store(&mut inner).await?
        };
        let opener = lock(&self.opener)
            .clone()
            .unwrap_or_else(|| Arc::new(NoBrowser));
        let opener: Arc<dyn BrowserOpener> = if self.settings.open_browser() {
            opener
        } else {
            Arc::new(NoBrowser)
        };
        let pending = cmek_auth::start_sign_in(&config, opener.as_ref())?;
        let info = PendingSignIn {
            authorization_url: pending.authorization_url().to_owned(),
            browser_error: pending.browser_error().map(str::to_owned),
        };
        let cancel = Cancellation::new();
        if let Some((_, previous)) = lock(&self.pending).replace((info.clone(), cancel.clone())) {
            previous.cancel();
        }
        let url = info.authorization_url.clone();
        on_event(SignInEvent::Waiting {
            authorization_url: info.authorization_url,
            browser_error: info.browser_error,
        });
        let result = pending.wait(SIGN_IN_TIMEOUT, &cancel).await;
        {
            // Clear the slot unless a newer sign-in took it meanwhile.
            let mut slot = lock(&self.pending);
            if slot
                .as_ref()
                .is_some_and(|(p, _)| p.authorization_url == url)
            {
                *slot = None;
            }
        }
        let signed_in = result?;
        let (refresh, email) = (signed_in.refresh_token.clone(), signed_in.email.clone());
        let s = store.clone();
        blocking(move || {
            s.persist(keys::GOOGLE_REFRESH_TOKEN, &refresh)?;
            match &email {
                Some(e) => s.persist(GOOGLE_EMAIL_KEY, &Secret::new(e.clone())),
                None => s.delete(GOOGLE_EMAIL_KEY),
            }
        })
        .await?;
        let tokens = Arc::new(cmek_auth::TokenSource::from_signed_in(config, &signed_in));
        let mut inner = self.inner.lock().await;
        inner.google = Google::OAuth {
            tokens,
            email: signed_in.email,
        };
        *lock(&self.problem) = None;
        tracing::info!("signed in to Google");
        Ok(self.status_of(&inner))
    }

    /// Stops a waiting sign-in (no-op when none waits).
    pub fn cancel_sign_in(&self) {
        if let Some((_, cancel)) = lock(&self.pending).take() {
            cancel.cancel();
        }
    }

    /// Uses existing Google credentials (key file, ADC or gcloud); nothing is stored.
    pub async fn use_google_credentials(&self, source: CredentialSource) -> Result<SessionStatus> {
        self.settings.refused()?;
        let source = match source {
            CredentialSource::ServiceAccountKeyFile { path } => {
                GoogleCredentialSource::ServiceAccountKeyFile(PathBuf::from(path))
            }
            CredentialSource::ApplicationDefault => GoogleCredentialSource::ApplicationDefault,
            CredentialSource::GcloudUser => GoogleCredentialSource::GcloudUser,
        };
        let credentials = cmek_auth::resolve_google_credentials(source).await?;
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        inner.google = Google::Existing(credentials);
        *lock(&self.problem) = None;
        Ok(self.status_of(&inner))
    }

    /// Validates the key (`GET /api/v1/organization`), then stores it in the keychain.
    pub async fn save_cockroach_key(&self, key: Secret) -> Result<SessionStatus> {
        self.settings.refused()?;
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        let store = self.store(&mut inner).await?;
        let key = Secret::new(key.expose().trim());
        let organization =
            cmek_auth::validate_api_key(&self.settings.cockroach_base(), &key).await?;
        blocking(move || store.persist(keys::COCKROACH_API_KEY, &key)).await?;
        inner.cockroach_key_stored = true;
        inner.organization = Some(organization);
        inner.cockroach_key_error = None;
        Ok(self.status_of(&inner))
    }

    /// Deletes the stored API key.
    pub async fn forget_cockroach_key(&self) -> Result<SessionStatus> {
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        let store = self.store(&mut inner).await?;
        blocking(move || store.delete(keys::COCKROACH_API_KEY)).await?;
        inner.cockroach_key_stored = false;
        inner.organization = None;
        inner.cockroach_key_error = None;
        Ok(self.status_of(&inner))
    }

    /// Signs out of Google: revokes the token at Google and deletes the keychain entry (the
    /// entry goes even when Google cannot be reached). Errors: the revocation failed (the entry
    /// is deleted all the same, and the message says so and how to revoke by hand).
    pub async fn sign_out(&self) -> Result<SessionStatus> {
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        let previous = std::mem::replace(&mut inner.google, Google::None);
        let revoked = match previous {
            Google::OAuth { tokens, .. } => tokens.sign_out().await.map_err(Error::from),
            _ => Ok(()),
        };
        let store = self.store(&mut inner).await?;
        forget_google(&store).await;
        *lock(&self.problem) = None;
        if let Err(e) = revoked {
            tracing::warn!(code = ?e.code, "revoking the Google token failed; the keychain entry is deleted anyway");
            // Issue 13: never report success when Google did not confirm the revocation.
            return Err(Error::new(
                e.code,
                format!(
                    "Signed out on this computer (the sign-in is removed from the keychain), but \
                     Google did not confirm that the token is revoked: {} Remove CMEK Desk's \
                     access at https://myaccount.google.com/permissions to be sure.",
                    e.message
                ),
            ));
        }
        Ok(self.status_of(&inner))
    }

    /// Where the activity log's chain key comes from: this session's keychain.
    pub(crate) fn chain_key_source(&self) -> crate::activity::ChainKeySource {
        match &self.keychain {
            Keychain::Os(namespace) => crate::activity::ChainKeySource::Os(*namespace),
            Keychain::Given(store) => crate::activity::ChainKeySource::Store(store.clone()),
        }
    }

    /// A live connection with the current Google credential and the stored API key.
    pub async fn connect_live(&self) -> Result<Connection> {
        self.settings.refused()?;
        let mut inner = self.inner.lock().await;
        self.ensure_restored(&mut inner).await;
        let tokens: Arc<dyn cmek_gcp::TokenSource> = match &inner.google {
            Google::None => return Err(not_signed_in("Sign in with Google first.")),
            Google::OAuth { tokens, email } => Arc::new(OAuthTokens {
                tokens: tokens.clone(),
                identity: format!("user:{}", email.as_deref().unwrap_or("unknown")),
                problem: self.problem.clone(),
            }),
            Google::Existing(c) => Arc::new(cmek_gcp::http::GcpAuthToken::new(
                c.token_provider(),
                match (&c.source, &c.email) {
                    (GoogleCredentialSource::ServiceAccountKeyFile(_), Some(e)) => {
                        format!("serviceAccount:{e}")
                    }
                    (_, Some(e)) => format!("user:{e}"),
                    _ => c.identity.clone(),
                },
            )),
        };
        let store = self.store(&mut inner).await?;
        let key = blocking(move || store.retrieve(keys::COCKROACH_API_KEY))
            .await?
            .ok_or_else(|| not_signed_in("Save a CockroachDB Cloud API key first."))?;
        drop(inner);
        Connection::new(
            tokens,
            &self.settings.google_endpoints(),
            &self.settings.cockroach_base(),
            key,
            ConnectionMode::Live,
            Timing::default(),
        )
        .await
    }
}

/// `cmek_gcp::TokenSource` over cmek-auth's refreshing token source; a dead refresh token is
/// recorded as the session's problem so the UI offers "Sign in again".
struct OAuthTokens {
    tokens: Arc<cmek_auth::TokenSource>,
    identity: String,
    problem: Arc<SyncMutex<Option<Error>>>,
}

#[async_trait]
impl cmek_gcp::TokenSource for OAuthTokens {
    async fn access_token(&self) -> Result<Secret> {
        self.tokens.access_token().await.map_err(|e| {
            let requires_sign_in = e.requires_new_sign_in();
            let error = Error::from(e);
            if requires_sign_in {
                *lock(&self.problem) = Some(error.clone());
            }
            error
        })
    }
    fn identity(&self) -> String {
        self.identity.clone()
    }
}

/// Used when opening the browser is turned off or unavailable: the UI shows the link.
struct NoBrowser;

impl BrowserOpener for NoBrowser {
    fn open(&self, _url: &str) -> std::result::Result<(), String> {
        Err("Opening the browser is turned off (CMEK_DESK_OPEN_BROWSER=0).".into())
    }
}

async fn forget_google(store: &Arc<dyn SecretStore>) {
    let s = store.clone();
    if let Err(e) = blocking(move || {
        s.delete(keys::GOOGLE_REFRESH_TOKEN)?;
        s.delete(GOOGLE_EMAIL_KEY)
    })
    .await
    {
        tracing::warn!(code = ?e.code, "could not delete the Google sign-in from the keychain");
    }
}

fn not_signed_in(what: &str) -> Error {
    Error::new(ErrorCode::Unauthenticated, format!("Not connected. {what}"))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("keychain task failed: {e}")))?
}

fn lock<T>(m: &SyncMutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
