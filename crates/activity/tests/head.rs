//! The chain head kept outside the file (module `head`) against the tampering the chain alone
//! cannot see: the newest rows deleted with the real `sqlite3` shell (triggers dropped and put
//! back), an older copy of the file put back, a second copy of the log written on; and what
//! must stay trusted: appends and reopening, a file ahead of its head (the process stopped
//! before the keychain write), a log whose head was never kept (recorded as found once). The
//! whole file deleted or its tables emptied is reported by the new log's first entry, in
//! `tests/replaced.rs`. The head store here is a map; the same tests through the real OS
//! keychain are in `crates/desk/tests/activity_head.rs`.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use cmek_activity::{ActivityLog, ChainKey, EntryStatus, HeadStore, DB_FILE_NAME};
use cmek_core::ErrorCode;
use common::{sqlite3, temp_dir, Heads};
use serde_json::json;

/// Deletes entries from `entry` on and chain records from `seq` on, as someone with the file
/// would: drop the append-only triggers, delete, put the triggers back as they were.
fn truncate(db: &Path, entry: i64, seq: i64) {
    sqlite3(
        db,
        &format!(
            "DROP TRIGGER activity_no_delete; DROP TRIGGER chain_no_delete; \
             DELETE FROM activity WHERE id >= {entry}; DELETE FROM chain WHERE seq >= {seq}; \
             CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity \
               BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END; \
             CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain \
               BEGIN SELECT RAISE(ABORT, 'the activity chain is append-only'); END;"
        ),
    );
}

fn open(dir: &Path, key: &ChainKey, heads: &Arc<Heads>) -> ActivityLog {
    let heads: Arc<dyn HeadStore> = heads.clone();
    ActivityLog::open_with_head(dir.join(DB_FILE_NAME), key.clone(), false, Some(heads)).unwrap()
}

/// A revocation that finished: 5 entries and a snapshot (chain records 1-6; the finish is
/// entry #5, record 6). Returns its operation id.
fn finished_revocation(log: &ActivityLog) -> String {
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
            "revoke.call",
            "c1",
            "REVOKE",
            &json!({}),
        )
        .unwrap();
    log.outcome(i, EntryStatus::Ok, "REVOKE accepted", &json!({}), None)
        .unwrap();
    log.finish_operation(&op, EntryStatus::Ok, "Revoked", &json!({}), None)
        .unwrap();
    op
}

#[test]
fn deleting_the_newest_rows_is_caught_by_the_head_and_nothing_is_offered() {
    let dir = temp_dir("head", "truncate");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let log = open(&dir, &key, &heads);
    let op = finished_revocation(&log);
    assert!(log.verify().unwrap().trustworthy);
    assert!(log.pending_operations().unwrap().is_empty());
    drop(log);

    // The finish goes: the revocation looks interrupted, ready to be "finished" or rolled back.
    truncate(&dir.join(DB_FILE_NAME), 5, 6);
    let chain_only = ActivityLog::open_with_key(dir.join(DB_FILE_NAME), key.clone(), false)
        .unwrap()
        .verify()
        .unwrap();
    assert!(
        chain_only.trustworthy,
        "the chain alone cannot see it: {chain_only:?}"
    );

    let log = open(&dir, &key, &heads);
    let v = log.verify().unwrap();
    assert!(!v.trustworthy, "{v:?}");
    let bad = v.first_bad.clone().unwrap();
    assert_eq!((bad.table.as_str(), bad.id.as_str()), ("head", "6"));
    assert!(
        v.message.contains(
            "it ends at entry #4 (chain record 5) but entry #5 (chain record 6) was written"
        ),
        "{}",
        v.message
    );
    let pending = log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].operation_id, op);
    assert!(!pending[0].trusted, "not offered: {pending:?}");
    let refusal = v.require("Finishing this revocation").unwrap_err();
    assert_eq!(refusal.code, ErrorCode::FailedPrecondition);
    assert!(
        refusal.message.contains("was written"),
        "{}",
        refusal.message
    );
    // New entries do not wash it out.
    log.record_event("app", "connect", "sandbox", "Connected", &())
        .unwrap();
    drop(log);
    assert!(!open(&dir, &key, &heads).verify().unwrap().trustworthy);
}

#[test]
fn an_older_copy_of_the_file_put_back_is_caught() {
    let dir = temp_dir("head", "rollback");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let db = dir.join(DB_FILE_NAME);
    let log = open(&dir, &key, &heads);
    log.record_event("app", "connect", "sandbox", "Connected", &())
        .unwrap();
    drop(log); // closed: the WAL is folded into the file
    std::fs::copy(&db, dir.join("old.sqlite3")).unwrap();
    let log = open(&dir, &key, &heads);
    finished_revocation(&log);
    drop(log);
    std::fs::copy(dir.join("old.sqlite3"), &db).unwrap();

    let v = open(&dir, &key, &heads).verify().unwrap();
    assert!(!v.trustworthy, "{v:?}");
    assert!(
        v.message
            .contains("it ends at entry #1 (chain record 1) but entry #6 (chain record 7)"),
        "{}",
        v.message
    );
    assert!(
        v.message.contains("an older copy of the file"),
        "{}",
        v.message
    );
}

#[test]
fn a_second_copy_written_on_is_caught_where_the_copies_part() {
    let dir = temp_dir("head", "fork");
    let other = temp_dir("head", "fork-other");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let log = open(&dir, &key, &heads);
    finished_revocation(&log);
    drop(log);
    std::fs::copy(dir.join(DB_FILE_NAME), other.join(DB_FILE_NAME)).unwrap();
    // Both copies open while they are the same; each writes on.
    let ours = open(&dir, &key, &heads);
    let theirs = open(&other, &key, &heads);
    ours.record_event("app", "connect", "sandbox", "Connected here", &())
        .unwrap();
    theirs
        .record_event("app", "connect", "sandbox", "Connected there", &())
        .unwrap();
    let v = ours.verify().unwrap();
    assert!(!v.trustworthy, "{v:?}");
    assert!(
        v.message
            .contains("chain record 7 is not the one that was written")
            && v.message.contains("another copy of this log"),
        "{}",
        v.message
    );
    assert!(theirs.verify().unwrap().trustworthy);
    // A copy opened after the other moved on is the older file, and its appends do not move
    // the head.
    drop(theirs);
    ours.record_event("app", "connect", "sandbox", "Again", &())
        .unwrap();
    let theirs = open(&other, &key, &heads);
    theirs
        .record_event("app", "connect", "sandbox", "Again there", &())
        .unwrap();
    assert!(!theirs.verify().unwrap().trustworthy);
}

#[test]
fn appends_and_restarts_stay_trusted_and_separate_logs_keep_separate_heads() {
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let (a, b) = (temp_dir("head", "normal-a"), temp_dir("head", "normal-b"));
    for round in 0..3 {
        for dir in [&a, &b] {
            let log = open(dir, &key, &heads);
            let v = log.verify().unwrap();
            assert!(v.trustworthy, "round {round}: {v:?}");
            assert!(!v.message.contains("keychain"), "{}", v.message);
            finished_revocation(&log);
        }
    }
    assert_eq!(heads.map.lock().unwrap().len(), 2, "one head per log");
    assert_eq!(
        heads.folders.lock().unwrap().len(),
        2,
        "one remembered log per folder"
    );
    let v = open(&a, &key, &heads).verify().unwrap();
    assert!(v.trustworthy && v.checked == 18, "{v:?}");
}

#[test]
fn a_file_ahead_of_its_head_is_trusted_and_says_the_keychain_refused_the_head() {
    let dir = temp_dir("head", "ahead");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let log = open(&dir, &key, &heads);
    log.record_event("app", "connect", "sandbox", "Connected", &())
        .unwrap();
    heads.down.store(true, Ordering::SeqCst);
    // The rows commit although the keychain refuses their heads.
    finished_revocation(&log);
    heads.down.store(false, Ordering::SeqCst);
    let v = log.verify().unwrap();
    assert!(v.trustworthy, "{v:?}");
    assert!(
        v.message.contains(
            "The keychain did not take the head at chain record 7 (The keychain is locked)"
        ),
        "{}",
        v.message
    );
    drop(log);
    // A restart (as after a crash between the commit and the keychain write): still trusted,
    // and the next append moves the head again.
    let log = open(&dir, &key, &heads);
    assert!(log.verify().unwrap().trustworthy);
    log.record_event("app", "connect", "sandbox", "Connected", &())
        .unwrap();
    let v = log.verify().unwrap();
    assert!(
        v.trustworthy && !v.message.contains("did not take"),
        "{v:?}"
    );
    drop(log);
    truncate(&dir.join(DB_FILE_NAME), 7, 8);
    assert!(!open(&dir, &key, &heads).verify().unwrap().trustworthy);
}

#[test]
fn a_log_without_a_head_has_it_recorded_once_then_a_locked_keychain_is_not_trusted() {
    let dir = temp_dir("head", "missing");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    // Written by a build that kept no head.
    finished_revocation(
        &ActivityLog::open_with_key(dir.join(DB_FILE_NAME), key.clone(), true).unwrap(),
    );
    let log = open(&dir, &key, &heads);
    let v = log.verify().unwrap();
    assert!(v.trustworthy, "{v:?}");
    assert!(
        v.message
            .contains("The keychain held no head for it: it was recorded as found at entry #5."),
        "{}",
        v.message
    );
    drop(log);
    let log = open(&dir, &key, &heads);
    let v = log.verify().unwrap();
    assert!(
        v.trustworthy && !v.message.contains("recorded as found"),
        "{v:?}"
    );

    // The head entry removed behind the open log's back.
    heads.map.lock().unwrap().clear();
    let v = log.verify().unwrap();
    assert!(!v.trustworthy);
    assert!(
        v.message
            .contains("the keychain holds no head for this log"),
        "{}",
        v.message
    );

    // A keychain that cannot be read proves nothing.
    heads.down.store(true, Ordering::SeqCst);
    let v = log.verify().unwrap();
    assert!(!v.trustworthy);
    assert!(
        v.message.contains("could not be read from the keychain")
            && v.message.contains("The keychain is locked"),
        "{}",
        v.message
    );
    assert!(log.pending_operations().unwrap().is_empty());
}

#[test]
fn a_new_log_is_trusted_before_and_after_its_first_entry() {
    let dir = temp_dir("head", "fresh");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let log = open(&dir, &key, &heads);
    let v = log.verify().unwrap();
    assert!(v.trustworthy && v.checked == 0, "{v:?}");
    assert!(!v.message.contains("keychain"), "{}", v.message);
    log.record_event("app", "connect", "sandbox", "Connected", &())
        .unwrap();
    assert!(log.verify().unwrap().trustworthy);
    assert_eq!(heads.map.lock().unwrap().len(), 1);
}
