//! `cmek` and the tamper-evident activity log (issue 13), as real processes with the real
//! keychain (test namespace): a row forged with the real `sqlite3` shell makes `cmek activity`
//! say the log is not trustworthy and name the first bad entry, and its fake interrupted
//! revocation is not offered; `cmek plan --out` writes its file 0600.

mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use common::{Cli, Served};
use std::process::Command;

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
