//! The debug-build pause hook (`RevokeControl::pause_after`) the app's crash test uses
//! (`CMEK_DESK_REVOKE_PAUSE_AFTER`): a fresh revocation stops right after the named step, with
//! its outcome in the log and the marker file next to the database, and waits (it does not
//! exit) until stopped; resuming never pauses.

mod common;
use std::time::Duration;

use cmek_revoke::{
    resume_revoke, revoke, Lever, RevokeControl, RevokeRequest, RevokeStep, PAUSE_MARKER_FILE,
};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_pauses_after_remove_access_and_resume_does_not_pause() {
    let env = env("pause-hook").await;
    provision_shared(&env.ctx).await;
    let control = RevokeControl {
        pause_after: Some(RevokeStep::RemoveAccess),
        ..Default::default()
    };
    let req = RevokeRequest {
        cluster_id: A.into(),
        lever: Lever::TokenCreator,
        confirm_name: A_NAME.into(),
    };
    let (ctx, log, c) = (
        env.ctx.clone(),
        cmek_activity::ActivityLog::open_in(&env.dir).unwrap(),
        control.clone(),
    );
    let run = tokio::spawn(async move {
        let (_, sink) = collector();
        revoke(&ctx, &log, &req, &c, &sink).await
    });
    let marker = env.dir.join(PAUSE_MARKER_FILE);
    let mut waited = Duration::ZERO;
    while !marker.exists() {
        assert!(waited < Duration::from_secs(20), "no pause marker");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&marker).unwrap()).unwrap();
    assert_eq!(m["step"], "removeAccess");
    // Paused, not finished: the removal's outcome is logged, REVOKE was not sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!run.is_finished(), "the pause waits");
    let pending = env.log.pending_operations().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].operation_id, m["operationId"].as_str().unwrap());
    assert_eq!(
        pending[0].completed,
        vec!["revoke.snapshot", "revoke.remove_access"]
    );
    assert!(!env
        .sb
        .requests()
        .iter()
        .any(|r| r.operation == "CockroachCloud_UpdateCMEKStatus"));

    // A crash there (the task dropped at the pause): resume finishes it and never pauses.
    run.abort();
    let _ = run.await;
    std::fs::remove_file(&marker).unwrap();
    let op = pending[0].operation_id.clone();
    let (_, sink) = collector();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        resume_revoke(&env.ctx, &env.log, &op, &control, &sink),
    )
    .await
    .expect("resume does not pause")
    .unwrap();
    assert_eq!(r.cmek_status, "REVOKED");
    assert!(!marker.exists());
    assert!(env.log.pending_operations().unwrap().is_empty());

    // "Stop" ends a pause: the run fails as cancelled, before REVOKE, like a normal stop.
    let control = RevokeControl {
        pause_after: Some(RevokeStep::RemoveAccess),
        ..Default::default()
    };
    let req = RevokeRequest {
        cluster_id: B.into(),
        lever: Lever::TokenCreator,
        confirm_name: "global-ledger".into(),
    };
    let (ctx, log, c) = (
        env.ctx.clone(),
        cmek_activity::ActivityLog::open_in(&env.dir).unwrap(),
        control.clone(),
    );
    let run = tokio::spawn(async move {
        let (_, sink) = collector();
        revoke(&ctx, &log, &req, &c, &sink).await
    });
    let mut waited = Duration::ZERO;
    while !marker.exists() {
        assert!(waited < Duration::from_secs(20), "no pause marker");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    control
        .cancel
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(err.code, cmek_core::ErrorCode::Cancelled);
    assert_eq!(
        env.ctx.cockroach.get_cmek(B).await.unwrap().unwrap().status,
        "ENABLED"
    );
}
