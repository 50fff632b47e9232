//! An AWS revocation a crash interrupted right after removing access (the debug-build pause
//! hook, then the task dropped) is listed as pending and finished by `resume_revoke` without
//! writing the policy again; `recover` then restores the exact policy.

mod common;
mod common_aws;

use std::time::Duration;

use cmek_core::aws::policy::PolicyDocument;
use cmek_revoke::{
    recover, resume_revoke, revoke, Lever, RevokeControl, RevokeRequest, RevokeStep,
    PAUSE_MARKER_FILE,
};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use common_aws::{env, write_intents, NAME};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_aws_revocation_is_pending_then_resumed_and_recovered() {
    let e = env("aws-resume").await;
    let writes = e.sb.write_count();
    let control = RevokeControl {
        pause_after: Some(RevokeStep::RemoveAccess),
        ..Default::default()
    };
    let req = RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever: Lever::KeyPolicyStatement,
        confirm_name: NAME.into(),
    };
    let (ctx, log, c) = (
        e.ctx.clone(),
        cmek_activity::ActivityLog::open_in(&e.dir).unwrap(),
        control.clone(),
    );
    let run = tokio::spawn(async move { revoke(&ctx, &log, &req, &c, &|_| {}).await });
    let marker = e.dir.join(PAUSE_MARKER_FILE);
    let mut waited = Duration::ZERO;
    while !marker.exists() {
        assert!(waited < Duration::from_secs(20), "no pause marker");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    run.abort();
    let _ = run.await;
    let pending = e.log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].completed,
        vec!["revoke.snapshot", "revoke.remove_statement"]
    );
    assert_eq!(
        e.sb.write_count() - writes,
        1,
        "only the key policy was written"
    );

    let op = pending[0].operation_id.clone();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        resume_revoke(&e.ctx, &e.log, &op, &control, &|_| {}),
    )
    .await
    .expect("resume does not pause")
    .unwrap();
    assert_eq!(r.cmek_status, "REVOKED");
    assert!(e.log.pending_operations().unwrap().is_empty());
    assert_eq!(
        e.sb.write_count() - writes,
        2,
        "the policy is not written again"
    );
    assert_eq!(write_intents(&e.log), 2);

    let rec = recover(&e.ctx, &e.log, &op, &|_| {}).await.unwrap();
    assert!(rec.verified);
    assert_eq!(
        PolicyDocument::parse("after", &e.sb.aws_key_policy(&e.key).unwrap()).unwrap(),
        PolicyDocument::parse("before", &e.key_policy).unwrap()
    );
}
