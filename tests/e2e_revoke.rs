//! End-to-end revocation in the real window (tauri-driver + WebKitWebDriver under Xvfb, the
//! in-process demo sandbox, the activity log in a temp dir via `CMEK_DESK_DATA_DIR`):
//! Connect (sandbox) → set up the single-region cluster → Revoke CMEK… → typed confirmation
//! (the button stays disabled until the exact name) → live steps until REVOKED → Recover →
//! the restored bindings are present in the re-read and the support request is shown →
//! the Activity screen lists the operations. Screenshots in `target/e2e/revoke-*.png`.
//!
//! Needs `TAURI_DRIVER_URL`; without it the test skips — except when `CI` is set, where it fails.

mod common;

use common::*;
use fantoccini::Locator;
use std::time::Duration;

const SINGLE_REGION: &str = "prod-payments";
const REVOKE_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn sandbox_revoke_then_recover_shows_restored_bindings_and_the_support_request() {
    let Some(url) = driver_url() else { return };
    let data_dir =
        std::env::temp_dir().join(format!("cmek-desk-e2e-revoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let args = vec![
        format!("CMEK_DESK_DATA_DIR={}", data_dir.display()),
        format!(
            "CMEK_DESK_LOG_FILE={}",
            e2e_dir().join("app-revoke.log").display()
        ),
    ];
    let client = session(&url, &args).await;

    let outcome = async {
        click(&client, "connect-sandbox").await?;
        set_up_cmek(
            &client,
            SINGLE_REGION,
            Some(DEMO_PROJECT),
            |_| true,
            "revoke-0-enabled",
        )
        .await?;

        click(&client, "revoke-cluster").await?;
        click(&client, "revoke-open-confirm").await?;
        wait_testid(&client, "revoke-dialog", UI_TIMEOUT).await?;
        let confirm = wait_testid(&client, "revoke-confirm", UI_TIMEOUT).await?;
        if confirm.is_enabled().await.map_err(err)? {
            return Err("the revoke button is enabled before the name is typed".into());
        }
        let input = wait_testid(&client, "revoke-confirm-input", UI_TIMEOUT).await?;
        input.send_keys("prod-paym").await.map_err(err)?;
        if confirm.is_enabled().await.map_err(err)? {
            return Err("the revoke button is enabled by a partial name".into());
        }
        input.send_keys("ents").await.map_err(err)?;
        screenshot(&client, "revoke-1-confirm").await?;
        click(&client, "revoke-confirm").await?;

        let status = wait_testid(&client, "revoke-cmek-status", REVOKE_TIMEOUT)
            .await
            .map_err(|e| format!("revocation did not finish: {e}"))?;
        let observed = attr(&status, "data-status").await?;
        if observed != "REVOKED" {
            return Err(format!("observed CMEK status after revoke: {observed}"));
        }
        for step in [
            "snapshot",
            "removeAccess",
            "callRevoke",
            "waitRevoked",
            "verify",
        ] {
            let row = wait_testid(&client, &format!("rstep-{step}"), UI_TIMEOUT).await?;
            let state = attr(&row, "data-state").await?;
            if state != "done" {
                return Err(format!(
                    "step {step} ended {state}: {}",
                    row.text().await.map_err(err)?
                ));
            }
        }
        screenshot(&client, "revoke-2-revoked").await?;

        click(&client, "recover").await?;
        // The confirmation lists exactly what will be restored; confirm it.
        wait_testid(&client, "recover-grants", UI_TIMEOUT).await?;
        let grants = text_of(&client, "[data-testid='recover-grants']").await?;
        if !grants.contains("roles/iam.serviceAccountTokenCreator") {
            return Err(format!(
                "the recover dialog lacks the grant to restore: {grants}"
            ));
        }
        click(&client, "recover-confirm").await?;
        let verified = wait_testid(&client, "recover-verified", REVOKE_TIMEOUT).await?;
        if attr(&verified, "data-status").await? != "done" {
            return Err("recovery was not verified".into());
        }
        let restored = client
            .find_all(Locator::Css("[data-testid='restored-binding']"))
            .await
            .map_err(err)?;
        if restored.is_empty() {
            return Err("no restored binding shown".into());
        }
        for b in &restored {
            if attr(b, "data-present").await? != "true" {
                return Err(format!(
                    "restored binding missing: {}",
                    b.text().await.map_err(err)?
                ));
            }
        }
        let binding = restored[0].text().await.map_err(err)?;
        if !binding.contains("roles/iam.serviceAccountTokenCreator") {
            return Err(format!(
                "the default lever restores Token Creator, shown: {binding}"
            ));
        }
        let support = text_of(&client, "[data-testid='support-request']").await?;
        for want in [
            "Cluster ID:",
            "Organization ID:",
            "Regions: us-east4",
            "CMEK revoked at:",
        ] {
            if !support.contains(want) {
                return Err(format!("support request lacks {want:?}: {support}"));
            }
        }
        wait_testid(&client, "copy-support-request", UI_TIMEOUT).await?;
        client
            .execute(
                "document.querySelector(\"[data-testid='recover-report']\").scrollIntoView()",
                vec![],
            )
            .await
            .map_err(err)?;
        screenshot(&client, "revoke-3-recovered").await?;

        click(&client, "open-activity").await?;
        wait_testid(&client, "activity-table", UI_TIMEOUT).await?;
        for action in ["connect", "revoke", "revoke.call_revoke", "recover"] {
            client
                .find(Locator::Css(&format!(
                    "[data-testid='activity-row'][data-action='{action}']"
                )))
                .await
                .map_err(|_| format!("activity log lacks {action}"))?;
        }
        screenshot(&client, "revoke-4-activity").await
    }
    .await;
    let outcome = close(client, outcome, "revoke-failure", "[role=alert]").await;
    // Kept under scripts/test.sh: the secret scan reads its activity database.
    if std::env::var_os("SECRET_SCAN_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    outcome.expect("the sandbox revoke and recover went through");
}
