//! The audit commands through Tauri's real IPC layer (MockRuntime, the app's own config and
//! capabilities) against the app's sandbox, which carries the audit seed: argument names, error
//! codes, the report's findings (the same set the domain computes on the seed), progress over
//! the Channel, cancel, and each export written to `CMEK_DESK_EXPORT_DIR`.

mod audit_support;
mod mock_ipc;

use audit_support::{expected_failed, failed, AUDIT_PROJECTS};
use cmek_audit::AuditReport;
use cmek_desk::settings::Settings;
use cmek_keychain::InMemoryStore;
use mock_ipc::{app_with_session, invoke, MockApp};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

struct App {
    mock: MockApp,
    exports: PathBuf,
}

fn app(name: &str) -> App {
    let base = std::env::temp_dir().join(format!("cmek-desk-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let exports = base.join("exports");
    let settings = Settings::from_pairs([
        (
            "CMEK_DESK_DATA_DIR",
            base.join("data").display().to_string(),
        ),
        ("CMEK_DESK_EXPORT_DIR", exports.display().to_string()),
    ]);
    App {
        mock: app_with_session(settings, Arc::new(InMemoryStore::default())),
        exports,
    }
}

fn call(a: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke(&a.mock.window, cmd, args)
}

fn scan_args(channel: u32) -> Value {
    json!({
        "options": { "projects": AUDIT_PROJECTS, "kmsReadsPerMinute": 60000, "concurrencyPerProject": 8, "includeCockroach": true },
        "onEvent": format!("__CHANNEL__:{channel}"),
    })
}

#[test]
fn before_connecting_start_fails_unauthenticated_export_needs_a_scan_and_cancel_is_a_no_op() {
    let a = app("before");
    let error = call(&a, "start_audit", scan_args(1)).expect_err("not connected");
    assert_eq!(error["code"], "UNAUTHENTICATED", "{error}");
    let error = call(&a, "export_audit", json!({ "format": "html" })).expect_err("no report yet");
    assert_eq!(error["code"], "FAILED_PRECONDITION", "{error}");
    assert_eq!(call(&a, "cancel_audit", json!({})), Ok(Value::Null));
    // Argument names are the ones ui/src/lib/ipc/commands.ts sends.
    let error = call(&a, "start_audit", json!({ "onEvent": "__CHANNEL__:1" }))
        .expect_err("missing options");
    assert!(error.to_string().contains("options"), "{error}");
    let error = call(&a, "export_audit", json!({ "format": "pdf" })).expect_err("unknown format");
    assert!(error.to_string().contains("format"), "{error}");
}

#[test]
fn scan_of_the_audit_seed_reports_the_domains_findings_and_every_export_is_written() {
    let a = app("scan");
    let info = call(&a, "connect_sandbox", json!({})).expect("connect_sandbox");
    let projects: Vec<&str> = info["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for p in AUDIT_PROJECTS {
        assert!(
            projects.contains(&p),
            "the app's sandbox carries the audit seed: {projects:?}"
        );
    }

    let value = call(&a, "start_audit", scan_args(1)).expect("start_audit");
    let report: AuditReport = serde_json::from_value(value).expect("an AuditReport");
    assert!(!report.cancelled);
    assert!(
        report.projects.iter().all(|p| p.error.is_none()),
        "{:?}",
        report.projects.iter().map(|p| &p.error).collect::<Vec<_>>()
    );
    assert_eq!(report.identity, "user:officer@example.com");
    let expected = tauri::async_runtime::block_on(expected_failed());
    assert!(!expected.is_empty());
    assert_eq!(
        failed(&report),
        expected,
        "the command returns the domain's findings on the seed"
    );

    for (format, ext, marker) in [
        ("json", "json", "\"schemaVersion\""),
        ("csv", "csv", "checkId,severity"),
        ("html", "html", "CMEK key audit"),
        ("ocsf", "ocsf.json", "class_uid"),
    ] {
        let path = call(&a, "export_audit", json!({ "format": format })).expect(format);
        let path = PathBuf::from(path.as_str().expect("a path"));
        assert!(
            path.starts_with(&a.exports),
            "{format}: {} is in CMEK_DESK_EXPORT_DIR",
            path.display()
        );
        assert!(
            path.to_string_lossy().ends_with(&format!(".{ext}")),
            "{}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).expect("the export file");
        assert!(text.contains(marker), "{format} export lacks {marker}");
    }
}

#[test]
fn a_cancel_before_the_scan_does_not_stop_the_next_scan() {
    let a = app("cancel");
    call(&a, "connect_sandbox", json!({})).expect("connect_sandbox");
    assert_eq!(call(&a, "cancel_audit", json!({})), Ok(Value::Null));
    let report: AuditReport =
        serde_json::from_value(call(&a, "start_audit", scan_args(2)).expect("start_audit"))
            .expect("report");
    assert!(!report.cancelled, "each scan gets a fresh cancel flag");
    assert!(report.keys().count() > 0);
}

#[test]
fn cancel_audit_stops_a_running_scan_and_its_partial_report_is_kept_for_export() {
    let a = app("cancel-running");
    call(&a, "connect_sandbox", json!({})).expect("connect_sandbox");
    // One Cloud KMS read per second per project: the scan would take minutes.
    let slow = json!({
        "options": { "projects": AUDIT_PROJECTS, "kmsReadsPerMinute": 60, "concurrencyPerProject": 1, "includeCockroach": true },
        "onEvent": "__CHANNEL__:3",
    });
    let window = a.mock.window.clone();
    let scan = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let body = invoke(&window, "start_audit", slow);
        (body, started.elapsed())
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(call(&a, "cancel_audit", json!({})), Ok(Value::Null));
    let (body, took) = scan.join().expect("scan thread");
    let report: AuditReport = serde_json::from_value(body.expect("start_audit")).expect("report");
    assert!(report.cancelled, "the scan reports it was cancelled");
    assert!(
        took < std::time::Duration::from_secs(30),
        "stopped soon after cancel: {took:?}"
    );
    let path = call(&a, "export_audit", json!({ "format": "json" }))
        .expect("export of the partial report");
    let text = std::fs::read_to_string(path.as_str().expect("path")).expect("file");
    assert!(
        text.contains("\"cancelled\": true"),
        "the export is the partial report"
    );
}
