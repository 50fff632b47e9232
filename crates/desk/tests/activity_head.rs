//! The activity log's chain head in the REAL OS keychain (Secret Service in the test command's
//! D-Bus + gnome-keyring session, namespace `Test`), through the application core (issue 13):
//! a revocation that finished has its newest rows deleted with the real `sqlite3` shell (the
//! triggers dropped and put back) so it looks interrupted: start-up says where the log ends and
//! what was written, the operation is not trusted, finish and roll back are refused with
//! nothing written to the sandbox, export still works; an older copy of the file put back is
//! caught; appends and restarts stay trusted with the head in the keychain; the whole
//! database deleted is reported by the verification the window and `cmek activity` get, on
//! every later start.

use cmek_activity::{ExportFormat, DB_FILE_NAME};
use cmek_core::plan::ApplyEvent;
use cmek_core::ErrorCode;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::{keys, Namespace, OsKeychain, SecretStore};
use cmek_revoke::{Lever, RevokeEvent, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use std::path::{Path, PathBuf};

#[path = "../../../tests/support/sqlite_shell.rs"]
mod sqlite_shell;
use sqlite_shell::sqlite3;
use std::time::Duration;

/// The real keychain is required: without a session bus the test fails with the fix, unless
/// `CMEK_DESK_ALLOW_MISSING=1` (then it says it skipped).
fn keychain_or_skip(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    if std::env::var("CMEK_DESK_ALLOW_MISSING").as_deref() == Ok("1") {
        eprintln!("SKIPPED {test}: no session bus (CMEK_DESK_ALLOW_MISSING=1)");
        return false;
    }
    panic!(
        "{test} needs the OS keychain: run it inside `dbus-run-session` with an unlocked \
         gnome-keyring (scripts/test.sh does; building.md §7b), or set CMEK_DESK_ALLOW_MISSING=1"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmek-desk-head-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A core like the app's: the data folder `dir`, the OS keychain (test namespace).
fn app(dir: &Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    Desk::new(Session::new(settings, Keychain::Os(Namespace::Test)))
}

/// Deletes entry `entry` and every later one with their chain records, then puts the
/// append-only triggers back as they were.
fn truncate_from(db: &Path, entry: &str) {
    let seq = sqlite3(
        db,
        &format!("SELECT seq FROM chain WHERE tbl = 'activity' AND row_ref = '{entry}'"),
    );
    assert!(!seq.is_empty(), "entry {entry} is chained");
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

async fn writes(desk: &Desk) -> usize {
    let slot = desk.sandbox.lock().await;
    slot.as_ref().expect("sandbox running").write_count()
}

fn ignore(_: ApplyEvent) {}
fn quiet(_: RevokeEvent) {}

/// The sandbox's AWS cluster set up and revoked (key-policy lever); the revocation's id.
async fn revoked(desk: &Desk) -> String {
    desk.connect_sandbox().await.expect("sandbox connects");
    {
        let slot = desk.sandbox.lock().await;
        let h = slot.as_ref().unwrap();
        h.set_cmek_transition(Duration::ZERO, 0);
        h.set_aws_iam_propagation(Duration::ZERO);
    }
    let request = desk.suggest_aws_setup(AWS_CLUSTER_ID).await.unwrap();
    let plan = desk.plan_aws_setup(request).await.unwrap();
    let applied = desk.apply_aws_setup(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(applied.cmek.status, "ENABLED");
    let preview = desk.preview_revoke(AWS_CLUSTER_ID).await.unwrap();
    let req = RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever: Lever::KeyPolicyStatement,
        confirm_name: preview.confirm_text.clone(),
    };
    let report = desk.revoke_cluster(&req, &quiet).await.unwrap();
    assert_eq!(report.cmek_status, "REVOKED");
    report.operation_id
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_finished_revocations_newest_rows_is_caught_and_nothing_acts() {
    if !keychain_or_skip("truncation") {
        return;
    }
    let dir = temp_dir("truncate");
    let db = dir.join(DB_FILE_NAME);
    let desk = app(&dir);
    let op = revoked(&desk).await;
    assert!(desk.verify_activity().unwrap().trustworthy);
    assert!(desk.pending_operations().unwrap().is_empty());
    drop(desk);

    // The revocation's finish and everything after it go: it looks interrupted.
    let finish = sqlite3(
        &db,
        &format!(
            "SELECT id FROM activity WHERE operation_id = '{op}' AND kind = 'operation_finished'"
        ),
    );
    let last = sqlite3(&db, "SELECT max(id) FROM activity");
    truncate_from(&db, &finish);

    let desk = app(&dir);
    let v = desk.verify_activity().unwrap();
    assert!(!v.trustworthy, "{v:?}");
    assert!(v.authenticated);
    assert_eq!(v.first_bad.as_ref().unwrap().table, "head");
    let ends = format!("it ends at entry #{}", finish.parse::<i64>().unwrap() - 1);
    assert!(
        v.message.contains(&ends)
            && v.message.contains(&format!("but entry #{last}"))
            && v.message.contains("newest entries were deleted"),
        "{}",
        v.message
    );
    let pending = desk.pending_operations().unwrap();
    let faked = pending
        .iter()
        .find(|p| p.operation_id == op)
        .expect("the revocation looks interrupted");
    assert!(!faked.trusted, "not offered: {faked:?}");

    desk.connect_sandbox().await.unwrap();
    let before = writes(&desk).await;
    let finish = desk.resume_revoke(&op, &quiet).await.unwrap_err();
    assert_eq!(
        finish.code,
        ErrorCode::FailedPrecondition,
        "{}",
        finish.message
    );
    // The connect entry written since moved the file past the head's number: the message now
    // names the record that differs.
    assert!(
        finish.message.contains("not trustworthy")
            && finish.message.contains("entries were deleted"),
        "{}",
        finish.message
    );
    let back = desk.recover_revoke(&op, &quiet).await.unwrap_err();
    assert_eq!(back.code, ErrorCode::FailedPrecondition, "{}", back.message);
    assert!(back.message.contains("not trustworthy"), "{}", back.message);
    assert_eq!(writes(&desk).await, before, "nothing was written");
    let export = desk.export_activity(ExportFormat::Json).await.unwrap();
    assert!(std::fs::read_to_string(export).unwrap().contains(&op));
    drop(desk);

    // The entries written since (connect, export) do not wash it out.
    assert!(!app(&dir).verify_activity().unwrap().trustworthy);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_copy_of_the_database_put_back_is_caught() {
    if !keychain_or_skip("rollback") {
        return;
    }
    let dir = temp_dir("rollback");
    let db = dir.join(DB_FILE_NAME);
    let desk = app(&dir);
    desk.connect_sandbox().await.unwrap();
    drop(desk); // closed: the WAL is folded into the file
    let old = temp_dir("rollback-old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(&db, old.join(DB_FILE_NAME)).unwrap();
    let desk = app(&dir);
    desk.connect_sandbox().await.unwrap();
    desk.export_activity(ExportFormat::Csv).await.unwrap();
    assert!(desk.verify_activity().unwrap().trustworthy);
    drop(desk);
    std::fs::copy(old.join(DB_FILE_NAME), &db).unwrap();

    let v = app(&dir).verify_activity().unwrap();
    assert!(!v.trustworthy, "{v:?}");
    assert!(
        v.message.contains("it ends at entry #1 ")
            && v.message.contains("an older copy of the file was put back"),
        "{}",
        v.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn appends_and_restarts_stay_trusted_with_the_head_in_the_keychain() {
    if !keychain_or_skip("restarts") {
        return;
    }
    let dir = temp_dir("restarts");
    let db = dir.join(DB_FILE_NAME);
    let fresh = app(&dir).verify_activity().unwrap();
    assert!(fresh.trustworthy, "a fresh install: {fresh:?}");
    for round in 0..3 {
        let desk = app(&dir);
        let v = desk.verify_activity().unwrap();
        assert!(v.trustworthy, "round {round}: {v:?}");
        assert!(!v.message.contains("keychain"), "{}", v.message);
        desk.connect_sandbox().await.unwrap();
        desk.export_activity(ExportFormat::Json).await.unwrap();
    }
    let id = sqlite3(&db, "SELECT substr(hash, 1, 32) FROM chain WHERE seq = 1");
    let (seq, hash) = {
        let row = sqlite3(
            &db,
            "SELECT seq || ' ' || hash FROM chain ORDER BY seq DESC LIMIT 1",
        );
        let (s, h) = row.split_once(' ').unwrap();
        (s.to_owned(), h.to_owned())
    };
    let stored = OsKeychain::open(Namespace::Test)
        .unwrap()
        .retrieve(&keys::activity_log_head(&id))
        .unwrap()
        .expect("the head is in the keychain");
    assert!(
        stored
            .expose()
            .starts_with(&format!("v1 {seq} {hash} activity ")),
        "{}",
        stored.expose()
    );
    let v = app(&dir).verify_activity().unwrap();
    assert!(v.trustworthy && v.checked.to_string() == seq, "{v:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_database_is_reported_by_the_verification_the_window_gets() {
    if !keychain_or_skip("deleted") {
        return;
    }
    let dir = temp_dir("deleted");
    let other = temp_dir("deleted-other");
    let db = dir.join(DB_FILE_NAME);
    let desk = app(&dir);
    for _ in 0..3 {
        desk.export_activity(ExportFormat::Json).await.unwrap();
    }
    let v = desk.verify_activity().unwrap();
    assert!(
        v.trustworthy && v.checked == 3 && v.notice.is_none(),
        "{v:?}"
    );
    drop(desk);
    let old = sqlite3(&db, "SELECT substr(hash, 1, 8) FROM chain WHERE seq = 1");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{DB_FILE_NAME}{suffix}")));
    }

    let desk = app(&dir);
    let v = desk.verify_activity().unwrap();
    assert!(v.trustworthy, "nothing is refused for it: {v:?}");
    let notice = v.notice.clone().expect("the window gets the notice");
    assert!(
        notice.starts_with(&format!(
            "The activity log that was here (log {old}, 3 chain records) was deleted or \
             emptied; its records are gone. This log started "
        )),
        "{notice}"
    );
    assert!(v.message.contains(&notice), "{}", v.message);
    assert!(desk.pending_operations().unwrap().is_empty());
    for _ in 0..5 {
        desk.export_activity(ExportFormat::Csv).await.unwrap();
    }
    drop(desk);
    let v = app(&dir).verify_activity().unwrap();
    assert_eq!(v.notice.as_deref(), Some(notice.as_str()), "{v:?}");
    assert!(v.trustworthy && v.checked == 6, "{v:?}");

    let fresh = app(&other).verify_activity().unwrap();
    assert!(fresh.notice.is_none(), "another folder: {fresh:?}");
}
