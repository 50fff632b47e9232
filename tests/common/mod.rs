//! WebDriver helpers shared by the real-window tests (`tests/e2e*.rs`): the tauri-driver
//! session, waiting and clicking by `data-testid`, screenshots in `target/e2e/`, closing a
//! session with evidence on failure, and one pass of the sandbox setup wizard. [`crash`] holds
//! the crash test's process helpers (external sandbox, app PID, pause marker).
#![allow(dead_code)]

pub mod crash;
pub mod spec_guard;
// Also loaded by support/ (through the OAuth harness) in binaries that use both.
#[allow(clippy::duplicate_mod)]
#[path = "../support/real_part.rs"]
pub mod real_part;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// Long enough for the demo sandbox's IAM propagation and CMEK transition delays.
pub const APPLY_TIMEOUT: Duration = Duration::from_secs(180);
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);
/// The demo organisation's project the sandbox officer may write to (cmek-sandbox `seed.rs`).
pub const DEMO_PROJECT: &str = "cmek-demo-project";

async fn wait_testid_css(c: &Client, css: &str) -> Result<Element, String> {
    c.wait()
        .at_most(UI_TIMEOUT)
        .every(Duration::from_millis(200))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e}"))
}

/// `TAURI_DRIVER_URL`; without it the test fails with the fix (`None` = skip only with
/// `CMEK_DESK_ALLOW_MISSING=1`, said loudly: support/real_part.rs).
pub fn driver_url() -> Option<String> {
    match std::env::var("TAURI_DRIVER_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            real_part::missing(
                "TAURI_DRIVER_URL is not set: no tauri-driver and display for the real window",
                "run scripts/test.sh (it installs xvfb, webkit2gtk-driver and tauri-driver 2.1.0 \
                 and runs the E2E tests under Xvfb with tauri-driver on TAURI_DRIVER_URL)",
            );
            None
        }
    }
}

/// A new app process with `args` (`CMEK_DESK_*=value`: tauri-driver passes arguments, not env),
/// its sandbox's spec guard on ([`spec_guard`], checked by [`close`]).
pub async fn session(url: &str, args: &[String]) -> Client {
    let (guard_args, url_file) = spec_guard::app_args();
    let args: Vec<String> = args.iter().cloned().chain(guard_args).collect();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_cmek-desk"), "args": args }),
    );
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(url)
        .await
        .expect("tauri-driver session (is tauri-driver running under a display?)");
    spec_guard::register(&client, url_file).await;
    client
}

pub fn e2e_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    dir
}

pub async fn wait_testid(c: &Client, testid: &str, timeout: Duration) -> Result<Element, String> {
    c.wait()
        .at_most(timeout)
        .every(Duration::from_millis(200))
        .for_element(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .map_err(|e| format!("waiting for {testid}: {e}"))
}

/// Waits until it exists and is enabled (buttons are disabled while a call runs), then clicks.
pub async fn click(c: &Client, testid: &str) -> Result<(), String> {
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

pub async fn attr(element: &Element, name: &str) -> Result<String, String> {
    element
        .attr(name)
        .await
        .map_err(err)?
        .ok_or_else(|| format!("missing attribute {name}"))
}

pub async fn text_of(c: &Client, css: &str) -> Result<String, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(err)?
        .text()
        .await
        .map_err(err)
}

pub async fn screenshot(c: &Client, name: &str) -> Result<(), String> {
    let png = c.screenshot().await.map_err(err)?;
    std::fs::write(e2e_dir().join(format!("{name}.png")), png).map_err(err)
}

pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Waits until the element `testid` shows `expected` in its text.
pub async fn wait_text(c: &Client, testid: &str, expected: &str) -> Result<(), String> {
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

/// Waits until no element `testid` is shown.
pub async fn wait_gone(c: &Client, testid: &str) -> Result<(), String> {
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

/// Closes the session and passes `outcome` through; on failure it first leaves the evidence
/// for the reader: the window as it was (`{shot}.png`) and the text of `alert_css`. The spec
/// guard of the app's sandbox ([`spec_guard::check`]) turns a success into a failure.
pub async fn close<T>(
    client: Client,
    outcome: Result<T, String>,
    shot: &str,
    alert_css: &str,
) -> Result<T, String> {
    let outcome = match (outcome, spec_guard::check(&client).await) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(findings)) => Err(findings),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(findings)) => Err(format!("{e}\n{findings}")),
    };
    if let Err(failure) = &outcome {
        let _ = screenshot(&client, shot).await;
        let alert = text_of(&client, alert_css).await.unwrap_or_default();
        eprintln!("E2E failed: {failure}\n{alert_css}: {alert}");
    }
    let _ = client.close().await;
    outcome
}

/// One pass of the wizard for `cluster`, from the cluster list to the Result screen: the row
/// is eligible and its region count passes `regions_ok`; `project` (when given) replaces the
/// suggested project; every step ends done/adopted/unchanged; the Result screen shows one
/// ENABLED badge per region and the cluster ENABLED; screenshot `{shot}.png`.
pub async fn set_up_cmek(
    c: &Client,
    cluster: &str,
    project: Option<&str>,
    regions_ok: fn(usize) -> bool,
    shot: &str,
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
    if let Some(project) = project {
        let field = wait_testid_css(c, "input[data-field='project']").await?;
        field.clear().await.map_err(err)?;
        field.send_keys(project).await.map_err(err)?;
    }
    review_apply_and_check(c, regions, shot).await
}

/// From a filled plan form (setup, rotation, new region; GCP or AWS): Review plan → Apply →
/// confirm → every step ends done/adopted/unchanged → Result shows `regions` regions, each and
/// the cluster `ENABLED` → screenshot `shot`. The plan review must list at least one step and
/// the apply screen exactly the steps the review listed (an empty list is a failure, so the
/// step check cannot pass by finding nothing).
pub async fn review_apply_and_check(c: &Client, regions: usize, shot: &str) -> Result<(), String> {
    click(c, "review-plan").await?;
    wait_testid(c, "plan-review", UI_TIMEOUT).await?;
    let planned = c
        .find_all(Locator::Css(".plan-steps li"))
        .await
        .map_err(err)?
        .len();
    if planned == 0 {
        return Err("the plan review lists no step".into());
    }
    click(c, "apply").await?;
    click(c, "confirm-apply").await?;

    // Every step must end in a success state; a failed step stops the test with its message.
    wait_testid(c, "view-result", APPLY_TIMEOUT)
        .await
        .map_err(|e| format!("apply did not finish: {e}"))?;
    let steps = c
        .find_all(Locator::Css("[data-testid^='step-']"))
        .await
        .map_err(err)?;
    if steps.len() != planned {
        return Err(format!(
            "the apply screen shows {} steps, the plan review listed {planned}",
            steps.len()
        ));
    }
    for step in steps {
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
    screenshot(c, shot).await
}
