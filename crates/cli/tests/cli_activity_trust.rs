//! `cmek` and the tamper-evident activity log (issue 13), as real processes with the real
//! keychain (test namespace): a row forged with the real `sqlite3` shell makes `cmek activity`
//! say the log is not trustworthy and name the first bad entry, and its fake interrupted
//! revocation is not offered; a finished revocation whose newest rows are deleted (the chain
//! head in the keychain catches it) is not offered and `cmek finish` / `cmek recover` refuse
//! it, the cluster staying revoked; a deleted activity database makes `cmek activity` say so
//! on every later run; `cmek plan --out` writes its file 0600.

mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use common::{Cli, Served};
use std::process::Command;

#[path = "../../../tests/support/sqlite_shell.rs"]
mod sqlite_shell;
use sqlite_shell::sqlite3;

#[test]
fn cmek_activity_names_the_first_forged_entry_and_offers_nothing() {
    let cli = Cli::offline();
    // The first run creates the log (and the chain key in the keychain).
    cli.run(&["activity", "--json"]).expect(0);
    let clean = cli.run(&["activity"]).expect(0);
    assert!(!clean.stderr.contains("untrusted"), "{clean:#?}");
    let db = cli.path("data").join(cmek_activity::DB_FILE_NAME);
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg(
            "INSERT INTO activity (at, actor, operation_id, kind, action, target, summary, status) \
             VALUES ('2026-01-01T00:00:00Z', 'user:a@example.com', 'forged-op', 'operation_started', \
             'revoke', 'c1', 'Revoke prod', 'pending'); \
             INSERT INTO snapshots (operation_id, created_at, kind, target, data) VALUES \
             ('forged-op', '2026-01-01T00:00:00Z', 'revoke', 'c1', '{}');",
        )
        .output()
        .expect("the sqlite3 shell is missing: install Debian's `sqlite3` (scripts/lib.sh TEST_PACKAGES does)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = cli.run(&["activity"]).expect(0);
    assert!(run.stderr.contains("untrusted:"), "{run:#?}");
    assert!(run.stderr.contains("not trustworthy: entry #"), "{run:#?}");
    assert!(run.stderr.contains("not written by the app"), "{run:#?}");
    assert!(
        run.stderr.contains("forged-op") && run.stderr.contains("it is not offered"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("cmek recover forged-op"), "{run:#?}");
    // The log still prints (and exports).
    assert!(cli
        .activity()
        .iter()
        .any(|e| e["operationId"] == "forged-op"));
}

#[test]
fn a_finished_revocation_with_its_newest_rows_deleted_is_refused_by_finish_and_recover() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let cluster = "prod-payments";
    cli.run(&[
        "plan",
        cluster,
        "--project",
        DEMO_PROJECT_ID,
        "--json",
        "--out",
        "plan.json",
    ])
    .expect(0);
    cli.run(&["apply", "--plan", "plan.json"]).expect(0);
    let revoked = cli
        .run(&[
            "revoke",
            cluster,
            "--lever",
            "token-creator",
            "--confirm",
            cluster,
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(revoked["cmekStatus"], "REVOKED");
    let op = revoked["operationId"].as_str().unwrap().to_owned();
    let clean = cli.run(&["activity"]).expect(0);
    assert!(!clean.stderr.contains("untrusted"), "{clean:#?}");

    // The revocation's finish and everything after it go, triggers put back as they were.
    let db = cli.path("data").join(cmek_activity::DB_FILE_NAME);
    let finish = sqlite3(
        &db,
        &format!(
            "SELECT id FROM activity WHERE operation_id = '{op}' AND kind = 'operation_finished'"
        ),
    );
    let seq = sqlite3(
        &db,
        &format!("SELECT seq FROM chain WHERE tbl = 'activity' AND row_ref = '{finish}'"),
    );
    sqlite3(
        &db,
        &format!(
            "DROP TRIGGER activity_no_delete; DROP TRIGGER chain_no_delete; \
             DELETE FROM activity WHERE id >= {finish}; DELETE FROM chain WHERE seq >= {seq}; \
             CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity \
               BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END; \
             CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain \
               BEGIN SELECT RAISE(ABORT, 'the activity chain is append-only'); END;"
        ),
    );

    let run = cli.run(&["activity"]).expect(0);
    assert!(run.stderr.contains("untrusted:"), "{run:#?}");
    assert!(
        run.stderr.contains("newest entries were deleted"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains(&op) && run.stderr.contains("it is not offered"),
        "{run:#?}"
    );
    let pending = cli.run(&["pending"]).expect(0);
    assert!(pending.stdout.contains("it is not offered"), "{pending:#?}");
    for verb in ["finish", "recover"] {
        let refused = cli.run(&[verb, &op]).expect(1);
        assert!(
            refused.stderr.contains("not trustworthy") && refused.stderr.contains("refused"),
            "{verb}: {refused:#?}"
        );
    }
    let status = cli.run(&["status", cluster, "--json"]).expect(0).json();
    assert_eq!(status["status"], "REVOKED", "nothing acted: {status:#}");
}

#[test]
fn cmek_activity_says_the_database_was_deleted_on_every_later_run() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    for _ in 0..3 {
        cli.run(&["clusters", "--json"]).expect(0);
    }
    let db = cli.path("data").join(cmek_activity::DB_FILE_NAME);
    let clean = cli.run(&["activity"]).expect(0);
    assert!(!clean.stderr.contains("replaced:"), "{clean:#?}");
    let records = sqlite3(&db, "SELECT max(seq) FROM chain");
    let old = sqlite3(&db, "SELECT substr(hash, 1, 8) FROM chain WHERE seq = 1");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }

    let said = format!(
        "replaced: The activity log that was here (log {old}, {records} chain records) was \
         deleted or emptied; its records are gone. This log started "
    );
    let run = cli.run(&["activity"]).expect(0);
    assert!(run.stderr.contains(&said), "{said}\n{run:#?}");
    assert!(!run.stderr.contains("untrusted"), "{run:#?}");
    cli.run(&["clusters", "--json"]).expect(0);
    let again = cli.run(&["activity"]).expect(0);
    assert!(again.stderr.contains(&said), "{again:#?}");
    assert!(
        again.stdout.contains(cmek_activity::REPLACED_ACTION),
        "the first row: {again:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_plan_file_is_written_0600() {
    use std::os::unix::fs::PermissionsExt;
    let served = Served::fast();
    let cli = Cli::new(&served);
    cli.run(&[
        "plan",
        SINGLE_REGION_CLUSTER_ID,
        "--project",
        DEMO_PROJECT_ID,
        "--json",
        "--out",
        "plan.json",
    ])
    .expect(0);
    let mode = std::fs::metadata(cli.path("plan.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
