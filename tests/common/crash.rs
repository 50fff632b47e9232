//! Helpers of the crash test (`tests/e2e_revoke_crash.rs`): the `cmek-sandbox` binary in its
//! own process (the clouds outlive the app), finding and SIGKILLing the app process by its
//! data-dir argument (Linux `/proc`), and waiting for a marker file the app writes.

use cmek_core::plan::ConnectionMode;
use cmek_core::Secret;
use cmek_desk::settings::Settings;
use cmek_sandbox::{DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN};
use cmek_setup::{Connection, Timing};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::err;

/// The `cmek-sandbox` binary in its own process; killed when dropped.
pub struct ExternalSandbox {
    base: String,
    _child: tokio::process::Child,
}

impl ExternalSandbox {
    pub async fn start() -> Self {
        // Built by `cargo build --workspace` / nextest next to this test's deps/ folder.
        let exe = std::env::current_exe().expect("test exe");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join(format!("cmek-sandbox{}", std::env::consts::EXE_SUFFIX)))
            .expect("target dir");
        assert!(
            bin.exists(),
            "{} is missing: run `cargo build --workspace` first",
            bin.display()
        );
        let mut child = tokio::process::Command::new(&bin)
            .arg("--tests")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start cmek-sandbox");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("cmek-sandbox start timed out")
            .unwrap()
            .expect("cmek-sandbox printed no URL");
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "cmek-sandbox said {base:?}"
        );
        Self {
            base,
            _child: child,
        }
    }

    /// The spec guard (ARCHITECTURE invariant 8): `Err` naming every request or answer that
    /// broke the API contracts, read from the sandbox's loopback `GET /_sandbox/spec-findings`
    /// (it runs with `--tests`: validation on, guard `fail`).
    pub async fn check_spec_guard(&self) -> Result<(), String> {
        let listed: serde_json::Value =
            reqwest::get(format!("{}/_sandbox/spec-findings", self.base))
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("spec guard: cannot read the sandbox's findings: {e}"))?
                .json()
                .await
                .map_err(|e| format!("spec guard: the findings are not JSON: {e}"))?;
        match listed["findings"].as_array() {
            Some(f) if f.is_empty() && listed["guard"] == "fail" => Ok(()),
            _ => Err(format!(
                "spec guard: the cmek-sandbox process reports {listed:#}"
            )),
        }
    }

    /// The settings that point the app (and the engine below) at this sandbox.
    pub fn settings(&self) -> Vec<(String, String)> {
        vec![
            (
                "CMEK_DESK_GOOGLE_API_BASE".into(),
                format!("{}/", self.base),
            ),
            (
                "CMEK_DESK_COCKROACH_API_BASE".into(),
                format!("{}/cockroach/", self.base),
            ),
        ]
    }

    /// A connection with the sandbox's demo credentials, built as the app builds its own.
    pub async fn engine(&self) -> Connection {
        let settings = Settings::from_pairs(self.settings());
        let tokens = Arc::new(cmek_gcp::StaticToken::new(
            Secret::new(DEFAULT_GOOGLE_TOKEN),
            DEFAULT_GOOGLE_MEMBER,
        ));
        Connection::new(
            tokens,
            &settings.google_endpoints(),
            &settings.cockroach_base(),
            Secret::new(DEFAULT_COCKROACH_KEY),
            ConnectionMode::Live,
            Timing::fast(),
        )
        .await
        .expect("connect to the external sandbox")
    }
}

/// The app process started with `CMEK_DESK_DATA_DIR={data_dir}` (tauri-driver launched it
/// through WebKitWebDriver; the argument is unique to this test run).
pub fn app_pids(data_dir: &Path) -> Vec<u32> {
    let want = format!("CMEK_DESK_DATA_DIR={}", data_dir.display());
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let is_app = args
            .first()
            .and_then(|a| std::str::from_utf8(a).ok())
            .is_some_and(|a| Path::new(a).file_name().is_some_and(|f| f == "cmek-desk"));
        if is_app && args.contains(&want.as_bytes()) && !zombie(pid) {
            pids.push(pid);
        }
    }
    pids
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

/// SIGKILLs the app and waits until it is gone.
pub async fn kill_app(data_dir: &Path) -> Result<(), String> {
    let pids = app_pids(data_dir);
    let [pid] = pids[..] else {
        return Err(format!("expected one app process, found {pids:?}"));
    };
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .map_err(err)?;
    if !status.success() {
        return Err(format!("kill -KILL {pid} failed"));
    }
    for _ in 0..100 {
        if app_pids(data_dir).is_empty() {
            eprintln!("SIGKILLed the app (pid {pid})");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("app {pid} still runs after SIGKILL"))
}

/// Waits up to `timeout` for the JSON file `marker` (written then renamed, so never half
/// written) and returns its content.
pub async fn wait_marker(marker: &Path, timeout: Duration) -> Result<serde_json::Value, String> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !marker.exists() {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("no pause marker {}", marker.display()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serde_json::from_str(&std::fs::read_to_string(marker).map_err(err)?).map_err(err)
}
