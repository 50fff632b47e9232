//! Test harness: the real OAuth server (`tests/oauth-server/server.mjs`, oauth2-mock-server
//! on 127.0.0.1:0) spawned under node, and a minimal "browser" that follows its redirect.
//!
//! Without node (or when `npm ci` fails) the tests skip on a developer machine and FAIL
//! when `CI` is set.
#![allow(dead_code)]

use cmek_auth::{BrowserOpener, OAuthConfig};
use cmek_core::Secret;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct MockServer {
    pub port: u16,
    _child: Child,
    http: reqwest::Client,
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oauth-server")
}

/// `None` = skip (no node and not in CI).
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

impl MockServer {
    pub async fn start() -> Option<Self> {
        ensure_node_modules()?;
        let mut child = Command::new("node")
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
        let port = v["port"].as_u64().unwrap() as u16;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Some(Self {
            port,
            _child: child,
            http,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn config(&self) -> OAuthConfig {
        let mut c = OAuthConfig::google(
            "cmek-desk-test.apps.example",
            Some(Secret::new("test-client-secret")),
        );
        c.auth_url = self.url("/authorize");
        c.token_url = self.url("/token");
        c.revoke_url = self.url("/revoke");
        c.userinfo_url = self.url("/userinfo");
        c
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

    /// Plays the browser's first half: GET the authorization URL, return the redirect target.
    pub async fn authorize(&self, authorization_url: &str) -> String {
        let r = self.http.get(authorization_url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 302, "authorize should redirect");
        r.headers()["location"].to_str().unwrap().to_owned()
    }
}

/// Plays the browser's second half: GET the loopback callback; returns (status, page).
pub async fn follow(url: &str) -> reqwest::Result<(u16, String)> {
    let r = reqwest::Client::new().get(url).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.text().await?))
}

/// Records the URL instead of opening a browser.
#[derive(Default)]
pub struct CapturingOpener(pub Mutex<Vec<String>>);

impl BrowserOpener for CapturingOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.lock().unwrap().push(url.to_owned());
        Ok(())
    }
}

/// A machine with no browser (B33).
pub struct NoBrowser;

impl BrowserOpener for NoBrowser {
    fn open(&self, _url: &str) -> Result<(), String> {
        Err("could not locate runnable browser".into())
    }
}

/// Replaces one query parameter of `url`.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
