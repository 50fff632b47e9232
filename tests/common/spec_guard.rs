//! The spec guard of the window E2E tests (issue 13, ARCHITECTURE invariant 8): every app
//! session starts its in-process sandbox with `CMEK_DESK_SANDBOX_SPEC_GUARD=fail` and writes
//! the sandbox's URL to a file (`CMEK_DESK_SANDBOX_URL_FILE`); before the session is closed,
//! [`check`] reads the sandbox's findings (`GET {url}/_sandbox/spec-findings`, loopback only)
//! and fails the test naming every request or answer that broke the API contracts. A session
//! that never opened the sandbox has nothing to check.

use fantoccini::Client;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// WebDriver session id → the file its app writes its sandbox URL to.
static URL_FILES: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());

/// The app arguments that turn the guard on, and the URL file they name (fresh, absent).
pub fn app_args() -> (Vec<String>, PathBuf) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let file = super::e2e_dir().join(format!("sandbox-url-{}-{n}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let args = vec![
        "CMEK_DESK_SANDBOX_SPEC_GUARD=fail".to_owned(),
        format!("CMEK_DESK_SANDBOX_URL_FILE={}", file.display()),
    ];
    (args, file)
}

/// Remembers which URL file belongs to `client`'s session.
pub async fn register(client: &Client, file: PathBuf) {
    if let Ok(Some(id)) = client.session_id().await {
        URL_FILES.lock().unwrap().insert(id, file);
    }
}

/// The base URL of the sandbox `client`'s app started, if it started one.
pub async fn sandbox_url(client: &Client) -> Option<String> {
    let id = client.session_id().await.ok()??;
    let file = URL_FILES.lock().unwrap().get(&id).cloned()?;
    let url = std::fs::read_to_string(file).ok()?;
    Some(url.trim().to_owned())
}

/// `Err` naming every finding of the app's sandbox nobody took off its list; `Ok` when there
/// is none or the app never started its sandbox.
pub async fn check(client: &Client) -> Result<(), String> {
    let Some(url) = sandbox_url(client).await else {
        return Ok(());
    };
    let listed: serde_json::Value = reqwest::get(format!("{url}/_sandbox/spec-findings"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("spec guard: cannot read the sandbox's findings: {e}"))?
        .json()
        .await
        .map_err(|e| format!("spec guard: the findings are not JSON: {e}"))?;
    let findings: Vec<String> = listed["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect();
    if listed["guard"] != "fail" {
        return Err(format!(
            "spec guard: the app's sandbox runs with guard {} instead of fail",
            listed["guard"]
        ));
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "spec guard: {} exchange(s) with the app's sandbox broke the API contracts (specs/):\n{}",
            findings.len(),
            findings.join("\n")
        ))
    }
}
