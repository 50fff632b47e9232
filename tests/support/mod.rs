//! Shared by the app's tests: the OAuth/CockroachDB test server of cmek-auth
//! (`crates/auth/tests/oauth-server/server.mjs`, oauth2-mock-server on 127.0.0.1:0) and a
//! "browser" that follows its redirect to the app's loopback listener.
//!
//! With `SECRET_SCAN_DIR` set (scripts/test.sh), the server issues distinctive tokens and
//! appends every secret it sees to `$SECRET_SCAN_DIR/issued-secrets.txt` (its
//! `OAUTH_ISSUED_FILE`) for the secret scan; the tests add the secrets they make up.
#![allow(dead_code)]

use std::path::PathBuf;

#[path = "../../crates/auth/tests/oauth-server/harness.rs"]
mod harness;
pub use harness::OAuthServer;

/// The CockroachDB Cloud API key the test server accepts.
pub const GOOD_API_KEY: &str = "crl-good";
/// The OAuth client the tests configure (the secret is recorded for the scan).
pub const CLIENT_ID: &str = "cmek-desk-e2e.apps.example";

/// A client secret unique to this run, recorded like the server's secrets.
pub fn client_secret() -> String {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SECRET
        .get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let s = format!("GOCSPX-e2e-{nanos:x}-{}", std::process::id());
            record_secret(&s);
            s
        })
        .clone()
}

fn issued_file() -> Option<PathBuf> {
    std::env::var_os("SECRET_SCAN_DIR").map(|d| PathBuf::from(d).join("issued-secrets.txt"))
}

/// Appends a secret the tests used to the scan's list (when `SECRET_SCAN_DIR` is set).
pub fn record_secret(secret: &str) {
    if let Some(path) = issued_file() {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open OAUTH_ISSUED_FILE");
        writeln!(f, "{secret}").unwrap();
    }
}

impl OAuthServer {
    /// `None` = skip (no node, and not in CI).
    pub async fn start() -> Option<Self> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/auth/tests/oauth-server");
        let server = Self::spawn(&dir, issued_file()).await?;
        record_secret(GOOD_API_KEY);
        Some(server)
    }

    /// The app settings that point every endpoint at this server, as `NAME=value` pairs.
    pub fn app_settings(&self) -> Vec<(String, String)> {
        [
            ("CMEK_DESK_OAUTH_CLIENT_ID", CLIENT_ID.to_owned()),
            ("CMEK_DESK_OAUTH_CLIENT_SECRET", client_secret()),
            ("CMEK_DESK_OAUTH_AUTH_URL", self.url("/authorize")),
            ("CMEK_DESK_OAUTH_TOKEN_URL", self.url("/token")),
            ("CMEK_DESK_OAUTH_REVOKE_URL", self.url("/revoke")),
            ("CMEK_DESK_OAUTH_USERINFO_URL", self.url("/userinfo")),
            ("CMEK_DESK_COCKROACH_API_BASE", self.url("/")),
            ("CMEK_DESK_GOOGLE_API_BASE", self.url("/google/")),
            ("CMEK_DESK_OPEN_BROWSER", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Plays the browser: GET the authorization URL, then follow its redirect to the app's
    /// loopback listener. Returns the page the app's listener answered.
    pub async fn play_browser(&self, authorization_url: &str) -> Result<String, String> {
        let callback = self.authorize_redirect(authorization_url).await?;
        let page = reqwest::get(&callback).await.map_err(|e| e.to_string())?;
        let status = page.status();
        let text = page.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("loopback answered {status}: {text}"));
        }
        Ok(text)
    }
}
