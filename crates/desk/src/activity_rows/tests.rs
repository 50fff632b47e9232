//! Pairing on a real SQLite log (`cmek_activity::ActivityLog` in a temporary folder), written
//! the way setup, revocation and crash recovery write it.

use super::*;
use cmek_activity::ActivityLog;
use cmek_core::{Error, ErrorCode};
use serde_json::json;

fn log() -> (tempfile::TempDir, ActivityLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = ActivityLog::open(dir.path().join("activity.sqlite3")).unwrap();
    (dir, log)
}

fn by_action<'a>(rows: &'a [ActivityRow], action: &str) -> &'a ActivityRow {
    rows.iter()
        .find(|r| r.entry.action == action)
        .unwrap_or_else(|| panic!("no row for {action}: {rows:#?}"))
}

#[test]
fn each_write_is_one_row_with_its_outcome_and_an_intent_without_one_says_so() {
    let (_dir, log) = log();
    let actor = "user:officer@example.com";
    log.record_event(actor, "connect", "sandbox", "Connected", &json!({}))
        .unwrap();
    let ok = log
        .intent(
            None,
            actor,
            "iam.setIamPolicy",
            "sa",
            "Grant Token Creator",
            &json!({"bindings": []}),
        )
        .unwrap();
    let failed = log
        .intent(
            None,
            actor,
            "kms.createCryptoKey",
            "key",
            "Create key",
            &json!(null),
        )
        .unwrap();
    let skipped = log
        .intent(
            None,
            actor,
            "kms.createKeyRing",
            "ring",
            "Create key ring",
            &json!(null),
        )
        .unwrap();
    // Outcomes arrive after later intents: pairing is by intent id, not by position.
    log.outcome(
        ok,
        EntryStatus::Ok,
        "Granted",
        &json!({"bindings": [1]}),
        None,
    )
    .unwrap();
    let error = Error::new(
        ErrorCode::PermissionDenied,
        "Permission denied on the key ring.",
    );
    log.outcome(
        failed,
        EntryStatus::Failed,
        "Refused",
        &json!(null),
        Some(&error),
    )
    .unwrap();
    log.outcome(skipped, EntryStatus::Skipped, "Exists", &json!(null), None)
        .unwrap();
    // The process died after this intent was written: no outcome.
    log.intent(
        None,
        actor,
        "cockroach.enableCmek",
        "cluster",
        "Enable CMEK",
        &json!({}),
    )
    .unwrap();

    let entries = log.entries().unwrap();
    assert_eq!(entries.len(), 8);
    let rows = pair(&entries);
    let shown: Vec<(&str, RowState)> = rows
        .iter()
        .map(|r| (r.entry.action.as_str(), r.state))
        .collect();
    assert_eq!(
        shown,
        [
            ("connect", RowState::Ok),
            ("iam.setIamPolicy", RowState::Ok),
            ("kms.createCryptoKey", RowState::Failed),
            ("kms.createKeyRing", RowState::Skipped),
            ("cockroach.enableCmek", RowState::NoOutcome),
        ],
        "one row per write, in intent order; no outcome row of its own"
    );
    let granted = by_action(&rows, "iam.setIamPolicy");
    assert_eq!(granted.entry.kind, EntryKind::Intent);
    assert_eq!(granted.entry.before, Some(json!({"bindings": []})));
    let outcome = granted.outcome.as_ref().expect("paired");
    assert_eq!(outcome.intent_id, Some(granted.entry.id));
    assert_eq!(outcome.after, Some(json!({"bindings": [1]})));
    assert_eq!(
        by_action(&rows, "kms.createCryptoKey")
            .outcome
            .as_ref()
            .and_then(|o| o.error.as_ref())
            .map(|e| e.code),
        Some(ErrorCode::PermissionDenied)
    );
    let lost = by_action(&rows, "cockroach.enableCmek");
    assert!(lost.outcome.is_none());
    assert_eq!(lost.state.label(), "no outcome recorded");
    // The intent rows are written "pending"; the row shows the outcome's state instead.
    assert!(rows
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .all(|r| r.entry.status == Some(EntryStatus::Pending)
            && (r.outcome.is_some() != (r.state == RowState::NoOutcome))));
}

#[test]
fn an_operation_is_one_row_with_its_finish_and_an_interrupted_one_has_no_outcome() {
    let (_dir, log) = log();
    let actor = "user:officer@example.com";
    let done = log
        .start_operation(
            actor,
            "revoke",
            "cluster-1",
            "Revoke CMEK",
            &json!({"lever": "key"}),
        )
        .unwrap();
    let step = log
        .intent(
            Some(&done),
            actor,
            "revoke.remove_access",
            "key",
            "Remove access",
            &json!({}),
        )
        .unwrap();
    log.outcome(step, EntryStatus::Ok, "Removed", &json!({}), None)
        .unwrap();
    log.finish_operation(
        &done,
        EntryStatus::RolledBack,
        "Recovered",
        &json!({}),
        None,
    )
    .unwrap();
    let interrupted = log
        .start_operation(actor, "revoke", "cluster-2", "Revoke CMEK", &json!({}))
        .unwrap();
    log.intent(
        Some(&interrupted),
        actor,
        "revoke.call_revoke",
        "cluster-2",
        "REVOKE",
        &json!({}),
    )
    .unwrap();

    let rows = pair(&log.entries().unwrap());
    let shown: Vec<(&str, &str, RowState)> = rows
        .iter()
        .map(|r| (r.entry.action.as_str(), r.entry.target.as_str(), r.state))
        .collect();
    assert_eq!(
        shown,
        [
            ("revoke", "cluster-1", RowState::RolledBack),
            ("revoke.remove_access", "key", RowState::Ok),
            ("revoke", "cluster-2", RowState::NoOutcome),
            ("revoke.call_revoke", "cluster-2", RowState::NoOutcome),
        ]
    );
    assert_eq!(
        rows[0].outcome.as_ref().map(|o| o.kind),
        Some(EntryKind::OperationFinished)
    );
}

#[test]
fn an_outcome_whose_intent_is_not_listed_stays_visible() {
    let (_dir, log) = log();
    let intent = log
        .intent(None, "app", "iam.setIamPolicy", "sa", "Grant", &json!({}))
        .unwrap();
    log.outcome(intent, EntryStatus::Ok, "Granted", &json!({}), None)
        .unwrap();
    let entries = log.entries().unwrap();
    // Only the outcome (e.g. a filtered list): it is a row of its own with its status.
    let rows = pair(&entries[1..]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entry.kind, EntryKind::Outcome);
    assert_eq!(rows[0].state, RowState::Ok);
}
