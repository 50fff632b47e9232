//! Shared by the app's tests: the OAuth/CockroachDB test server of cmek-auth
//! (`crates/auth/tests/oauth-server/server.mjs`, oauth2-mock-server on 127.0.0.1:0) and a
//! "browser" that follows its redirect to the app's loopback listener.
//!
//! With `SECRET_SCAN_DIR` set (scripts/test.sh), the server issues distinctive tokens and
//! appends every secret it sees to `$SECRET_SCAN_DIR/issued-secrets.txt` (its
//! `OAUTH_ISSUED_FILE`) for the secret scan; the tests add the secrets they make up.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The CockroachDB Cloud API key the test server accepts.
pub const GOOD_API_KEY: &str = "crl-good";
/// The OAuth client the tests configure (the secret is recorded for the scan).
pub const CLIENT_ID: &str = "cmek-desk-e2e.apps.example";

pub struct OAuthServer {
    pub port: u16,
    _child: Child,
    http: reqwest::Client,
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/auth/tests/oauth-server")
}

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

fn ensure_node_modules() -> Option<()> {
    let skip_or_fail = |why: String| {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the OAuth test server cannot run: {why}"
        );
        eprintln!("SKIPPED: {why}");
        None
    };
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip_or_fail("node is not installed".into());
    }
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !server_dir()
        .join("node_modules/oauth2-mock-server")
        .exists()
    {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(server_dir())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            return skip_or_fail(format!("npm ci failed in {}", server_dir().display()));
        }
    }
    Some(())
}

impl OAuthServer {
    /// `None` = skip (no node, and not in CI).
    pub async fn start() -> Option<Self> {
        ensure_node_modules()?;
        record_secret(GOOD_API_KEY);
        let mut command = Command::new("node");
        if let Some(file) = issued_file() {
            command.env("OAUTH_ISSUED_FILE", file);
        }
        let mut child = command
            .arg("server.mjs")
            .current_dir(server_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("OAuth server start timed out")
            .unwrap()
            .expect("OAuth server printed nothing");
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Some(Self {
            port: v["port"].as_u64().unwrap() as u16,
            _child: child,
            http,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
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

    pub async fn control(&self, body: serde_json::Value) {
        let r = self
            .http
            .post(self.url("/__control"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn stats(&self) -> serde_json::Value {
        self.http
            .get(self.url("/__stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Plays the browser: GET the authorization URL, then follow its redirect to the app's
    /// loopback listener. Returns the page the app's listener answered.
    pub async fn play_browser(&self, authorization_url: &str) -> Result<String, String> {
        let r = self
            .http
            .get(authorization_url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 302 {
            return Err(format!("authorize answered {}", r.status()));
        }
        let callback = r.headers()["location"].to_str().unwrap().to_owned();
        let page = reqwest::get(&callback).await.map_err(|e| e.to_string())?;
        let status = page.status();
        let text = page.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("loopback answered {status}: {text}"));
        }
        Ok(text)
    }
}
