//! End-to-end, real window against the in-process sandbox: navigation (issue 11).
//!
//! Finds `global-ledger` by searching the cluster list, opens its cluster page with the
//! keyboard (its actions follow the CMEK state machine), switches to the dark theme, then
//! disconnects and connects again; the window title names the connection and the screen at
//! each stage. Screenshots `nav-*.png` in `target/e2e/`. Needs `TAURI_DRIVER_URL`
//! (scripts/test.sh sets it up).

mod common;

use common::*;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::time::Duration;

const CLUSTER: &str = "global-ledger";

/// Evaluates `script` (a `return …` body) in the window.
async fn eval(c: &Client, script: &str) -> Result<Value, String> {
    c.execute(script, vec![]).await.map_err(err)
}

/// Waits until the document title is `expected` (the app sets the native title with it).
async fn wait_title(c: &Client, expected: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    loop {
        let title = c.title().await.map_err(err)?;
        if title == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("window title {title:?}, expected {expected:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The names of the cluster rows shown now.
async fn shown_rows(c: &Client) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for row in c
        .find_all(Locator::Css("[data-testid^='cluster-row-']"))
        .await
        .map_err(err)?
    {
        names.push(attr(&row, "data-testid").await?["cluster-row-".len()..].to_string());
    }
    Ok(names)
}

/// Waits until the list shows exactly `expected` (the search filters as the officer types).
async fn wait_rows(c: &Client, expected: &[&str]) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + UI_TIMEOUT;
    loop {
        let rows = shown_rows(c).await?;
        if rows == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "cluster list shows {rows:?}, expected {expected:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn search_cluster_page_dark_theme_disconnect_and_reconnect() {
    let Some(url) = driver_url() else { return };
    let client = session(&url, &[]).await;
    let outcome = async {
        let c = &client;
        wait_title(c, "CMEK Desk — not connected — Connect").await?;
        click(c, "connect-sandbox").await?;
        wait_testid(c, "cluster-table", UI_TIMEOUT).await?;
        wait_title(c, "CMEK Desk — sandbox — Clusters").await?;
        let all = shown_rows(c).await?;
        if all.len() < 10 || !all.iter().any(|n| n == CLUSTER) {
            return Err(format!("the sandbox lists {all:?}"));
        }
        // Clusters ready to set up come first: the demo ones are not buried under the audit's.
        let position = all.iter().position(|n| n == CLUSTER).unwrap_or(usize::MAX);
        if position > 3 {
            return Err(format!("{CLUSTER} is row {} of {all:?}", position + 1));
        }

        // Search: typing part of the name leaves only that cluster.
        let search = wait_testid(c, "cluster-search", UI_TIMEOUT).await?;
        search.send_keys("ledger").await.map_err(err)?;
        wait_rows(c, &[CLUSTER]).await?;
        screenshot(c, "nav-search").await?;

        // The cluster page, opened with the keyboard (Enter on the name's link).
        let link = wait_testid(c, &format!("open-cluster-{CLUSTER}"), UI_TIMEOUT).await?;
        link.send_keys(&String::from(char::from(Key::Enter)))
            .await
            .map_err(err)?;
        wait_testid(c, "cluster-page", UI_TIMEOUT).await?;
        wait_text(c, "cluster-page-title", CLUSTER).await?;
        wait_title(c, &format!("CMEK Desk — sandbox — {CLUSTER}")).await?;
        // Without CMEK yet: set up is offered, revoke is refused with the state machine's reason.
        let setup = wait_testid(c, "page-setup", UI_TIMEOUT).await?;
        if !setup.is_enabled().await.map_err(err)? {
            return Err("Set up CMEK is disabled on the page of a cluster without CMEK".into());
        }
        let revoke = wait_testid(c, "page-revoke", UI_TIMEOUT).await?;
        if revoke.is_enabled().await.map_err(err)? {
            return Err("Revoke is offered for a cluster without CMEK".into());
        }
        let why = text_of(c, "[data-testid='why-not-revoke']").await?;
        if why.trim().is_empty() {
            return Err("the refused Revoke does not say why".into());
        }
        screenshot(c, "nav-cluster-page").await?;

        // Dark theme, chosen in the header.
        c.find(Locator::Css(
            "[data-testid='theme-select'] option[value='dark']",
        ))
        .await
        .map_err(err)?
        .click()
        .await
        .map_err(err)?;
        let theme = eval(c, "return document.documentElement.dataset.theme").await?;
        let stored = eval(c, "return localStorage.getItem('cmek-desk-theme')").await?;
        let background = eval(c, "return getComputedStyle(document.body).backgroundColor").await?;
        if theme != "dark" || stored != "dark" || background != "rgb(15, 20, 27)" {
            return Err(format!(
                "after choosing Dark: theme {theme}, stored {stored}, background {background}"
            ));
        }
        screenshot(c, "nav-dark-cluster-page").await?;

        // Disconnect, then connect again: the list comes back (search kept).
        click(c, "disconnect").await?;
        wait_testid(c, "connect-sandbox", UI_TIMEOUT).await?;
        wait_gone(c, "connection-info").await?;
        wait_title(c, "CMEK Desk — not connected — Connect").await?;
        screenshot(c, "nav-disconnected").await?;
        click(c, "connect-sandbox").await?;
        wait_testid(c, "cluster-table", UI_TIMEOUT).await?;
        wait_testid(c, "connection-info", UI_TIMEOUT).await?;
        wait_rows(c, &[CLUSTER]).await?;
        wait_title(c, "CMEK Desk — sandbox — Clusters").await?;
        let theme = eval(c, "return document.documentElement.dataset.theme").await?;
        if theme != "dark" {
            return Err(format!("the theme went back to {theme} after reconnecting"));
        }
        screenshot(c, "nav-reconnected").await
    }
    .await;
    close(client, outcome, "nav-failure", "[data-testid=error-banner]")
        .await
        .expect("search, cluster page, dark theme, disconnect and reconnect");
}
