//! A revocation SIGKILLed between removing access and calling REVOKE, for real: the probe
//! binary (`src/bin/revoke_crash_probe.rs`) runs against a sandbox this test serves, pauses
//! after the RemoveAccess step (`CMEK_REVOKE_PAUSE_AFTER=removeAccess`), the test kills it,
//! then opens the same SQLite file: the interrupted revocation is listed and can be finished
//! or rolled back.

mod common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_revoke::{recover, resume_revoke, RevokeControl};
use common::*;

/// Runs the probe until it pauses, SIGKILLs it, returns (db path, operation id).
async fn kill_after_remove_access(env: &Env, name: &str) -> std::path::PathBuf {
    let db = temp_dir(name).join(cmek_activity::DB_FILE_NAME);
    let mut child = Command::new(env!("CARGO_BIN_EXE_revoke_crash_probe"))
        .env("CMEK_PROBE_BASE", env.sb.base_url())
        .env("CMEK_PROBE_DB", &db)
        .env("CMEK_PROBE_CLUSTER", A)
        .env("CMEK_PROBE_CONFIRM", A_NAME)
        .env("CMEK_PROBE_LEVER", "TOKEN_CREATOR")
        .env(
            "CMEK_PROBE_GOOGLE_TOKEN",
            cmek_sandbox::DEFAULT_GOOGLE_TOKEN,
        )
        .env(
            "CMEK_PROBE_COCKROACH_KEY",
            cmek_sandbox::DEFAULT_COCKROACH_KEY,
        )
        .env("CMEK_REVOKE_PAUSE_AFTER", "removeAccess")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the probe");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        lines.next().and_then(|l| l.ok()).unwrap_or_default()
    })
    .await
    .unwrap();
    assert!(line.starts_with("PAUSED "), "probe said {line:?}");
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_killed_before_revoke_is_listed_on_restart_and_can_be_finished() {
    let env = env("crash-finish").await;
    provision_shared(&env.ctx).await;
    let db = kill_after_remove_access(&env, "crash-finish-db").await;
    // Access is gone, CockroachDB was never told.
    assert!(!env
        .sb
        .iam_policy(&sa_resource())
        .to_string()
        .contains(&principal(A)));
    assert_eq!(
        env.ctx.cockroach.get_cmek(A).await.unwrap().unwrap().status,
        "ENABLED"
    );
    assert!(!env
        .sb
        .requests()
        .iter()
        .any(|r| r.operation == "CockroachCloud_UpdateCMEKStatus"));

    let log = ActivityLog::open(&db).unwrap();
    let pending = log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1, "{pending:#?}");
    let p = &pending[0];
    assert_eq!((p.action.as_str(), p.target.as_str()), ("revoke", A));
    assert_eq!(p.completed, vec!["revoke.snapshot", "revoke.remove_access"]);
    assert!(p.unresolved.is_empty());
    assert!(p.has_snapshot);

    let (_, sink) = collector();
    env.sb.clear_requests();
    let r = resume_revoke(
        &env.ctx,
        &log,
        &p.operation_id,
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(r.cmek_status, "REVOKED");
    let writes: Vec<String> = env
        .sb
        .requests()
        .into_iter()
        .filter(|r| r.is_write)
        .map(|r| r.operation)
        .collect();
    assert_eq!(
        writes,
        vec!["CockroachCloud_UpdateCMEKStatus"],
        "access is not removed twice"
    );
    assert!(log.pending_operations().unwrap().is_empty());
    let last = log
        .operation_entries(&p.operation_id)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.kind, last.status),
        (EntryKind::OperationFinished, Some(EntryStatus::Ok))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_killed_before_revoke_can_be_rolled_back_exactly() {
    let env = env("crash-rollback").await;
    provision_shared(&env.ctx).await;
    let before = grant_set(&env.sb.iam_policy(&sa_resource()));
    let db = kill_after_remove_access(&env, "crash-rollback-db").await;
    let log = ActivityLog::open(&db).unwrap();
    let op = log.pending_operations().unwrap().remove(0).operation_id;
    let (_, sink) = collector();
    let rec = recover(&env.ctx, &log, &op, &sink).await.unwrap();
    assert!(rec.verified);
    assert!(
        rec.support_request.is_none(),
        "REVOKE was never sent: no support needed"
    );
    assert_eq!(grant_set(&env.sb.iam_policy(&sa_resource())), before);
    assert_eq!(
        env.ctx.cockroach.get_cmek(A).await.unwrap().unwrap().status,
        "ENABLED"
    );
    assert!(log.pending_operations().unwrap().is_empty());
    let last = log.operation_entries(&op).unwrap().pop().unwrap();
    assert_eq!(last.status, Some(EntryStatus::RolledBack));
}
