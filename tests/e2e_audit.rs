//! End-to-end audit in the real window (tauri-driver + WebKitWebDriver under Xvfb, the app's
//! in-process sandbox, which carries the audit seed): Connect (sandbox) → Audit → pick the two
//! audit projects → Start scan → the findings listed are exactly the ones the audit domain fires
//! on the seed (computed here by `cmek_audit::run_audit` on a fresh audit-seeded sandbox, as the
//! domain's tests do) → a key's detail panel and the clusters' access graphs → Export printable
//! HTML into `CMEK_DESK_EXPORT_DIR` → that file rendered to PNG by headless Chromium (Debian
//! `chromium`), checked for size and the report title. Screenshots in `target/e2e/audit-*.png`.
//!
//! Needs `TAURI_DRIVER_URL`; without it the test skips — except when `CI` is set, where it fails.

mod audit_support;
mod common;

use audit_support::{expected_failed, AUDIT_PROJECTS};
use common::*;
use fantoccini::Locator;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SCAN_TIMEOUT: Duration = Duration::from_secs(180);
const REPORT_TITLE: &str = "CMEK key audit";

#[tokio::test]
async fn sandbox_audit_shows_the_seeded_findings_and_exports_a_printable_report() {
    let Some(url) = driver_url() else { return };
    let run = std::env::temp_dir().join(format!("cmek-desk-e2e-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&run);
    let exports = e2e_dir().join("audit-exports");
    let _ = std::fs::remove_dir_all(&exports);
    let args = vec![
        format!("CMEK_DESK_DATA_DIR={}", run.join("data").display()),
        format!("CMEK_DESK_EXPORT_DIR={}", exports.display()),
        format!(
            "CMEK_DESK_LOG_FILE={}",
            e2e_dir().join("app-audit.log").display()
        ),
    ];
    let expected = expected_failed().await;
    assert!(!expected.is_empty(), "the domain fires on the audit seed");
    let client = session(&url, &args).await;

    let outcome = async {
        click(&client, "connect-sandbox").await?;
        wait_testid(&client, "cluster-row-prod-payments", UI_TIMEOUT).await?;
        click(&client, "open-audit").await?;
        for p in AUDIT_PROJECTS {
            click(&client, &format!("audit-project-{p}")).await?;
        }
        screenshot(&client, "audit-0-projects").await?;
        click(&client, "audit-start").await?;
        wait_testid(&client, "audit-results", SCAN_TIMEOUT)
            .await
            .map_err(|e| format!("the scan did not finish: {e}"))?;
        for p in AUDIT_PROJECTS {
            let row = wait_testid(&client, &format!("progress-{p}"), UI_TIMEOUT).await?;
            let state = attr(&row, "data-state").await?;
            if state != "done" {
                return Err(format!("{p}: {state}: {}", row.text().await.map_err(err)?));
            }
        }
        screenshot(&client, "audit-1-results").await?;

        // The findings shown are the domain's findings on the seed, no more, no fewer.
        let mut shown = BTreeSet::new();
        for row in client
            .find_all(Locator::Css("[data-testid='finding-row']"))
            .await
            .map_err(err)?
        {
            shown.insert((
                attr(&row, "data-check-id").await?,
                attr(&row, "data-resource").await?,
            ));
        }
        if shown != expected {
            return Err(format!(
                "findings shown differ from the domain's on the seed\nmissing: {:?}\nextra: {:?}",
                expected.difference(&shown).collect::<Vec<_>>(),
                shown.difference(&expected).collect::<Vec<_>>()
            ));
        }
        let ids: BTreeSet<&str> = shown.iter().map(|(id, _)| id.as_str()).collect();
        eprintln!("audit E2E: {} findings shown, checks {ids:?}", shown.len());

        // At least one cluster's access graph shows a broken link (the seed has several).
        let broken = client
            .find_all(Locator::Css(
                "[data-testid='graph-edge'][data-health='broken']",
            ))
            .await
            .map_err(err)?;
        if broken.is_empty() {
            return Err("no broken edge drawn in any access graph".into());
        }
        // A key's detail panel opens with its bindings and their levels.
        // Keyboard, as the table is meant to be used: focus the first row, Enter opens it.
        let first = wait_testid(&client, "key-row", UI_TIMEOUT).await?;
        client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();",
                vec![serde_json::to_value(&first).map_err(err)?],
            )
            .await
            .map_err(err)?;
        first.send_keys("\u{E007}").await.map_err(err)?;
        wait_testid(&client, "key-detail", UI_TIMEOUT).await?;
        wait_testid(&client, "binding-level", UI_TIMEOUT).await?;
        screenshot(&client, "audit-2-key-detail").await?;

        click(&client, "audit-export-html").await?;
        let shown_path = wait_testid(&client, "audit-export-path", UI_TIMEOUT).await?;
        let text = shown_path.text().await.map_err(err)?;
        let path = text.trim_start_matches("Exported to").trim().to_owned();
        Ok::<PathBuf, String>(PathBuf::from(path))
    }
    .await;
    let html = close(client, outcome, "audit-failure", "[role=alert]")
        .await
        .expect("the audit flow went through");

    assert!(
        html.starts_with(&exports),
        "{} is in CMEK_DESK_EXPORT_DIR",
        html.display()
    );
    let text = std::fs::read_to_string(&html).expect("the exported HTML file");
    assert!(
        text.contains(&format!("<title>{REPORT_TITLE}")),
        "the HTML has the report title"
    );
    assert!(text.contains(&format!("<h1>{REPORT_TITLE}</h1>")));
    let png = e2e_dir().join("audit-report-html.png");
    render_to_png(&html, &png, &run.join("chromium")).await;
    let bytes = std::fs::read(&png).expect("the PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert!(
        (w, h) == (1280, 1800),
        "rendered at the window size asked: {w}x{h}"
    );
    assert!(
        bytes.len() > 20_000,
        "a rendered report, not a blank page: {} bytes",
        bytes.len()
    );
    // Kept under scripts/test.sh: the secret scan reads its activity database and exports.
    if std::env::var_os("SECRET_SCAN_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&run);
    }
}

/// Renders `html` to `png` with Debian's headless Chromium (as root: no sandbox).
async fn render_to_png(html: &Path, png: &Path, profile: &Path) {
    let _ = std::fs::remove_file(png);
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let run = tokio::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("chromium finished within 90 s")
        .unwrap_or_else(|e| panic!("{chromium} runs (Debian package chromium): {e}"));
    assert!(
        out.status.success() && png.exists(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
