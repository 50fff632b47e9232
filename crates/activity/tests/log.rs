//! The activity log's guarantees: append-only (triggers), intent before / outcome after,
//! interrupted operations found after reopening, snapshots survive restarts, export.

use cmek_activity::{ActivityLog, EntryKind, EntryStatus, ExportFormat};
use cmek_core::{Error, ErrorCode};
use serde_json::json;

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cmek-activity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn update_and_delete_are_refused_by_the_database() {
    let log = ActivityLog::open_in(&temp_db("append")).unwrap();
    log.record_event(
        "user:a@example.com",
        "sign_in",
        "user:a@example.com",
        "Signed in",
        &json!({"mode": "sandbox"}),
    )
    .unwrap();
    let op = log
        .start_operation(
            "user:a@example.com",
            "revoke",
            "c1",
            "Revoke c1",
            &json!({}),
        )
        .unwrap();
    log.save_snapshot(&op, "revoke", "c1", &json!({"x": 1}))
        .unwrap();
    for sql in [
        "UPDATE activity SET summary = 'forged'",
        "DELETE FROM activity",
        "UPDATE snapshots SET data = '{}'",
        "DELETE FROM snapshots",
    ] {
        let e = log.execute_raw(sql).unwrap_err();
        assert!(e.message.contains("append-only"), "{sql}: {}", e.message);
    }
    assert_eq!(log.entries().unwrap().len(), 2);
    assert!(
        log.save_snapshot(&op, "revoke", "c1", &json!({"x": 2}))
            .is_err(),
        "a snapshot is written once"
    );
    assert_eq!(
        log.snapshot::<serde_json::Value>(&op).unwrap(),
        Some(json!({"x": 1}))
    );
}

#[test]
fn an_operation_left_open_is_pending_after_reopening_with_its_unresolved_intent() {
    let dir = temp_db("pending");
    let op = {
        let log = ActivityLog::open_in(&dir).unwrap();
        let op = log
            .start_operation(
                "user:a@example.com",
                "revoke",
                "cluster-1",
                "Revoke prod",
                &json!({"lever": "TOKEN_CREATOR"}),
            )
            .unwrap();
        log.save_snapshot(&op, "revoke", "cluster-1", &json!({"grants": []}))
            .unwrap();
        let i1 = log
            .intent(
                Some(&op),
                "user:a@example.com",
                "revoke.remove_access",
                "sa",
                "Remove Token Creator",
                &json!({"etag": "A"}),
            )
            .unwrap();
        log.outcome(i1, EntryStatus::Ok, "Removed", &json!({"etag": "B"}), None)
            .unwrap();
        log.intent(
            Some(&op),
            "user:a@example.com",
            "revoke.call_revoke",
            "cluster-1",
            "Call REVOKE",
            &json!({}),
        )
        .unwrap();
        // A finished operation is not pending.
        let done = log
            .start_operation("app", "recover", "cluster-2", "Recover", &json!({}))
            .unwrap();
        let e = Error::new(ErrorCode::PermissionDenied, "no");
        log.finish_operation(&done, EntryStatus::Failed, "Failed", &json!({}), Some(&e))
            .unwrap();
        op
    };
    let log = ActivityLog::open_in(&dir).unwrap();
    let pending = log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1, "{pending:#?}");
    let p = &pending[0];
    assert_eq!(p.operation_id, op);
    assert_eq!(p.action, "revoke");
    assert_eq!(p.completed, vec!["revoke.remove_access"]);
    assert_eq!(p.unresolved.len(), 1);
    assert_eq!(p.unresolved[0].action, "revoke.call_revoke");
    assert!(p.has_snapshot);
    let outcome = log
        .operation_entries(&op)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EntryKind::Outcome)
        .unwrap();
    assert_eq!(
        outcome.actor, "user:a@example.com",
        "copied from the intent"
    );
    assert_eq!(outcome.after, Some(json!({"etag": "B"})));
    let failed = log
        .entries()
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EntryKind::OperationFinished)
        .unwrap();
    assert_eq!(failed.error.unwrap().code, ErrorCode::PermissionDenied);
}

#[test]
fn exports_json_and_csv_and_records_the_export() {
    let dir = temp_db("export");
    let log = ActivityLog::open_in(&dir).unwrap();
    log.record_event(
        "user:a@example.com",
        "sign_in",
        "user:a@example.com",
        "Signed in, \"quoted\"",
        &json!({"a": [1, 2]}),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&log.export_json().unwrap()).unwrap();
    assert_eq!(v[0]["action"], "sign_in");
    assert_eq!(v[0]["kind"], "event");
    let csv = log.export_csv().unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("id,at,actor"));
    let row = lines.next().unwrap();
    assert!(row.contains("\"Signed in, \"\"quoted\"\"\""), "{row}");
    assert!(row.contains("\"{\"\"a\"\":[1,2]}\""), "{row}");
    let out = dir.join("export.csv");
    log.export_to("user:a@example.com", &out, ExportFormat::Csv)
        .unwrap();
    assert!(std::fs::read_to_string(&out).unwrap().contains("sign_in"));
    assert_eq!(
        log.entries().unwrap().last().unwrap().action,
        "activity.export"
    );
}

#[test]
fn the_database_is_in_wal_mode() {
    let dir = temp_db("wal");
    let log = ActivityLog::open_in(&dir).unwrap();
    log.record_event("app", "start", "app", "Started", &())
        .unwrap();
    assert!(dir.join("activity.sqlite3-wal").exists());
}
