//! End-to-end: the real `cmek-desk` binary in a real WebKitGTK window, driven through
//! tauri-driver (port 4444) + WebKitWebDriver under Xvfb, against the in-process sandbox.
//!
//! Sandbox setup, per cluster: Connect (sandbox) → pick the cluster → Review plan → Apply
//! (confirm) → every step ends done/adopted/unchanged → Result shows every region ENABLED →
//! screenshot in `target/e2e/`. The single-region cluster goes first, then "Set up another
//! cluster" takes the multi-region one in the same session.
//!
//! Google sign-in: against cmek-auth's OAuth test server, the test plays the browser (it reads
//! the link the app shows and follows the redirect to the app's loopback listener), saves the
//! CockroachDB API key, restarts the app (a new WebDriver session), finds itself signed in,
//! signs out, and checks the OS keychain (Secret Service, via `secret-tool`) before and after.
//!
//! tauri-driver serves one session at a time: scripts/test.sh runs this binary with
//! `--test-threads 1` (and `--no-capture`, which is serial too).
//!
//! Needs `TAURI_DRIVER_URL` (e.g. `http://127.0.0.1:4444`); `scripts/test.sh` sets it up.
//! Without it the test skips with a message — except when `CI` is set, where it fails.

mod support;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// The demo organisation's clusters (cmek-sandbox `seed.rs`).
const SINGLE_REGION: &str = "prod-payments";
const MULTI_REGION: &str = "global-ledger";

/// Long enough for the demo sandbox's IAM propagation and CMEK transition delays.
const APPLY_TIMEOUT: Duration = Duration::from_secs(180);
const UI_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sandbox_setup_enables_cmek_on_single_and_multi_region_clusters() {
    let Some(url) = driver_url() else { return };
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_cmek-desk") }),
    );
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("tauri-driver session (is tauri-driver running under a display?)");

    let outcome = async {
        click(&client, "connect-sandbox").await?;
        set_up_cmek(&client, SINGLE_REGION, |n| n == 1).await?;
        click(&client, "restart").await?;
        set_up_cmek(&client, MULTI_REGION, |n| n > 1).await
    }
    .await;

    if let Err(failure) = &outcome {
        // Leave evidence for the reader: the window as it was, and any error banner.
        let _ = screenshot(&client, "failure").await;
        let banner = text_of(&client, "[data-testid=error-banner]")
            .await
            .unwrap_or_default();
        eprintln!("E2E failed: {failure}\nerror banner: {banner}");
    }
    let _ = client.close().await;
    outcome.expect("the sandbox setup went through");
}

/// The keychain namespace the E2E app uses (`CMEK_DESK_KEYCHAIN_NAMESPACE=test`).
const KEYCHAIN_SERVICE: &str = "dev.cmekdesk.app.test";

#[tokio::test]
async fn google_sign_in_survives_a_restart_and_sign_out_empties_the_keychain() {
    let Some(url) = driver_url() else { return };
    let Some(server) = support::OAuthServer::start().await else {
        return;
    };
    let log = e2e_dir().join("app-sign-in.log");
    let mut args: Vec<String> = server
        .app_settings()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    args.push("CMEK_DESK_KEYCHAIN_NAMESPACE=test".into());
    args.push(format!("CMEK_DESK_LOG_FILE={}", log.display()));
    // Every IPC response and channel message is logged (trace) for the secret scan.
    args.push("CMEK_DESK_LOG=warn,cmek_desk=debug,cmek_auth=debug,cmek_desk::ipc=trace".into());
    assert_eq!(
        keychain_lookup(support_keys::REFRESH),
        None,
        "keychain not empty before the test"
    );

    // Run 1: sign in through the browser step, save the API key.
    let client = session(&url, &args).await;
    let outcome = async {
        click(&client, "target-google").await?;
        click(&client, "sign-in-google").await?;
        let link = wait_testid(&client, "sign-in-url", UI_TIMEOUT).await?;
        let authorization_url = link.prop("value").await.map_err(err)?.unwrap_or_default();
        if !authorization_url.starts_with(&server.url("/authorize")) {
            return Err(format!("unexpected sign-in link {authorization_url}"));
        }
        server.play_browser(&authorization_url).await?;
        wait_text(&client, "signed-in-email", "officer@example.com").await?;
        let key = wait_testid(&client, "cockroach-key", UI_TIMEOUT).await?;
        if key.attr("type").await.map_err(err)?.as_deref() != Some("password") {
            return Err("the API key field is not masked".into());
        }
        key.send_keys(support::GOOD_API_KEY).await.map_err(err)?;
        click(&client, "save-cockroach-key").await?;
        wait_text(&client, "cockroach-org", "org-1").await?;
        if keychain_lookup(support_keys::REFRESH).is_none() {
            return Err("no refresh token in the keychain after sign-in".into());
        }
        if keychain_lookup(support_keys::API_KEY).as_deref() != Some(support::GOOD_API_KEY) {
            return Err("the API key is not in the keychain".into());
        }
        screenshot(&client, "signed-in").await
    }
    .await;
    finish(client, outcome).await;

    // Run 2: a new app process restores the session from the keychain; sign out.
    let client = session(&url, &args).await;
    let outcome = async {
        wait_text(&client, "signed-in-email", "officer@example.com").await?;
        wait_text(&client, "cockroach-org", "org-1").await?;
        screenshot(&client, "restarted-signed-in").await?;
        let refresh = keychain_lookup(support_keys::REFRESH).ok_or("refresh token missing")?;
        click(&client, "sign-out").await?;
        wait_gone(&client, "signed-in-email").await?;
        wait_testid(&client, "sign-in-google", UI_TIMEOUT).await?;
        if keychain_lookup(support_keys::REFRESH).is_some() {
            return Err("the refresh token is still in the keychain after sign-out".into());
        }
        let revoked = server.stats().await["revoked"].clone();
        if !revoked
            .as_array()
            .is_some_and(|r| r.iter().any(|t| t == &json!(refresh)))
        {
            return Err("sign-out did not revoke the token at the provider".into());
        }
        screenshot(&client, "signed-out").await
    }
    .await;
    finish(client, outcome).await;
    // Leave the keychain as found (the API key is not part of sign-out).
    let _ = std::process::Command::new("secret-tool")
        .args([
            "clear",
            "service",
            KEYCHAIN_SERVICE,
            "username",
            support_keys::API_KEY,
        ])
        .status();
}

mod support_keys {
    pub const REFRESH: &str = "google-oauth-refresh-token";
    pub const API_KEY: &str = "cockroach-cloud-api-key";
}

/// The keychain entry through the Secret Service (`secret-tool`, libsecret-tools), or `None`.
fn keychain_lookup(user: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", KEYCHAIN_SERVICE, "username", user])
        .output()
        .expect("secret-tool (Debian package libsecret-tools) runs");
    let value = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !value.is_empty()).then_some(value)
}

async fn session(url: &str, args: &[String]) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_cmek-desk"), "args": args }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(url)
        .await
        .expect("tauri-driver session (is tauri-driver running under a display?)")
}

/// Closes the session; on failure leaves a screenshot and the banner text, then panics.
async fn finish(client: Client, outcome: Result<(), String>) {
    if let Err(failure) = &outcome {
        let _ = screenshot(&client, "sign-in-failure").await;
        let banner = text_of(&client, "[role=alert]").await.unwrap_or_default();
        eprintln!("E2E failed: {failure}\nalert: {banner}");
    }
    let _ = client.close().await;
    outcome.expect("the sign-in flow went through");
}

async fn wait_text(c: &Client, testid: &str, expected: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    loop {
        let text = match c
            .find(Locator::Css(&format!("[data-testid='{testid}']")))
            .await
        {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(expected) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{testid} shows {text:?}, expected {expected:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_gone(c: &Client, testid: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    while c
        .find(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .is_ok()
    {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{testid} is still shown"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

fn e2e_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    dir
}

/// One pass of the wizard for `cluster`, from the cluster list to the Result screen.
async fn set_up_cmek(
    c: &Client,
    cluster: &str,
    regions_ok: fn(usize) -> bool,
) -> Result<(), String> {
    let row = wait_testid(c, &format!("cluster-row-{cluster}"), UI_TIMEOUT).await?;
    let regions: usize = attr(&row, "data-region-count")
        .await?
        .parse()
        .map_err(|e| format!("{e}"))?;
    if !regions_ok(regions) {
        return Err(format!(
            "{cluster} has {regions} regions, not the kind this pass expects"
        ));
    }
    if attr(&row, "data-eligible").await? != "true" {
        return Err(format!("{cluster} is listed as ineligible"));
    }
    click(c, &format!("select-cluster-{cluster}")).await?;

    click(c, "review-plan").await?;
    wait_testid(c, "plan-review", UI_TIMEOUT).await?;
    click(c, "apply").await?;
    click(c, "confirm-apply").await?;

    // Every step must end in a success state; a failed step stops the test with its message.
    wait_testid(c, "view-result", APPLY_TIMEOUT)
        .await
        .map_err(|e| format!("apply did not finish: {e}"))?;
    for step in c
        .find_all(Locator::Css("[data-testid^='step-']"))
        .await
        .map_err(err)?
    {
        let state = attr(&step, "data-state").await?;
        if !matches!(state.as_str(), "done" | "adopted" | "unchanged") {
            return Err(format!(
                "step ended {state}: {}",
                step.text().await.map_err(err)?
            ));
        }
    }

    click(c, "view-result").await?;
    let status = wait_testid(c, "result-status", UI_TIMEOUT).await?;
    let badges = c
        .find_all(Locator::Css("[data-testid^='region-status-']"))
        .await
        .map_err(err)?;
    if badges.len() != regions {
        return Err(format!(
            "{} region statuses shown, cluster has {regions} regions",
            badges.len()
        ));
    }
    for badge in &badges {
        let region_status = attr(badge, "data-status").await?;
        if region_status != "ENABLED" {
            return Err(format!(
                "{}: {region_status}",
                attr(badge, "data-testid").await?
            ));
        }
    }
    let cluster_status = attr(&status, "data-status").await?;
    if cluster_status != "ENABLED" {
        return Err(format!("cluster CMEK status {cluster_status}"));
    }
    screenshot(c, cluster).await
}

/// `TAURI_DRIVER_URL`, or `None` to skip; in CI a missing driver is a failure, not a skip.
fn driver_url() -> Option<String> {
    match std::env::var("TAURI_DRIVER_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but TAURI_DRIVER_URL is not: the E2E test would silently skip. Run it through scripts/test.sh."
            );
            eprintln!("SKIPPED: TAURI_DRIVER_URL is not set (scripts/test.sh runs this test under Xvfb with tauri-driver)");
            None
        }
    }
}

async fn wait_testid(c: &Client, testid: &str, timeout: Duration) -> Result<Element, String> {
    c.wait()
        .at_most(timeout)
        .every(Duration::from_millis(200))
        .for_element(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .map_err(|e| format!("waiting for {testid}: {e}"))
}

async fn click(c: &Client, testid: &str) -> Result<(), String> {
    // Wait until it exists and is enabled (buttons are disabled while a call runs).
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    loop {
        let element = wait_testid(c, testid, UI_TIMEOUT).await?;
        if element.is_enabled().await.map_err(err)? {
            return element
                .click()
                .await
                .map_err(|e| format!("clicking {testid}: {e}"));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{testid} stayed disabled"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn attr(element: &Element, name: &str) -> Result<String, String> {
    element
        .attr(name)
        .await
        .map_err(err)?
        .ok_or_else(|| format!("missing attribute {name}"))
}

async fn text_of(c: &Client, css: &str) -> Result<String, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(err)?
        .text()
        .await
        .map_err(err)
}

async fn screenshot(c: &Client, name: &str) -> Result<(), String> {
    let dir = e2e_dir();
    let png = c.screenshot().await.map_err(err)?;
    std::fs::write(dir.join(format!("{name}.png")), png).map_err(err)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}
