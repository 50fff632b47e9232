//! The finish / roll-back rules (`cmek_revoke::guard`, issue 13) for AWS clusters, over HTTP
//! against the sandbox's AWS endpoint: a snapshot whose statement names a principal the
//! cluster does not use, or edits a policy it does not use, is refused by both with nothing
//! written; a second recovery is refused.

mod common;
mod common_aws;

use cmek_core::ErrorCode;
use cmek_revoke::aws::AwsRevokeSnapshot;
use cmek_revoke::{recover, resume_revoke, revoke, Lever, RevokeControl, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use common_aws::{env, Env, NAME};
use serde_json::json;

async fn revoked(e: &Env) -> (String, AwsRevokeSnapshot) {
    let req = RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever: Lever::KeyPolicyStatement,
        confirm_name: NAME.into(),
    };
    let op = revoke(&e.ctx, &e.log, &req, &RevokeControl::default(), &|_| {})
        .await
        .unwrap()
        .operation_id;
    let snap = e.log.snapshot(&op).unwrap().unwrap();
    (op, snap)
}

/// An interrupted revocation, written through the log API (chain intact), with `snap` edited.
fn pending_with(
    e: &Env,
    base: &AwsRevokeSnapshot,
    edit: impl Fn(&mut AwsRevokeSnapshot),
) -> String {
    let op = e
        .log
        .start_operation(
            "user:a@example.com",
            "revoke",
            AWS_CLUSTER_ID,
            "Revoke",
            &json!({}),
        )
        .unwrap();
    let mut snap = base.clone();
    snap.operation_id = op.clone();
    edit(&mut snap);
    e.log
        .save_snapshot(&op, "revoke", AWS_CLUSTER_ID, &snap)
        .unwrap();
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
async fn a_statement_for_a_stranger_is_refused() {
    let e = env("aws-guard-principal").await;
    let (_, base) = revoked(&e).await;
    let stranger = "arn:aws:iam::999999999999:role/mallory";
    let op = pending_with(&e, &base, |s| {
        s.removals[0].statements[0].statement["Principal"] = json!({ "AWS": stranger });
    });
    both_refused(&e, &op, stranger).await;
}

#[tokio::test]
async fn a_policy_the_cluster_does_not_use_is_refused() {
    let e = env("aws-guard-policy").await;
    let (_, base) = revoked(&e).await;
    let other_key = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-0000-4000-8000-000000000000";
    let op = pending_with(&e, &base, |s| {
        s.removals[0].policy.arn = other_key.into();
    });
    both_refused(&e, &op, other_key).await;
}

#[tokio::test]
async fn a_second_aws_recovery_is_refused() {
    let e = env("aws-guard-once").await;
    let (op, _) = revoked(&e).await;
    assert!(
        recover(&e.ctx, &e.log, &op, &|_| {})
            .await
            .unwrap()
            .verified
    );
    let writes = e.sb.write_count();
    let again = recover(&e.ctx, &e.log, &op, &|_| {}).await.unwrap_err();
    assert!(
        again.message.contains("already recovered"),
        "{}",
        again.message
    );
    assert_eq!(e.sb.write_count(), writes);
}
