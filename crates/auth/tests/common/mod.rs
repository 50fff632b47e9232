//! Test harness: the real OAuth server (`tests/oauth-server/harness.rs`, shared with the app's
//! tests) with the `OAuthConfig` that points at it, a minimal "browser" that follows its
//! redirect, and browser openers.
#![allow(dead_code)]

use cmek_auth::{BrowserOpener, OAuthConfig};
use cmek_core::Secret;
use std::path::PathBuf;
use std::sync::Mutex;

#[path = "../oauth-server/harness.rs"]
mod harness;
pub use harness::OAuthServer as MockServer;

impl MockServer {
    /// `None` = skip (no node and not in CI).
    pub async fn start() -> Option<Self> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oauth-server");
        Self::spawn(&dir, None).await
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

    /// Plays the browser's first half: GET the authorization URL, return the redirect target.
    pub async fn authorize(&self, authorization_url: &str) -> String {
        self.authorize_redirect(authorization_url)
            .await
            .expect("authorize should redirect")
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
