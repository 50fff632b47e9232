//! What finish (`resume_revoke`) and roll back (`recover`) may act on (`cmek_revoke::guard`,
//! issue 13), over HTTP against the sandbox: a forged snapshot (inserted with the real `sqlite3`
//! shell) is refused by both; a snapshot naming another role, or a principal the cluster does
//! not use, is refused; a second recovery is refused; a removal that failed is not "restored".
//! Every refusal writes nothing to the sandbox.

mod common;

#[path = "../../../tests/support/sqlite_shell.rs"]
mod sqlite_shell;
use sqlite_shell::sqlite3;

use cmek_activity::{ActivityLog, ChainKey, DB_FILE_NAME};
use cmek_core::iam::{Grant, ROLE_TOKEN_CREATOR};
use cmek_core::ErrorCode;
use cmek_revoke::{
    recover, resume_revoke, revoke, Lever, RecoverySnapshot, RevokeControl, RevokeRequest,
};
use cmek_sandbox::Fault;
use common::*;
use serde_json::json;

fn req() -> RevokeRequest {
    RevokeRequest {
        cluster_id: A.into(),
        lever: Lever::TokenCreator,
        confirm_name: A_NAME.into(),
    }
}

/// The sandbox env with an authenticated log (a random key, as the app's keychain key).
async fn keyed_env(name: &str) -> Env {
    let mut e = env(name).await;
    e.log = ActivityLog::open_with_key(
        e.dir.join(DB_FILE_NAME),
        ChainKey::generate().unwrap(),
        true,
    )
    .unwrap();
    provision_shared(&e.ctx).await;
    e
}

/// A revocation of A, finished.
async fn revoked(e: &Env) -> String {
    revoke(&e.ctx, &e.log, &req(), &RevokeControl::default(), &|_| {})
        .await
        .unwrap()
        .operation_id
}

/// An interrupted revocation written through the log API (so the chain is intact) whose
/// snapshot is `snap` with its removals edited by `edit`.
fn pending_with(e: &Env, base: &RecoverySnapshot, edit: impl Fn(&mut RecoverySnapshot)) -> String {
    let op = e
        .log
        .start_operation("user:a@example.com", "revoke", A, "Revoke", &json!({}))
        .unwrap();
    let mut snap = base.clone();
    snap.operation_id = op.clone();
    edit(&mut snap);
    e.log.save_snapshot(&op, "revoke", A, &snap).unwrap();
    op
}

async fn both_refused(e: &Env, op: &str, needle: &str) {
    let writes = e.sb.write_count();
    let fin = resume_revoke(&e.ctx, &e.log, op, &RevokeControl::default(), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(fin.code, ErrorCode::FailedPrecondition, "{}", fin.message);
    assert!(fin.message.contains(needle), "{}", fin.message);
    let back = recover(&e.ctx, &e.log, op, &|_| {}).await.unwrap_err();
    assert_eq!(back.code, ErrorCode::FailedPrecondition, "{}", back.message);
    assert!(back.message.contains(needle), "{}", back.message);
    assert_eq!(e.sb.write_count(), writes, "a refusal writes nothing");
}

#[tokio::test]
async fn a_snapshot_forged_with_the_sqlite3_shell_is_refused_by_finish_and_roll_back() {
    let e = keyed_env("guard-forged").await;
    let real = revoked(&e).await;
    let data: serde_json::Value = e.log.snapshot(&real).unwrap().unwrap();
    let mut forged = data.clone();
    forged["operationId"] = json!("forged-op");
    sqlite3(
        &e.dir.join(DB_FILE_NAME),
        &format!(
            "INSERT INTO activity (at, actor, operation_id, kind, action, target, summary, status) \
             VALUES ('2026-01-01T00:00:00Z', 'user:a@example.com', 'forged-op', 'operation_started', \
             'revoke', '{A}', 'Revoke', 'pending'); \
             INSERT INTO snapshots (operation_id, created_at, kind, target, data) VALUES \
             ('forged-op', '2026-01-01T00:00:00Z', 'revoke', '{A}', '{}');",
            forged.to_string().replace('\'', "''")
        ),
    );
    let pending = e.log.pending_operations().unwrap();
    assert!(pending
        .iter()
        .any(|p| p.operation_id == "forged-op" && !p.trusted));
    both_refused(&e, "forged-op", "not trustworthy").await;
    // The real operation is refused too: nothing acts on a log nobody can vouch for.
    let r = recover(&e.ctx, &e.log, &real, &|_| {}).await.unwrap_err();
    assert!(r.message.contains("entry #"), "{}", r.message);
}

#[tokio::test]
async fn a_snapshot_naming_another_role_is_refused() {
    let e = keyed_env("guard-role").await;
    let real = revoked(&e).await;
    let base: RecoverySnapshot = e.log.snapshot(&real).unwrap().unwrap();
    let op = pending_with(&e, &base, |s| {
        s.removals[0].grants[0].role = "roles/owner".into();
    });
    both_refused(&e, &op, "roles/owner").await;
}

#[tokio::test]
async fn a_snapshot_naming_a_principal_the_cluster_does_not_use_is_refused() {
    let e = keyed_env("guard-principal").await;
    let real = revoked(&e).await;
    let base: RecoverySnapshot = e.log.snapshot(&real).unwrap().unwrap();
    let op = pending_with(&e, &base, |s| {
        s.removals[0].grants = vec![Grant::new(ROLE_TOKEN_CREATOR, "user:mallory@example.com")];
    });
    both_refused(&e, &op, "user:mallory@example.com").await;
    assert!(
        !grant_set(&e.sb.iam_policy(&sa_resource()))
            .iter()
            .any(|g| g.contains("mallory")),
        "never granted"
    );
}

#[tokio::test]
async fn a_second_recovery_is_refused_with_a_clear_message() {
    let e = keyed_env("guard-once").await;
    let op = revoked(&e).await;
    let first = recover(&e.ctx, &e.log, &op, &|_| {}).await.unwrap();
    assert!(first.verified);
    let writes = e.sb.write_count();
    let again = recover(&e.ctx, &e.log, &op, &|_| {}).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::FailedPrecondition);
    assert!(
        again.message.contains("already recovered"),
        "{}",
        again.message
    );
    assert!(
        again.message.contains(&first.operation_id),
        "{}",
        again.message
    );
    assert_eq!(e.sb.write_count(), writes);
}

#[tokio::test]
async fn recovery_does_not_put_back_a_grant_whose_removal_failed() {
    let e = keyed_env("guard-failed-removal").await;
    e.sb.inject_fault(Fault {
        operation: "iam.projects.serviceAccounts.setIamPolicy".into(),
        status: 403,
        body: json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "Permission 'iam.serviceAccounts.setIamPolicy' denied"}}),
        times: 1,
        retry_after_secs: None,
    });
    let err = revoke(&e.ctx, &e.log, &req(), &RevokeControl::default(), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    let op = e.log.operations("revoke", A).unwrap().pop().unwrap();
    // Someone removes A's Token Creator grant on purpose after the failed revocation.
    let mut p = e.sb.iam_policy(&sa_resource());
    for b in p["bindings"].as_array_mut().unwrap() {
        if b["role"] == ROLE_TOKEN_CREATOR {
            b["members"]
                .as_array_mut()
                .unwrap()
                .retain(|m| m.as_str() != Some(principal(A).as_str()));
        }
    }
    e.sb.set_iam_policy_direct(&sa_resource(), p);
    let writes = e.sb.write_count();
    let rec = recover(&e.ctx, &e.log, &op, &|_| {}).await.unwrap();
    assert!(rec.restored.is_empty(), "{:?}", rec.restored);
    assert_eq!(e.sb.write_count(), writes, "nothing was put back");
    assert!(!grant_set(&e.sb.iam_policy(&sa_resource()))
        .iter()
        .any(|g| g.contains(&principal(A))));
}
