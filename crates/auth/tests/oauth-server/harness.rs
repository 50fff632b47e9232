//! The OAuth / CockroachDB test server (`server.mjs` beside this file: oauth2-mock-server on
//! 127.0.0.1:0) spawned under node, with its control and stats endpoints and the browser's
//! first step. Shared through `#[path]` by cmek-auth's tests (`tests/common`) and the app's
//! (`tests/support`); each adds what only it needs (an `OAuthConfig`, the app's settings, the
//! secret scan's records).
//!
//! Without node (or when `npm ci` fails) the tests FAIL with the install hint (unless
//! `CMEK_DESK_ALLOW_MISSING=1`: tests/support/real_part.rs).
#![allow(dead_code)]

// Also loaded by the root package's tests/common in binaries that use both.
#[allow(clippy::duplicate_mod)]
#[path = "../../../../tests/support/real_part.rs"]
mod real_part;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct OAuthServer {
    pub port: u16,
    _child: Child,
    http: reqwest::Client,
}

/// `None` = skip (node or its packages missing and `CMEK_DESK_ALLOW_MISSING=1`); missing
/// otherwise fails the test with the install hint.
fn ensure_node_modules(dir: &Path) -> Option<()> {
    let skip_or_fail = |why: String| {
        real_part::missing(
            &format!("the OAuth test server cannot run: {why}"),
            "apt-get install nodejs npm (Node 18+), with the npm registry reachable for \
             `npm ci` in crates/auth/tests/oauth-server (scripts/test.sh does both)",
        );
        None
    };
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip_or_fail("node is not installed".into());
    }
    // Test runners like nextest start each test in its own process, so the install is guarded
    // by a file lock (not a mutex), and "installed" means npm finished: it writes
    // node_modules/.package-lock.json last.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let lock =
        std::fs::File::create(dir.join(".npm-install.lock")).expect("create the install lock file");
    lock.lock().expect("lock the install lock file");
    if !dir.join("node_modules/.package-lock.json").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            return skip_or_fail(format!("npm ci failed in {}", dir.display()));
        }
    }
    Some(())
}

impl OAuthServer {
    /// Runs `node server.mjs` in `dir` (this folder); `issued_file` becomes the server's
    /// `OAUTH_ISSUED_FILE` (every secret it sees is appended there). `None` = skip.
    pub async fn spawn(dir: &Path, issued_file: Option<PathBuf>) -> Option<Self> {
        ensure_node_modules(dir)?;
        let mut command = Command::new("node");
        if let Some(file) = issued_file {
            command.env("OAUTH_ISSUED_FILE", file);
        }
        let mut child = command
            .arg("server.mjs")
            .current_dir(dir)
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
        self.get_json("/__stats").await
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The browser's first step: GET the authorization URL; returns where it redirects (302).
    pub async fn authorize_redirect(&self, authorization_url: &str) -> Result<String, String> {
        let r = self
            .http
            .get(authorization_url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 302 {
            return Err(format!("authorize answered {}", r.status()));
        }
        Ok(r.headers()["location"].to_str().unwrap().to_owned())
    }
}
