//! End-to-end: the real `cmek-desk` binary in a real WebKitGTK window, driven through
//! tauri-driver (port 4444) + WebKitWebDriver under Xvfb, against the in-process sandbox.
//!
//! Sandbox setup, per cluster: Connect (sandbox) → pick the cluster → Review plan → Apply
//! (confirm) → every step ends done/adopted/unchanged → Result shows every region ENABLED →
//! screenshot in `target/e2e/`. The single-region cluster goes first; then its setup is run
//! again unchanged (the plan and the confirm dialog count zero changes, every step is only
//! verified, nothing is done); then "Set up another cluster" takes the multi-region one in the
//! same session.
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

mod common;
mod support;

use common::*;
use fantoccini::Client;
use serde_json::json;

/// The demo organisation's clusters (cmek-sandbox `seed.rs`).
const SINGLE_REGION: &str = "prod-payments";
const MULTI_REGION: &str = "global-ledger";

#[tokio::test]
async fn sandbox_setup_enables_cmek_on_single_and_multi_region_clusters() {
    let Some(url) = driver_url() else { return };
    let client = session(&url, &[]).await;

    let outcome = async {
        click(&client, "connect-sandbox").await?;
        set_up_cmek(&client, SINGLE_REGION, None, |n| n == 1, SINGLE_REGION).await?;
        click(&client, "restart").await?;
        reapply_changes_nothing(&client, SINGLE_REGION).await?;
        click(&client, "restart").await?;
        set_up_cmek(&client, MULTI_REGION, None, |n| n > 1, MULTI_REGION).await
    }
    .await;
    close(client, outcome, "failure", "[data-testid=error-banner]")
        .await
        .expect("the sandbox setup went through");
}

/// Re-running the setup just applied, unchanged (issue 11): the plan and the confirm dialog
/// count zero changes and say so, every step says it exists and will be verified, and the
/// apply ends with every step adopted or unchanged (nothing done). Screenshots
/// `setup-reapply-plan`, `setup-reapply-confirm`, `setup-reapply-applied`.
async fn reapply_changes_nothing(c: &Client, cluster: &str) -> Result<(), String> {
    click(c, &format!("select-cluster-{cluster}")).await?;
    click(c, "review-plan").await?;
    let summary = wait_testid(c, "plan-summary", UI_TIMEOUT).await?;
    let text = summary.text().await.map_err(err)?;
    if attr(&summary, "data-changes").await? != "0" || !text.starts_with("Nothing to change") {
        return Err(format!("re-planning an applied setup: {text}"));
    }
    let steps = c
        .find_all(fantoccini::Locator::Css(".plan-steps li[data-state]"))
        .await
        .map_err(err)?;
    for step in &steps {
        if attr(step, "data-state").await? == "change" {
            return Err(format!(
                "a step would change: {}",
                step.text().await.map_err(err)?
            ));
        }
    }
    if steps.is_empty() {
        return Err("the plan review lists no step".into());
    }
    screenshot(c, "setup-reapply-plan").await?;
    click(c, "apply").await?;
    let count = wait_testid(c, "confirm-changes", UI_TIMEOUT).await?;
    let text = count.text().await.map_err(err)?;
    if attr(&count, "data-changes").await? != "0" || !text.contains("Nothing to change") {
        return Err(format!(
            "the confirm dialog of an unchanged setup says: {text}"
        ));
    }
    screenshot(c, "setup-reapply-confirm").await?;
    click(c, "confirm-apply").await?;
    wait_testid(c, "view-result", APPLY_TIMEOUT)
        .await
        .map_err(|e| format!("the re-apply did not finish: {e}"))?;
    let applied = c
        .find_all(fantoccini::Locator::Css("[data-testid^='step-']"))
        .await
        .map_err(err)?;
    if applied.len() != steps.len() {
        return Err(format!(
            "{} steps applied, {} planned",
            applied.len(),
            steps.len()
        ));
    }
    for step in applied {
        let state = attr(&step, "data-state").await?;
        if !matches!(state.as_str(), "adopted" | "unchanged") {
            return Err(format!(
                "re-apply step ended {state}: {}",
                step.text().await.map_err(err)?
            ));
        }
    }
    let done = c
        .find(fantoccini::Locator::Css("[data-testid='apply-done']"))
        .await
        .map_err(err)?;
    let done_text = done.text().await.map_err(err)?;
    if attr(&done, "data-changed").await? != "none" || !done_text.contains("Nothing changed") {
        return Err(format!(
            "the re-apply's outcome does not say nothing changed: {done_text}"
        ));
    }
    screenshot(c, "setup-reapply-applied").await?;
    click(c, "view-result").await?;
    wait_testid(c, "result-status", UI_TIMEOUT).await.map(drop)
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
    // Its own data folder: the activity log is chained under the keychain namespace's key, and
    // the other E2E apps use the development namespace on the shared app home.
    let data = e2e_dir().join("sign-in-data");
    let _ = std::fs::remove_dir_all(&data);
    args.push(format!("CMEK_DESK_DATA_DIR={}", data.display()));
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

/// Closes the session (on failure with a screenshot and the alert text), then panics on failure.
async fn finish(client: Client, outcome: Result<(), String>) {
    close(client, outcome, "sign-in-failure", "[role=alert]")
        .await
        .expect("the sign-in flow went through");
}
