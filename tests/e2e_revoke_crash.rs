//! End-to-end crash recovery of a revocation in the real window (issue #5: "Killing the app
//! (SIGKILL) between removing access and calling REVOKE, then restarting, shows the interrupted
//! revocation from the activity log and lets the user finish or roll it back").
//!
//! The clouds must outlive the app, so the sandbox is the `cmek-sandbox` binary started here as
//! its own process (`--tests`), and the app runs in live mode against it
//! (`CMEK_DESK_GOOGLE_API_BASE`, `CMEK_DESK_COCKROACH_API_BASE`). Credentials go the app's real
//! way: Google sign-in against cmek-auth's OAuth test server (told to issue the sandbox's
//! access token), the sandbox's CockroachDB API key saved through the Connect screen, both
//! kept in the test keychain (`CMEK_DESK_KEYCHAIN_NAMESPACE=test`) so restarts sign in by
//! themselves. CMEK is set up on two demo clusters with the setup engine directly (not what is
//! under test). The activity log lives in one temp dir (`CMEK_DESK_DATA_DIR`) for every run.
//!
//! 1. Run 1, with the debug-build pause `CMEK_DESK_REVOKE_PAUSE_AFTER=removeAccess`: sign in,
//!    revoke `prod-payments` in the UI; the app pauses after removing access (marker file
//!    `revoke-paused.json` in the data dir); the test SIGKILLs the app process (found by its
//!    unique data-dir argument). The sandbox shows the grant gone and CMEK still ENABLED.
//! 2. Run 2 (same data dir and pause): the start-up banner shows the interrupted revocation;
//!    "Finish revocation" → REVOKED, in the UI and read from the sandbox over HTTP. Then
//!    `global-ledger` is revoked, paused and killed the same way.
//! 3. Run 3 (no pause): the banner shows only the second one; "Roll back" → the removed
//!    binding is back exactly (the sandbox's policy over HTTP equals the one before), CMEK is
//!    still ENABLED, no support request, and the Activity screen shows the revocation rolled
//!    back.
//!
//! Screenshots in `target/e2e/revoke-crash-*.png`. Needs `TAURI_DRIVER_URL` (scripts/test.sh);
//! without it the test skips — except when `CI` is set, where it fails. Linux only (`/proc`).

mod common;
mod support;

use cmek_revoke::{Lever, RevokeContext, PAUSE_MARKER_FILE};
use cmek_sandbox::{DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN};
use cmek_setup::{ApplyControl, Connection};
use common::crash::{kill_app, wait_marker, ExternalSandbox};
use common::*;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FIRST: &str = "prod-payments";
const SECOND: &str = "global-ledger";
/// Live mode polls CockroachDB every 5 s.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(120);
const PAUSE_TIMEOUT: Duration = Duration::from_secs(60);
/// The keychain namespace of `CMEK_DESK_KEYCHAIN_NAMESPACE=test` and the entries sign-in makes.
const KEYCHAIN_SERVICE: &str = "dev.cmekdesk.app.test";
const KEYCHAIN_ENTRIES: [&str; 3] = [
    "google-oauth-refresh-token",
    "google-oauth-email",
    "cockroach-cloud-api-key",
];

/// Sets up CMEK on the demo cluster `name` with the setup engine; returns its id.
async fn set_up(conn: &Connection, name: &str) -> String {
    let clusters = cmek_setup::list_clusters(conn).await.expect("clusters");
    let id = clusters
        .iter()
        .find(|c| c.cluster.name == name)
        .map(|c| c.cluster.id.clone())
        .unwrap_or_else(|| panic!("demo cluster {name}"));
    let mut request = cmek_setup::suggest_request(conn, &id)
        .await
        .expect("suggest");
    request.project = cmek_sandbox::seed::DEMO_PROJECT_ID.into();
    let plan = cmek_setup::plan(conn, request).await.expect("plan");
    let result = cmek_setup::apply(conn, &plan, &ApplyControl::default(), &|_| {})
        .await
        .expect("apply");
    assert_eq!(result.cmek.status, "ENABLED", "{name} after setup");
    id
}

/// The policies the default lever (Token Creator for this cluster) edits, read over HTTP.
struct Watched {
    ctx: RevokeContext,
    cluster: String,
    targets: Vec<cmek_gcp::PolicyTarget>,
    grants: Vec<cmek_core::iam::Grant>,
}

impl Watched {
    async fn new(conn: &Connection, cluster: &str) -> Self {
        let ctx = RevokeContext::new(
            conn.google.clone(),
            conn.cockroach.clone(),
            DEFAULT_GOOGLE_MEMBER,
        );
        let preview = cmek_revoke::preview_revoke(&ctx, cluster)
            .await
            .expect("preview");
        let lever = preview
            .levers
            .iter()
            .find(|l| l.lever == Lever::TokenCreator)
            .expect("Token Creator lever");
        assert!(
            !lever.removals.is_empty(),
            "nothing to remove for {cluster}"
        );
        Self {
            ctx: ctx.clone(),
            cluster: cluster.into(),
            targets: lever.removals.iter().map(|r| r.resource.target()).collect(),
            grants: lever
                .removals
                .iter()
                .flat_map(|r| r.grants.clone())
                .collect(),
        }
    }

    /// Every watched policy (bindings, audit configs, other fields; not the etag) as JSON.
    async fn policies(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for t in &self.targets {
            let mut p = self.ctx.google.get_policy(t).await.expect("getIamPolicy");
            p.etag = None;
            out.push(serde_json::to_value(p).unwrap());
        }
        out
    }

    /// How many of the lever's grants the sandbox shows now.
    async fn grants_present(&self) -> usize {
        let mut n = 0;
        for t in &self.targets {
            let p = self.ctx.google.get_policy(t).await.expect("getIamPolicy");
            let have = p.grants_list();
            n += self.grants.iter().filter(|g| have.contains(g)).count();
        }
        n
    }

    async fn cmek_status(&self) -> String {
        self.ctx
            .cockroach
            .get_cmek(&self.cluster)
            .await
            .expect("GET cmek")
            .map(|c| c.status)
            .unwrap_or_default()
    }
}

fn clear_keychain() {
    for user in KEYCHAIN_ENTRIES {
        let _ = std::process::Command::new("secret-tool")
            .args(["clear", "service", KEYCHAIN_SERVICE, "username", user])
            .status();
    }
}

/// Clears the test keychain entries and the data dir, and stops the sandbox, however the test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        clear_keychain();
        // Kept under scripts/test.sh: the secret scan reads its activity database and log.
        if std::env::var_os("SECRET_SCAN_DIR").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Ends a session whose app may be dead; on failure leaves a screenshot and the alert text.
async fn end<T>(client: Client, outcome: Result<T, String>, shot: &str) -> T {
    if let Err(failure) = &outcome {
        let _ = screenshot(&client, shot).await;
        let alert = text_of(&client, "[role=alert]").await.unwrap_or_default();
        eprintln!("E2E revoke crash failed: {failure}\nalert: {alert}");
    }
    let _ = tokio::time::timeout(Duration::from_secs(30), client.close()).await;
    outcome.expect("the crash and restart flow went through")
}

/// Connect screen after a restart: the keychain restored the sign-in and the key; Continue.
async fn connect_restored(c: &Client) -> Result<(), String> {
    wait_text(c, "signed-in-email", "officer@example.com").await?;
    wait_testid(c, "cockroach-org", UI_TIMEOUT).await?;
    click(c, "connect-live").await?;
    wait_testid(c, "cluster-table", UI_TIMEOUT)
        .await
        .map(|_| ())
}

/// The start-up banner: exactly the interrupted revocation `op` of `cluster_name`.
async fn banner_shows(c: &Client, op: &str, cluster_name: &str) -> Result<(), String> {
    let banner = wait_testid(c, "pending-operation", UI_TIMEOUT).await?;
    let all = c
        .find_all(Locator::Css("[data-testid='pending-operation']"))
        .await
        .map_err(err)?;
    if all.len() != 1 {
        return Err(format!(
            "{} interrupted operations shown, expected 1",
            all.len()
        ));
    }
    if attr(&banner, "data-operation").await? != op {
        return Err(format!("the banner shows another operation than {op}"));
    }
    let text = banner.text().await.map_err(err)?;
    if !text.contains(cluster_name) || !text.contains("revoke.remove_access") {
        return Err(format!("banner text: {text}"));
    }
    for b in ["pending-finish", "pending-rollback"] {
        wait_testid(c, b, UI_TIMEOUT).await?;
    }
    Ok(())
}

/// Opens the Revoke screen of `cluster_id`, confirms with the default lever and waits for the
/// pause after RemoveAccess; returns the operation id from the marker.
async fn revoke_until_paused(
    c: &Client,
    data_dir: &Path,
    cluster_id: &str,
    name: &str,
    shot: &str,
) -> Result<String, String> {
    let marker = data_dir.join(PAUSE_MARKER_FILE);
    let _ = std::fs::remove_file(&marker);
    c.execute(
        "location.hash = arguments[0]",
        vec![json!(format!("#revoke/{cluster_id}"))],
    )
    .await
    .map_err(err)?;
    wait_testid(c, "revoke-preview", UI_TIMEOUT).await?;
    click(c, "revoke-open-confirm").await?;
    wait_testid(c, "revoke-dialog", UI_TIMEOUT).await?;
    let input = wait_testid(c, "revoke-confirm-input", UI_TIMEOUT).await?;
    input.send_keys(name).await.map_err(err)?;
    click(c, "revoke-confirm").await?;
    let m = wait_marker(&marker, PAUSE_TIMEOUT)
        .await
        .map_err(|e| format!("{e} after RemoveAccess"))?;
    if m["step"] != "removeAccess" {
        return Err(format!("paused at {m}"));
    }
    // The UI saw the step finish and nothing after it.
    let row = wait_testid(c, "rstep-removeAccess", UI_TIMEOUT).await?;
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    while attr(&row, "data-state").await? != "done" {
        if tokio::time::Instant::now() > deadline {
            return Err("RemoveAccess is not shown done at the pause".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let call = attr(
        &wait_testid(c, "rstep-callRevoke", UI_TIMEOUT).await?,
        "data-state",
    )
    .await?;
    if call == "done" {
        return Err("REVOKE shown done at the pause".into());
    }
    screenshot(c, shot).await?;
    m["operationId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("marker without operation: {m}"))
}

/// Paused after RemoveAccess: the grant is gone at the sandbox, CockroachDB was never told.
async fn check_paused_state(w: &Watched) -> Result<(), String> {
    if w.grants_present().await != 0 {
        return Err("the removed grant is still in the sandbox's policy at the pause".into());
    }
    let status = w.cmek_status().await;
    if status != "ENABLED" {
        return Err(format!(
            "CMEK {status} at the pause; REVOKE must not have been sent"
        ));
    }
    Ok(())
}

#[tokio::test]
async fn a_revocation_killed_before_revoke_is_finished_or_rolled_back_after_restart() {
    let Some(url) = driver_url() else { return };
    let Some(oauth) = support::OAuthServer::start().await else {
        return;
    };
    // The access token the sandbox accepts, issued by the OAuth server at sign-in and refresh.
    oauth
        .control(json!({ "accessToken": DEFAULT_GOOGLE_TOKEN }))
        .await;
    let sandbox = ExternalSandbox::start().await;
    let conn = sandbox.engine().await;
    let first = set_up(&conn, FIRST).await;
    let second = set_up(&conn, SECOND).await;
    let w1 = Watched::new(&conn, &first).await;
    let w2 = Watched::new(&conn, &second).await;
    let second_before = w2.policies().await;

    let data_dir = std::env::temp_dir().join(format!("cmek-desk-e2e-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    clear_keychain();
    let _cleanup = Cleanup(data_dir.clone());

    let log = e2e_dir().join("app-revoke-crash.log");
    let mut args: Vec<String> = oauth
        .app_settings()
        .into_iter()
        .filter(|(k, _)| !k.ends_with("_API_BASE"))
        .chain(sandbox.settings())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    args.extend([
        "CMEK_DESK_KEYCHAIN_NAMESPACE=test".into(),
        format!("CMEK_DESK_DATA_DIR={}", data_dir.display()),
        format!("CMEK_DESK_LOG_FILE={}", log.display()),
        "CMEK_DESK_LOG=warn,cmek_desk=debug,cmek_revoke=debug,cmek_desk::ipc=trace".into(),
    ]);
    let mut paused = args.clone();
    paused.push("CMEK_DESK_REVOKE_PAUSE_AFTER=removeAccess".into());

    // Run 1: sign in, save the key, connect live, revoke the first cluster, kill at the pause.
    let client = session(&url, &paused).await;
    let outcome = async {
        click(&client, "target-google").await?;
        click(&client, "sign-in-google").await?;
        let link = wait_testid(&client, "sign-in-url", UI_TIMEOUT).await?;
        let authorization_url = link.prop("value").await.map_err(err)?.unwrap_or_default();
        oauth.play_browser(&authorization_url).await?;
        wait_text(&client, "signed-in-email", "officer@example.com").await?;
        let key = wait_testid(&client, "cockroach-key", UI_TIMEOUT).await?;
        key.send_keys(DEFAULT_COCKROACH_KEY).await.map_err(err)?;
        click(&client, "save-cockroach-key").await?;
        wait_testid(&client, "cockroach-org", UI_TIMEOUT).await?;
        click(&client, "connect-live").await?;
        wait_testid(&client, "cluster-table", UI_TIMEOUT).await?;
        if wait_testid(&client, "sandbox-banner", Duration::ZERO)
            .await
            .is_ok()
        {
            return Err("the app is not in live mode".into());
        }
        let op =
            revoke_until_paused(&client, &data_dir, &first, FIRST, "revoke-crash-1-paused").await?;
        check_paused_state(&w1).await?;
        kill_app(&data_dir).await?;
        Ok(op)
    }
    .await;
    let op1 = end(client, outcome, "revoke-crash-failure-1").await;

    // Run 2: the banner offers the first; finish it; then revoke the second, kill at the pause.
    let client = session(&url, &paused).await;
    let outcome = async {
        banner_shows(&client, &op1, FIRST).await?;
        screenshot(&client, "revoke-crash-2-banner").await?;
        connect_restored(&client).await?;
        click(&client, "pending-finish").await?;
        let status = wait_testid(&client, "revoke-cmek-status", REVOKE_TIMEOUT)
            .await
            .map_err(|e| format!("the finished revocation did not report: {e}"))?;
        let shown = attr(&status, "data-status").await?;
        if shown != "REVOKED" {
            return Err(format!("the UI shows {shown} after Finish revocation"));
        }
        for step in ["removeAccess", "callRevoke", "waitRevoked", "verify"] {
            let row = wait_testid(&client, &format!("rstep-{step}"), UI_TIMEOUT).await?;
            let state = attr(&row, "data-state").await?;
            if state != "done" {
                return Err(format!("step {step} ended {state}"));
            }
        }
        let observed = w1.cmek_status().await;
        if observed != "REVOKED" {
            return Err(format!(
                "the sandbox reports {observed} after Finish revocation"
            ));
        }
        if w1.grants_present().await != 0 {
            return Err("the removed grant came back".into());
        }
        screenshot(&client, "revoke-crash-3-finished").await?;

        let op = revoke_until_paused(&client, &data_dir, &second, SECOND, "revoke-crash-4-paused")
            .await?;
        check_paused_state(&w2).await?;
        kill_app(&data_dir).await?;
        Ok(op)
    }
    .await;
    let op2 = end(client, outcome, "revoke-crash-failure-2").await;

    // Run 3 (no pause): the banner offers only the second; roll it back.
    let client = session(&url, &args).await;
    let outcome = async {
        banner_shows(&client, &op2, SECOND).await?;
        connect_restored(&client).await?;
        click(&client, "pending-rollback").await?;
        // Same confirmation as Recover, with the grants from the recovery snapshot.
        wait_testid(&client, "recover-grants", UI_TIMEOUT).await?;
        click(&client, "recover-confirm").await?;
        let verified = wait_testid(&client, "recover-verified", REVOKE_TIMEOUT).await?;
        if attr(&verified, "data-status").await? != "done" {
            return Err("the roll back was not verified".into());
        }
        for b in client
            .find_all(Locator::Css("[data-testid='restored-binding']"))
            .await
            .map_err(err)?
        {
            if attr(&b, "data-present").await? != "true" {
                return Err(format!(
                    "restored binding missing: {}",
                    b.text().await.map_err(err)?
                ));
            }
        }
        if wait_testid(&client, "support-request", Duration::ZERO)
            .await
            .is_ok()
        {
            return Err("REVOKE was never sent, yet a support request is shown".into());
        }
        let after = w2.policies().await;
        if after != second_before {
            return Err(format!(
                "the policy is not back exactly:\nbefore {second_before:#?}\nafter {after:#?}"
            ));
        }
        let status = w2.cmek_status().await;
        if status != "ENABLED" {
            return Err(format!("CMEK {status} after the roll back"));
        }
        screenshot(&client, "revoke-crash-5-rolled-back").await?;

        click(&client, "open-activity").await?;
        wait_testid(&client, "activity-table", UI_TIMEOUT).await?;
        // One row per operation: its start, closed by its finish (Desk::activity_rows).
        let finished = "[data-testid='activity-row'][data-action='revoke'][data-outcome-kind='operation_finished']";
        let rolled_back = client
            .find(Locator::Css(&format!(
                "{finished} [data-status='rolled_back']"
            )))
            .await
            .map_err(|_| "the Activity screen shows no revocation rolled back".to_owned())?;
        let row = rolled_back
            .find(Locator::XPath("./ancestor::tr"))
            .await
            .map_err(err)?;
        if !row.text().await.map_err(err)?.contains(&second) {
            return Err("the rolled-back revocation is not the second cluster's".into());
        }
        client
            .find(Locator::Css(&format!("{finished} [data-status='ok']")))
            .await
            .map_err(|_| "the Activity screen shows no finished revocation".to_owned())?;
        screenshot(&client, "revoke-crash-6-activity").await
    }
    .await;
    end(client, outcome, "revoke-crash-failure-3").await;
    sandbox
        .check_spec_guard()
        .await
        .expect("no exchange broke the API contracts");
}
