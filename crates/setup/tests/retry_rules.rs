//! The setup's waits on `cmek_retry` against the sandbox over HTTP: the IAM-propagation wait
//! never repeats an enable that may have been applied (500, time-out), and cancelling ends a
//! wait at once with `Cancelled`.

mod common;
use cmek_core::plan::ApplyEvent;
use cmek_core::ErrorCode;
use cmek_sandbox::Stall;
use cmek_setup::ApplyControl;
use common::*;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ENABLE: &str = "CockroachCloud_EnableCMEKSpec";

#[tokio::test]
async fn b09_an_enable_answered_500_is_sent_once_not_waited_out_as_propagation() {
    let (sb, conn, plan) = single_region_plan().await;
    sb.inject_fault(fault(
        ENABLE,
        500,
        json!({"code": 13, "message": "internal error"}),
        10_000,
    ));
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unavailable);
    assert_eq!(e.http_status, Some(500));
    assert_eq!(
        ops(&sb, ENABLE).len(),
        1,
        "a POST that may have been applied"
    );
}

#[tokio::test]
async fn b09_an_enable_that_times_out_is_sent_once_and_applying_again_adopts_it() {
    let (sb, conn, plan) = single_region_plan().await;
    let mut conn = conn;
    conn.cockroach = conn.cockroach.with_timeout(Duration::from_millis(500));
    sb.inject_stall(Stall {
        operation: ENABLE.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert!(e.is_transport(), "{e:?}");
    assert_eq!(ops(&sb, ENABLE).len(), 1);
    // The enable did reach CockroachDB: the next run reads it and does not send it again.
    let (r, _) = apply(&conn, &plan).await;
    assert_eq!(r.unwrap().cmek.status, "ENABLED");
    assert_eq!(ops(&sb, ENABLE).len(), 1, "adopted, not re-sent");
}

#[tokio::test]
async fn cancelling_during_the_iam_propagation_wait_returns_cancelled_promptly() {
    let (sb, conn, plan) = single_region_plan().await;
    sb.inject_fault(fault(
        ENABLE,
        403,
        json!({"code": 7, "message": "permission denied"}),
        10_000,
    ));
    let mut conn = conn;
    conn.timing.iam_propagation = Duration::from_secs(600);
    conn.timing.poll_interval = Duration::from_secs(20);
    let control = ApplyControl::default();
    let cancelled_at = Arc::new(Mutex::new(None::<Instant>));
    let sink = {
        let control = control.clone();
        let cancelled_at = cancelled_at.clone();
        move |e: ApplyEvent| {
            // The first propagation note comes right before a 20 s wait: stop there.
            if let ApplyEvent::StepProgress { message, .. } = e {
                if message.contains("cannot use the key yet") && !control.is_cancelled() {
                    *cancelled_at.lock().unwrap() = Some(Instant::now());
                    control.cancel();
                }
            }
        }
    };
    let e = cmek_setup::apply(&conn, &plan, &control, &sink)
        .await
        .unwrap_err();
    let since_cancel = cancelled_at
        .lock()
        .unwrap()
        .expect("the wait started")
        .elapsed();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert!(e.message.starts_with("Stopped by you"), "{}", e.message);
    assert!(
        since_cancel < Duration::from_secs(3),
        "returned {since_cancel:?} after the cancel"
    );
    assert_eq!(ops(&sb, ENABLE).len(), 1, "no attempt after the cancel");
}

#[tokio::test]
async fn an_apply_control_built_from_a_token_is_cancelled_by_it() {
    let token = cmek_retry::CancellationToken::new();
    let control = ApplyControl::from_token(token.clone());
    assert!(!control.is_cancelled());
    token.cancel();
    assert!(control.is_cancelled());
    let own = ApplyControl::default();
    own.cancel();
    assert!(own.token().is_cancelled());
}
