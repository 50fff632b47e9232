//! The tamper-evident chain against real tampering: rows forged with the real `sqlite3` shell
//! (`/usr/bin/sqlite3`, installed by scripts/lib.sh), `DROP TRIGGER` + `UPDATE`, a database
//! swapped in from another installation, a chain row forged with the public key; an intact log
//! verifies; the one-time sealing of a database written before the chain; file modes.

mod common;

use std::path::{Path, PathBuf};

use cmek_activity::{ActivityLog, ChainKey, EntryStatus, ExportFormat, DB_FILE_NAME};
use common::{sqlite3, temp_dir};
use serde_json::json;

/// A log with one interrupted revocation (snapshot, a removal done, REVOKE unresolved).
fn seeded(dir: &Path, key: &ChainKey) -> (ActivityLog, String) {
    let log = ActivityLog::open_with_key(dir.join(DB_FILE_NAME), key.clone(), true).unwrap();
    log.record_event(
        "user:a@example.com",
        "sign_in",
        "user:a@example.com",
        "Signed in",
        &(),
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
    log.save_snapshot(&op, "revoke", "c1", &json!({"removals": []}))
        .unwrap();
    let i = log
        .intent(
            Some(&op),
            "user:a@example.com",
            "revoke.remove_access",
            "sa",
            "Remove",
            &json!({}),
        )
        .unwrap();
    log.outcome(i, EntryStatus::Ok, "Removed", &json!({}), None)
        .unwrap();
    (log, op)
}

fn reopen(dir: &Path, key: &ChainKey) -> ActivityLog {
    ActivityLog::open_with_key(dir.join(DB_FILE_NAME), key.clone(), false).unwrap()
}

#[test]
fn an_intact_log_verifies_after_reopening() {
    let dir = temp_dir("chain", "intact");
    let key = ChainKey::generate().unwrap();
    let (log, _) = seeded(&dir, &key);
    drop(log);
    let log = reopen(&dir, &key);
    let v = log.verify().unwrap();
    assert!(v.trustworthy, "{v:?}");
    assert!(v.authenticated);
    assert_eq!(v.checked, 5, "4 entries and 1 snapshot");
    assert!(v.first_bad.is_none());
    let pending = log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].trusted);
}

#[test]
fn a_row_inserted_with_the_sqlite3_shell_is_named_and_nothing_is_trusted() {
    let dir = temp_dir("chain", "forged-insert");
    let key = ChainKey::generate().unwrap();
    drop(seeded(&dir, &key));
    // A forged finished-looking revoke operation with a snapshot that grants a stranger.
    sqlite3(
        &dir.join(DB_FILE_NAME),
        "INSERT INTO activity (at, actor, operation_id, kind, action, target, summary, status) \
         VALUES ('2026-01-01T00:00:00Z', 'user:a@example.com', 'forged-op', 'operation_started', \
         'revoke', 'victim-cluster', 'Revoke victim', 'pending'); \
         INSERT INTO snapshots (operation_id, created_at, kind, target, data) VALUES \
         ('forged-op', '2026-01-01T00:00:00Z', 'revoke', 'victim-cluster', '{}');",
    );
    let log = reopen(&dir, &key);
    let v = log.verify().unwrap();
    assert!(!v.trustworthy);
    let bad = v.first_bad.clone().unwrap();
    assert_eq!((bad.table.as_str(), bad.id.as_str()), ("activity", "5"));
    assert!(v.message.contains("entry #5"), "{}", v.message);
    assert!(
        v.message.contains("not written by the app"),
        "{}",
        v.message
    );
    let pending = log.pending_operations().unwrap();
    assert_eq!(pending.len(), 2, "still listed, for the record");
    assert!(pending.iter().all(|p| !p.trusted), "{pending:?}");
    let refusal = v.require("Finishing or rolling back").unwrap_err();
    assert!(refusal.message.contains("entry #5"), "{}", refusal.message);
    // Export still works.
    let out = dir.join("export.json");
    log.export_to("app", &out, ExportFormat::Json).unwrap();
    assert!(std::fs::read_to_string(&out).unwrap().contains("forged-op"));
}

#[test]
fn a_chain_row_forged_with_the_public_key_fails_the_mac() {
    let dir = temp_dir("chain", "forged-chain");
    let key = ChainKey::generate().unwrap();
    drop(seeded(&dir, &key));
    // The attacker writes through the library with the only key they have (the public one):
    // the rows get well-formed hashes, but MACs under the wrong key.
    let forger =
        ActivityLog::open_with_key(dir.join(DB_FILE_NAME), ChainKey::unauthenticated(), false)
            .unwrap();
    forger
        .start_operation(
            "user:a@example.com",
            "revoke",
            "victim",
            "Revoke victim",
            &json!({}),
        )
        .unwrap();
    drop(forger);
    let v = reopen(&dir, &key).verify().unwrap();
    assert!(!v.trustworthy);
    let bad = v.first_bad.unwrap();
    assert_eq!(bad.id, "5");
    assert!(
        bad.reason.contains("not signed by this installation's key"),
        "{}",
        bad.reason
    );
}

#[test]
fn drop_trigger_then_update_is_detected_and_names_the_row() {
    let dir = temp_dir("chain", "update");
    let key = ChainKey::generate().unwrap();
    drop(seeded(&dir, &key));
    sqlite3(
        &dir.join(DB_FILE_NAME),
        "DROP TRIGGER activity_no_update; UPDATE activity SET target = 'victim' WHERE id = 2;",
    );
    let log = reopen(&dir, &key);
    let v = log.verify().unwrap();
    assert!(!v.trustworthy);
    let bad = v.first_bad.unwrap();
    assert_eq!((bad.table.as_str(), bad.id.as_str()), ("activity", "2"));
    assert!(bad.reason.contains("changed"), "{}", bad.reason);
    // The trigger is back after open, and its removal alone is reported too.
    assert!(log
        .execute_raw("UPDATE activity SET summary = 'x'")
        .is_err());
}

#[test]
fn a_dropped_trigger_alone_is_reported() {
    let dir = temp_dir("chain", "trigger");
    let key = ChainKey::generate().unwrap();
    drop(seeded(&dir, &key));
    sqlite3(&dir.join(DB_FILE_NAME), "DROP TRIGGER snapshots_no_delete;");
    let v = reopen(&dir, &key).verify().unwrap();
    assert!(!v.trustworthy);
    assert!(v.message.contains("snapshots_no_delete"), "{}", v.message);
}

#[test]
fn a_changed_snapshot_is_detected() {
    let dir = temp_dir("chain", "snapshot");
    let key = ChainKey::generate().unwrap();
    let (_, op) = seeded(&dir, &key);
    sqlite3(
        &dir.join(DB_FILE_NAME),
        "DROP TRIGGER snapshots_no_update; UPDATE snapshots SET data = '{\"removals\":[1]}';",
    );
    let v = reopen(&dir, &key).verify().unwrap();
    let bad = v.first_bad.unwrap();
    assert_eq!(
        (bad.table.as_str(), bad.id.as_str()),
        ("snapshots", op.as_str())
    );
}

#[test]
fn a_database_swapped_in_from_another_installation_is_detected() {
    let theirs = temp_dir("chain", "swap-theirs");
    let ours = temp_dir("chain", "swap-ours");
    let our_key = ChainKey::generate().unwrap();
    drop(seeded(&ours, &our_key));
    drop(seeded(&theirs, &ChainKey::generate().unwrap()));
    std::fs::copy(theirs.join(DB_FILE_NAME), ours.join(DB_FILE_NAME)).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(ours.join(format!("{DB_FILE_NAME}{side}")));
        let src = theirs.join(format!("{DB_FILE_NAME}{side}"));
        if src.exists() {
            std::fs::copy(src, ours.join(format!("{DB_FILE_NAME}{side}"))).unwrap();
        }
    }
    let v = reopen(&ours, &our_key).verify().unwrap();
    assert!(!v.trustworthy);
    let bad = v.first_bad.unwrap();
    assert_eq!(bad.id, "1");
    assert!(bad.reason.contains("swapped"), "{}", bad.reason);
}

/// A database of the layout before the chain (no `chain` table), as the older app wrote it.
fn legacy_db(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join(DB_FILE_NAME);
    sqlite3(
        &db,
        "CREATE TABLE activity (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, \
         operation_id TEXT, kind TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, summary TEXT NOT NULL, \
         before_json TEXT, after_json TEXT, status TEXT, error_json TEXT, intent_id INTEGER REFERENCES activity(id)); \
         CREATE TABLE snapshots (operation_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL, \
         target TEXT NOT NULL, data TEXT NOT NULL); \
         CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity BEGIN SELECT RAISE(ABORT, 'x'); END; \
         CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity BEGIN SELECT RAISE(ABORT, 'x'); END; \
         CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots BEGIN SELECT RAISE(ABORT, 'x'); END; \
         CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots BEGIN SELECT RAISE(ABORT, 'x'); END; \
         INSERT INTO activity (at, actor, kind, action, target, summary, status) VALUES \
         ('2026-01-01T00:00:00Z', 'app', 'event', 'sign_in', 'user:a@example.com', 'Signed in', 'ok');",
    );
    db
}

#[test]
fn a_log_from_before_the_chain_is_sealed_once_on_first_use_of_the_key() {
    let dir = temp_dir("chain", "legacy-first");
    let db = legacy_db(&dir);
    let key = ChainKey::generate().unwrap();
    let log = ActivityLog::open_with_key(&db, key.clone(), true).unwrap();
    assert_eq!(log.sealed_at_open(), 1);
    assert!(log.verify().unwrap().trustworthy);
    let last = log.entries().unwrap().pop().unwrap();
    assert_eq!(last.action, "activity.chain_started");
    drop(log);
    // Dropping the chain table later is not "sealed again" on the next open.
    sqlite3(&db, "DROP TABLE chain;");
    let log = ActivityLog::open_with_key(&db, key, false).unwrap();
    assert_eq!(log.sealed_at_open(), 0);
    assert!(!log.verify().unwrap().trustworthy);
}

#[test]
fn a_log_from_before_the_chain_with_an_existing_key_is_not_trusted() {
    let dir = temp_dir("chain", "legacy-old-key");
    let db = legacy_db(&dir);
    let log = ActivityLog::open_with_key(&db, ChainKey::generate().unwrap(), false).unwrap();
    let v = log.verify().unwrap();
    assert!(!v.trustworthy);
    assert_eq!(v.first_bad.unwrap().id, "1");
}

#[cfg(unix)]
#[test]
fn the_folder_is_0700_and_every_file_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = temp_dir("chain", "modes");
    // Not there yet: the log creates it.
    std::fs::remove_dir(&dir).unwrap();
    let (log, _) = seeded(&dir, &ChainKey::generate().unwrap());
    assert_eq!(mode(&dir), 0o700);
    for f in ["", "-wal", "-shm"] {
        let p = dir.join(format!("{DB_FILE_NAME}{f}"));
        assert!(p.exists(), "{}", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    let out = dir.join("export.csv");
    log.export_to("app", &out, ExportFormat::Csv).unwrap();
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn csv_cells_that_start_like_a_formula_are_quoted_as_text() {
    let dir = temp_dir("chain", "csv");
    let log =
        ActivityLog::open_with_key(dir.join(DB_FILE_NAME), ChainKey::generate().unwrap(), true)
            .unwrap();
    for (i, summary) in [
        "=HYPERLINK(\"http://x\")",
        "+1",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "plain",
    ]
    .iter()
    .enumerate()
    {
        log.record_event("app", "note", &format!("t{i}"), summary, &())
            .unwrap();
    }
    let csv = log.export_csv().unwrap();
    let rows: Vec<&str> = csv.split('\n').collect();
    assert!(
        rows[1].contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains(",'+1,"), "{}", rows[2]);
    assert!(rows[3].contains(",'-2,"), "{}", rows[3]);
    assert!(rows[4].contains(",'@SUM(A1),"), "{}", rows[4]);
    assert!(rows[5].contains(",'\tx,"), "{}", rows[5]);
    assert!(csv.contains(",\"'\rx\","), "{csv}");
    assert!(csv.contains(",plain,"), "{csv}");
}
