//! Every endpoint and switch the app reads from its environment, in one place, read once at
//! startup ([`Settings::from_environment`]). All are optional: without any, the app talks to
//! Google and CockroachDB Cloud in production (after sign-in) or to the built-in sandbox.
//!
//! Each setting is an environment variable, or the same `NAME=value` pair given as a
//! command-line argument (tauri-driver can pass arguments to the app but not environment
//! variables; arguments win over the environment). Documented in README.md ("Configuration").
//!
//! | Name | Default | What |
//! |---|---|---|
//! | `CMEK_DESK_OAUTH_CLIENT_ID` / `_SECRET` | `<app_config_dir>/oauth-client.json` | the "Desktop app" OAuth client (as `cmek_auth::OAuthConfig::load`) |
//! | `CMEK_DESK_OAUTH_AUTH_URL` | Google's | OAuth authorization endpoint |
//! | `CMEK_DESK_OAUTH_TOKEN_URL` | Google's | OAuth token endpoint |
//! | `CMEK_DESK_OAUTH_REVOKE_URL` | Google's | OAuth revocation endpoint |
//! | `CMEK_DESK_OAUTH_USERINFO_URL` | Google's | OpenID userinfo endpoint |
//! | `CMEK_DESK_GOOGLE_API_BASE` | the four `*.googleapis.com` | one server for KMS, IAM, Service Usage and Resource Manager, at `<base>/kms/`, `/iam/`, `/serviceusage/`, `/crm/` (the cmek-sandbox layout) |
//! | `CMEK_DESK_COCKROACH_API_BASE` | `https://cockroachlabs.cloud/` | CockroachDB Cloud API |
//! | `CMEK_DESK_OPEN_BROWSER` | `1` | `0`: never open the system browser; the sign-in link is shown to copy |
//! | `CMEK_DESK_KEYCHAIN_NAMESPACE` | per build | debug builds only: `test` selects the test namespace of the keychain |
//! | `CMEK_DESK_LOG` | `RUST_LOG`, else info | tracing filter; `cmek_desk::ipc=trace` logs every command response |
//! | `CMEK_DESK_LOG_FILE` | stderr only | also append the log to this file |
//! | `CMEK_DESK_DATA_DIR` | the app data folder; outside release builds its `development` or `test` sub-folder (one per keychain namespace) | where the activity log (`activity.sqlite3`) and its exports live |
//! | `CMEK_DESK_EXPORT_DIR` | `<data folder>/exports` | where audit exports (JSON, CSV, HTML, OCSF) are written |
//! | `CMEK_DESK_KILL_AT` | — | `cmek` debug builds only (read by `crates/cli/src/kill_point.rs`, not compiled into release builds), a test hook: `N:before`, `N:after-apply` or `N:after-log` SIGKILLs the process at write N; `list` reports every write |
//! | `CMEK_DESK_SANDBOX_SPEC_GUARD` | `record` | the app's sandbox and the API contracts: `off`, `record` (a finding is logged as a warning) or `fail` (tests: the E2E harness fails on findings, listed at `{sandbox}/_sandbox/spec-findings`) |
//! | `CMEK_DESK_SANDBOX_URL_FILE` | — | debug builds only, a test hook: the app writes the base URL of the sandbox it starts into this file |
//! | `CMEK_DESK_REVOKE_PAUSE_AFTER` | — | debug builds only, a test hook: `snapshot`, `removeAccess` or `callRevoke`; a revocation pauses after that step (`cmek_revoke::RevokeControl::pause_after`) |

use cmek_auth::OAuthConfig;
use cmek_core::settings::{BuildProfile, SettingValues};
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_gcp::GoogleEndpoints;
use cmek_keychain::Namespace;
use std::path::{Path, PathBuf};

pub use cmek_core::settings::PREFIX;

/// The identifier of the app (`tauri.conf.json`): the name of its data and config folders.
pub const APP_IDENTIFIER: &str = "dev.cmekdesk.app";

/// The settings of this run. Holds the OAuth client secret only inside a `Secret`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: SettingValues,
}

impl Settings {
    /// The environment's `CMEK_DESK_*` variables, overridden by `CMEK_DESK_*=value` arguments,
    /// under this build's rules (`cmek_core::settings`: release builds refuse endpoint
    /// overrides that are not Google's or CockroachDB Cloud's own `https://` hosts or loopback).
    pub fn from_environment() -> Self {
        let env = std::env::vars().filter(|(k, _)| k.starts_with(PREFIX));
        let args = std::env::args().skip(1).filter_map(|a| {
            let (k, v) = a.split_once('=')?;
            k.starts_with(PREFIX).then(|| (k.to_owned(), v.to_owned()))
        });
        Self::load(env.chain(args), BuildProfile::current())
    }

    /// From explicit pairs under this build's rules (tests); later pairs win.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self::load(pairs, BuildProfile::current())
    }

    /// From explicit pairs under `profile`'s rules.
    pub fn load<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        profile: BuildProfile,
    ) -> Self {
        let values = SettingValues::load(pairs, profile);
        for e in values.refused() {
            tracing::error!(message = %e.message, "setting refused");
        }
        Self { values }
    }

    /// The first refused setting, if any: nothing that sends a credential may run until it is
    /// fixed (the stored refresh token and API key are never sent to a refused endpoint, nor
    /// silently to the production one instead).
    pub fn refused(&self) -> Result<()> {
        match self.values.refused().first() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name)
    }

    /// The OAuth client: `CMEK_DESK_OAUTH_CLIENT_ID`/`_SECRET`, else
    /// `<config_dir>/oauth-client.json`; then the endpoint overrides.
    pub fn oauth_config(&self, config_dir: Option<&Path>) -> Result<OAuthConfig> {
        let mut config = match self.get("OAUTH_CLIENT_ID") {
            Some(id) => OAuthConfig::google(id, self.get("OAUTH_CLIENT_SECRET").map(Secret::new)),
            None => {
                let dir = config_dir
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."));
                OAuthConfig::load(&dir)?
            }
        };
        for (name, field) in [
            ("OAUTH_AUTH_URL", &mut config.auth_url),
            ("OAUTH_TOKEN_URL", &mut config.token_url),
            ("OAUTH_REVOKE_URL", &mut config.revoke_url),
            ("OAUTH_USERINFO_URL", &mut config.userinfo_url),
        ] {
            if let Some(url) = self.get(name) {
                *field = url.to_owned();
            }
        }
        Ok(config)
    }

    /// Google API bases: `CMEK_DESK_GOOGLE_API_BASE` serving all four under `kms/`, `iam/`,
    /// `serviceusage/`, `crm/`, `logging/` and `monitoring/` (how cmek-sandbox serves them), else
    /// production.
    pub fn google_endpoints(&self) -> GoogleEndpoints {
        match self.get("GOOGLE_API_BASE") {
            Some(base) => GoogleEndpoints::single_server(base),
            None => GoogleEndpoints::production(),
        }
    }

    /// `CMEK_DESK_AWS_ENDPOINT`: one endpoint for IAM, KMS and STS (tests, a sandbox), already
    /// checked by the release rule (`https://*.amazonaws.com` or loopback); `None`: AWS's own.
    pub fn aws_endpoint(&self) -> Option<String> {
        self.get(cmek_core::settings::AWS_ENDPOINT)
            .map(str::to_owned)
    }

    /// CockroachDB Cloud API base (with a trailing slash).
    pub fn cockroach_base(&self) -> String {
        with_slash(
            self.get("COCKROACH_API_BASE")
                .unwrap_or(cmek_auth::COCKROACH_CLOUD_URL),
        )
    }

    /// False when `CMEK_DESK_OPEN_BROWSER=0`: sign-in shows the link instead of opening it.
    pub fn open_browser(&self) -> bool {
        !matches!(self.get("OPEN_BROWSER"), Some("0" | "false" | "no"))
    }

    /// The keychain namespace: per build; debug builds accept `CMEK_DESK_KEYCHAIN_NAMESPACE=test`.
    pub fn keychain_namespace(&self) -> Namespace {
        // Release builds never see the value (a debug-only setting, dropped at load).
        if self.get("KEYCHAIN_NAMESPACE") == Some("test") {
            Namespace::Test
        } else {
            Namespace::for_this_build()
        }
    }

    /// The tracing filter (`CMEK_DESK_LOG`, else `RUST_LOG`), if any.
    pub fn log_filter(&self) -> Option<String> {
        self.get("LOG")
            .map(str::to_owned)
            .or_else(|| std::env::var("RUST_LOG").ok())
    }

    /// `CMEK_DESK_LOG_FILE`, if set.
    pub fn log_file(&self) -> Option<PathBuf> {
        self.get("LOG_FILE").map(PathBuf::from)
    }

    /// `CMEK_DESK_DATA_DIR`, if set: the folder of the activity log (tests use a temp dir).
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.get("DATA_DIR").map(PathBuf::from)
    }

    /// Where the activity log and exports live: `CMEK_DESK_DATA_DIR`, else the app data folder
    /// the window uses too (`$XDG_DATA_HOME/dev.cmekdesk.app` on Linux), so the window and the
    /// command line of one build share one activity log. Outside the release namespace it is a
    /// sub-folder named for the keychain namespace (`…/dev.cmekdesk.app/development`, `…/test`;
    /// `cmek_keychain::Namespace::data_subfolder`): the log is chained under its namespace's
    /// keychain key, so a debug and a release build sharing one folder would each find the
    /// other's log not trustworthy.
    pub fn data_dir_or_default(&self) -> Option<PathBuf> {
        self.data_dir().or_else(|| {
            let app = dirs::data_dir()?.join(APP_IDENTIFIER);
            Some(match self.keychain_namespace().data_subfolder() {
                Some(sub) => app.join(sub),
                None => app,
            })
        })
    }

    /// Where `oauth-client.json` is looked for: the app config folder
    /// (`$XDG_CONFIG_HOME/dev.cmekdesk.app` on Linux).
    pub fn default_config_dir() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join(APP_IDENTIFIER))
    }

    /// `CMEK_DESK_EXPORT_DIR`, if set: where audit exports are written (tests, E2E).
    pub fn export_dir(&self) -> Option<PathBuf> {
        self.get("EXPORT_DIR").map(PathBuf::from)
    }

    /// `CMEK_DESK_SANDBOX_SPEC_GUARD` (`off`, `record`, `fail`; `cmek_sandbox::SpecGuard`):
    /// what the app's sandbox does with a request or answer that breaks the API contracts.
    /// Default `record` (answered as the real API would and logged as a warning: never a
    /// failure in a user's face); `fail` for the window E2E tests, which read the findings at
    /// the end of each session. An unknown value is logged and read as `record`.
    pub fn sandbox_spec_guard(&self) -> cmek_sandbox::SpecGuard {
        let Some(value) = self.get("SANDBOX_SPEC_GUARD") else {
            return cmek_sandbox::SpecGuard::Record;
        };
        value.parse().unwrap_or_else(|rule| {
            tracing::warn!(%rule, "CMEK_DESK_SANDBOX_SPEC_GUARD ignored");
            cmek_sandbox::SpecGuard::Record
        })
    }

    /// `CMEK_DESK_SANDBOX_URL_FILE`, debug builds only: the app writes the base URL of the
    /// sandbox it starts into this file, so the E2E harness can read the sandbox's spec
    /// findings (`GET {url}/_sandbox/spec-findings`). Release builds ignore it.
    pub fn sandbox_url_file(&self) -> Option<PathBuf> {
        if !cfg!(debug_assertions) {
            return None;
        }
        self.get("SANDBOX_URL_FILE").map(PathBuf::from)
    }

    /// `CMEK_DESK_REVOKE_PAUSE_AFTER` (`snapshot`, `removeAccess`, `callRevoke`): the step after
    /// which a revocation pauses so a test can kill the app there (tests/e2e_revoke_crash.rs).
    /// Debug builds only: release builds ignore it; an unknown step name is ignored too.
    pub fn revoke_pause_after(&self) -> Option<cmek_revoke::RevokeStep> {
        // Release builds never see the value (a debug-only setting, dropped at load).
        let name = self.get("REVOKE_PAUSE_AFTER")?;
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// The error for a sign-in attempted without an OAuth client (kept here with its fix).
pub fn no_oauth_client(e: Error) -> Error {
    if e.code == ErrorCode::InvalidInput {
        Error::new(ErrorCode::SignIn, e.message)
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_overridable_and_default_to_production() {
        let s = Settings::default();
        assert_eq!(s.google_endpoints().kms, "https://cloudkms.googleapis.com/");
        assert_eq!(s.cockroach_base(), "https://cockroachlabs.cloud/");
        assert!(s.open_browser());
        let s = Settings::from_pairs([
            ("CMEK_DESK_GOOGLE_API_BASE", "http://127.0.0.1:9"),
            ("CMEK_DESK_COCKROACH_API_BASE", "http://127.0.0.1:8/"),
            ("CMEK_DESK_OAUTH_CLIENT_ID", "id.apps"),
            ("CMEK_DESK_OAUTH_TOKEN_URL", "http://127.0.0.1:7/token"),
            ("CMEK_DESK_OPEN_BROWSER", "0"),
        ]);
        let g = s.google_endpoints();
        assert_eq!(
            (g.kms.as_str(), g.crm.as_str()),
            ("http://127.0.0.1:9/kms/", "http://127.0.0.1:9/crm/")
        );
        assert_eq!(s.cockroach_base(), "http://127.0.0.1:8/");
        let o = s.oauth_config(None).unwrap();
        assert_eq!(
            (o.client_id.as_str(), o.token_url.as_str()),
            ("id.apps", "http://127.0.0.1:7/token")
        );
        assert_eq!(o.auth_url, cmek_auth::GOOGLE_AUTH_URL);
        assert!(!s.open_browser());
    }

    #[test]
    fn the_default_data_folder_is_one_per_keychain_namespace() {
        let app = dirs::data_dir().unwrap().join(APP_IDENTIFIER);
        let build = Settings::default().data_dir_or_default().unwrap();
        if cfg!(debug_assertions) {
            assert_eq!(build, app.join("development"));
            let test = Settings::from_pairs([("CMEK_DESK_KEYCHAIN_NAMESPACE", "test")]);
            assert_eq!(test.data_dir_or_default().unwrap(), app.join("test"));
        } else {
            assert_eq!(build, app, "release builds keep the installed app's folder");
        }
        let chosen = Settings::from_pairs([
            ("CMEK_DESK_KEYCHAIN_NAMESPACE", "test"),
            ("CMEK_DESK_DATA_DIR", "/tmp/chosen"),
        ]);
        assert_eq!(
            chosen.data_dir_or_default().unwrap(),
            PathBuf::from("/tmp/chosen"),
            "a folder given is used as given"
        );
    }

    #[test]
    fn test_namespace_only_on_request() {
        assert_eq!(
            Settings::default().keychain_namespace(),
            Namespace::for_this_build()
        );
        let s = Settings::from_pairs([("CMEK_DESK_KEYCHAIN_NAMESPACE", "test")]);
        assert_eq!(s.keychain_namespace(), Namespace::Test);
    }

    #[test]
    fn revoke_pause_only_in_debug_builds_and_only_for_known_steps() {
        assert_eq!(Settings::default().revoke_pause_after(), None);
        let s = Settings::from_pairs([("CMEK_DESK_REVOKE_PAUSE_AFTER", "removeAccess")]);
        let want = cfg!(debug_assertions).then_some(cmek_revoke::RevokeStep::RemoveAccess);
        assert_eq!(s.revoke_pause_after(), want);
        let s = Settings::from_pairs([("CMEK_DESK_REVOKE_PAUSE_AFTER", "nonsense")]);
        assert_eq!(s.revoke_pause_after(), None);
    }
}
