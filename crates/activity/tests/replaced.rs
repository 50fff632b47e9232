//! The whole activity database deleted, or its tables emptied with the real `sqlite3` shell
//! (triggers dropped and put back): the keychain remembers which log lived in the folder, so
//! the new log's first entry records that the old one is gone, `verify` reports it on every
//! later open (appends do not wash it out), and nothing is refused for it. A fresh folder and a
//! second folder get no notice. The store here is a map; the real OS keychain runs the same
//! through the application core in `crates/desk/tests/activity_head.rs`.

mod common;

use std::path::Path;
use std::sync::Arc;

use cmek_activity::{
    ActivityLog, ChainKey, ExportFormat, HeadStore, DB_FILE_NAME, REPLACED_ACTION,
};
use common::{sqlite3, temp_dir, Heads};

fn open(dir: &Path, key: &ChainKey, heads: &Arc<Heads>) -> ActivityLog {
    let heads: Arc<dyn HeadStore> = heads.clone();
    ActivityLog::open_with_head(dir.join(DB_FILE_NAME), key.clone(), false, Some(heads)).unwrap()
}

fn write(log: &ActivityLog, n: usize) {
    for i in 0..n {
        log.record_event("app", "connect", "sandbox", &format!("Connected {i}"), &())
            .unwrap();
    }
}

/// Deletes the database and its sidecars, as someone with the folder would.
fn delete(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{DB_FILE_NAME}{suffix}")));
    }
}

/// Empties every table with the real `sqlite3` shell, putting the triggers back as they were.
fn empty(db: &Path) {
    let sql = "DROP TRIGGER activity_no_delete; DROP TRIGGER chain_no_delete; \
         DROP TRIGGER snapshots_no_delete; \
         DELETE FROM activity; DELETE FROM chain; DELETE FROM snapshots; \
         CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity \
           BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END; \
         CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain \
           BEGIN SELECT RAISE(ABORT, 'the activity chain is append-only'); END; \
         CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots \
           BEGIN SELECT RAISE(ABORT, 'recovery snapshots are append-only'); END;";
    sqlite3(db, sql);
}

/// Checks the notice of a log that replaced `old` (3 chain records) and returns it.
fn assert_replaced(log: &ActivityLog, old: &str) -> String {
    let v = log.verify().unwrap();
    assert!(v.trustworthy, "nothing is refused for it: {v:?}");
    let notice = v.notice.clone().expect("the notice");
    let first = &log.entries().unwrap()[0];
    assert_eq!(first.action, REPLACED_ACTION);
    assert!(
        notice.starts_with(&format!(
            "The activity log that was here (log {}, 3 chain records) was deleted or emptied; \
             its records are gone. This log started {}.",
            &old[..8],
            first.at
        )),
        "{notice}"
    );
    assert!(v.message.contains(&notice), "{}", v.message);
    assert_eq!(first.after.as_ref().unwrap()["previousLogId"], old);
    assert_eq!(first.after.as_ref().unwrap()["previousHeadSeq"], 3);
    assert!(log.pending_operations().unwrap().is_empty());
    notice
}

#[test]
fn a_deleted_database_is_reported_by_the_new_log_and_appends_do_not_wash_it_out() {
    let dir = temp_dir("replaced", "deleted");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let log = open(&dir, &key, &heads);
    write(&log, 3);
    assert!(log.verify().unwrap().notice.is_none());
    drop(log);
    let old = heads
        .folder_log(&dir)
        .expect("the folder's log is remembered");
    delete(&dir);

    let log = open(&dir, &key, &heads);
    let notice = assert_replaced(&log, &old);
    let new = heads.folder_log(&dir).unwrap();
    assert_ne!(new, old, "the new log is the folder's log now");
    // Export still works, and says it.
    let out = dir.join("export.json");
    log.export_to("app", &out, ExportFormat::Json).unwrap();
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains(REPLACED_ACTION));
    write(&log, 5);
    drop(log);

    let log = open(&dir, &key, &heads);
    let v = log.verify().unwrap();
    assert!(v.trustworthy, "{v:?}");
    assert_eq!(v.notice.as_deref(), Some(notice.as_str()), "{v:?}");
    assert_eq!(
        log.entries()
            .unwrap()
            .iter()
            .filter(|e| e.action == REPLACED_ACTION)
            .count(),
        1,
        "recorded once"
    );
}

#[test]
fn emptied_tables_are_reported_like_a_deleted_file() {
    let dir = temp_dir("replaced", "emptied");
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    // Written by a build that kept no heads: the log becomes the folder's at the next open.
    write(
        &ActivityLog::open_with_key(dir.join(DB_FILE_NAME), key.clone(), true).unwrap(),
        3,
    );
    drop(open(&dir, &key, &heads));
    let old = heads.folder_log(&dir).expect("remembered once its head is");
    empty(&dir.join(DB_FILE_NAME));

    let log = open(&dir, &key, &heads);
    assert_replaced(&log, &old);
    write(&log, 5);
    drop(log);
    let v = open(&dir, &key, &heads).verify().unwrap();
    assert!(v.trustworthy && v.notice.is_some(), "{v:?}");
}

#[test]
fn a_fresh_folder_and_a_second_folder_get_no_notice() {
    let (key, heads) = (ChainKey::generate().unwrap(), Arc::new(Heads::default()));
    let (a, b) = (
        temp_dir("replaced", "fresh-a"),
        temp_dir("replaced", "fresh-b"),
    );
    let log = open(&a, &key, &heads);
    let v = log.verify().unwrap();
    assert!(v.trustworthy && v.notice.is_none(), "fresh install: {v:?}");
    write(&log, 3);
    drop(log);
    let old_a = heads.folder_log(&a).unwrap();

    let log = open(&b, &key, &heads);
    assert!(log.verify().unwrap().notice.is_none(), "a second folder");
    write(&log, 2);
    drop(log);
    delete(&a);
    // Folder b keeps its own log and never hears of a's.
    let v = open(&b, &key, &heads).verify().unwrap();
    assert!(v.trustworthy && v.notice.is_none(), "{v:?}");
    let log = open(&a, &key, &heads);
    assert_replaced(&log, &old_a);
    assert_ne!(heads.folder_log(&a), heads.folder_log(&b));
}

#[test]
fn a_deleted_database_without_a_keychain_store_is_a_new_log() {
    let dir = temp_dir("replaced", "no-store");
    let log = ActivityLog::open(dir.join(DB_FILE_NAME)).unwrap();
    write(&log, 3);
    drop(log);
    delete(&dir);
    let v = ActivityLog::open(dir.join(DB_FILE_NAME))
        .unwrap()
        .verify()
        .unwrap();
    assert!(v.trustworthy && v.notice.is_none(), "{v:?}");
}
