//! Waiting for REVOKED is a `cmek_retry` poll: cancelling the control's token ends the wait at
//! once (not after the poll interval), with the revocation's own "stopped waiting" message.

mod common;
use cmek_core::ErrorCode;
use cmek_revoke::{revoke, Lever, RevokeControl, RevokeEvent, RevokeRequest, RevokeStep};
use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_during_the_wait_for_revoked_returns_promptly() {
    let mut env = env("cancel-wait").await;
    provision_shared(&env.ctx).await;
    // CockroachDB stays REVOKING for a minute; we poll every 20 s.
    env.sb.set_cmek_transition(Duration::from_secs(60), 1_000);
    env.ctx.timing.poll_interval = Duration::from_secs(20);
    let token = cmek_retry::CancellationToken::new();
    let control = RevokeControl::from_token(token.clone());
    let waiting = Arc::new(Mutex::new(None::<Instant>));
    let sink = {
        let waiting = waiting.clone();
        move |e: RevokeEvent| {
            if let RevokeEvent::StepProgress {
                step: RevokeStep::WaitRevoked,
                ..
            } = e
            {
                waiting.lock().unwrap().get_or_insert_with(Instant::now);
            }
        }
    };
    let canceller = {
        let waiting = waiting.clone();
        tokio::spawn(async move {
            while waiting.lock().unwrap().is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            token.cancel();
            Instant::now()
        })
    };
    let req = RevokeRequest {
        cluster_id: A.into(),
        lever: Lever::TokenCreator,
        confirm_name: A_NAME.into(),
    };
    let e = revoke(&env.ctx, &env.log, &req, &control, &sink)
        .await
        .unwrap_err();
    let cancelled_at = canceller.await.unwrap();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert!(e.message.starts_with("Stopped waiting"), "{}", e.message);
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(3),
        "returned {:?} after the cancel, not after the 20 s poll interval",
        cancelled_at.elapsed()
    );
    assert!(control.is_cancelled());
}

#[test]
fn cancel_sets_both_the_flag_and_the_token() {
    let c = RevokeControl::default();
    c.cancel();
    assert!(c.cancel.load(std::sync::atomic::Ordering::SeqCst));
    assert!(c.token.is_cancelled());
    let legacy = RevokeControl::default();
    legacy
        .cancel
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(legacy.is_cancelled(), "the flag alone still counts");
}
