//! The scan within quotas: per-project rate limit, 429 with backoff, partial results when a
//! project fails, cancel, progress counts.

mod common;

use cmek_audit::ScanEvent;
use cmek_core::ErrorCode;
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use cmek_sandbox::Fault;
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[tokio::test]
async fn a_failing_project_keeps_its_error_on_its_row_and_the_others_complete() {
    let sb = audit_sandbox().await;
    let (r, events) = run(
        &sb,
        options(&[AUDIT_KEYS_PROJECT, "no-such-project"]),
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    let bad = r
        .projects
        .iter()
        .find(|p| p.project_id == "no-such-project")
        .unwrap();
    assert!(bad.error.is_some(), "its error is on its row");
    let good = r
        .projects
        .iter()
        .find(|p| p.project_id == AUDIT_KEYS_PROJECT)
        .unwrap();
    assert!(good.error.is_none());
    assert!(good.keys.len() > 20, "{}", good.keys.len());
    let finished: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, ScanEvent::ProjectFinished { .. }))
        .collect();
    assert_eq!(finished.len(), 2);
    assert!(matches!(
        events.last(),
        Some(ScanEvent::Finished {
            cancelled: false,
            ..
        })
    ));
}

#[tokio::test]
async fn progress_counts_match_the_inventory() {
    let sb = audit_sandbox().await;
    let (r, events) = run(
        &sb,
        options(&[AUDIT_OWNER_PROJECT]),
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    let last = events.iter().rev().find_map(|e| match e {
        ScanEvent::ProjectProgress {
            keys,
            key_rings,
            versions,
            kms_calls,
            ..
        } => Some((*keys, *key_rings, *versions, *kms_calls)),
        _ => None,
    });
    let p = &r.projects[0];
    assert_eq!(last, Some((1, 1, 1, p.kms_calls)));
    // 1 locations.list + 14 keyRings.list + (getIamPolicy + cryptoKeys.list) + (getIamPolicy + versions.list)
    assert_eq!(p.kms_calls, 19);
}

#[tokio::test]
async fn the_per_project_rate_limit_is_respected_and_projects_do_not_wait_on_each_other() {
    let sb = audit_sandbox().await;
    // 600/min = 10/s with a burst of 10: 19 calls need ≥ 0.9 s for one project, and the same
    // for two projects at once (each has its own limiter).
    let mut o = options(&[AUDIT_OWNER_PROJECT]);
    o.kms_reads_per_minute = 600;
    let t = Instant::now();
    run(&sb, o.clone(), &AtomicBool::new(false), |_| {}).await;
    let one = t.elapsed();
    assert!(one.as_secs_f64() >= 0.85, "{one:?}");
    sb.with_state(|s| cmek_sandbox::seed_audit::seed_audit_scale(s, 1, 1));
    o.projects = vec![AUDIT_OWNER_PROJECT.into(), "bench-p0".into()];
    let t = Instant::now();
    let (r, _) = run(&sb, o, &AtomicBool::new(false), |_| {}).await;
    let two = t.elapsed();
    assert!(r
        .projects
        .iter()
        .all(|p| p.error.is_none() && p.kms_calls == 19));
    assert!(
        two.as_secs_f64() < one.as_secs_f64() * 1.6,
        "projects ran in parallel: one {one:?}, two {two:?}"
    );
}

#[tokio::test]
async fn a_429_is_retried_with_backoff_and_the_scan_completes() {
    let sb = audit_sandbox().await;
    sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.cryptoKeys.list".into(),
        status: 429,
        body: serde_json::json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded for quota metric 'Read requests'."}}),
        times: 1,
        retry_after_secs: Some(1),
    });
    let (r, _) = run(
        &sb,
        options(&[AUDIT_OWNER_PROJECT]),
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    assert!(r.projects[0].error.is_none(), "{:?}", r.projects[0].error);
    assert_eq!(r.projects[0].keys.len(), 1);
    let n = sb
        .requests()
        .iter()
        .filter(|q| q.operation.ends_with("cryptoKeys.list"))
        .count();
    assert_eq!(n, 2, "one 429 then one success");
}

#[tokio::test]
async fn cancel_stops_the_scan_and_keeps_partial_results() {
    let sb = audit_sandbox().await;
    let cancel = AtomicBool::new(false);
    let mut o = options(&[AUDIT_KEYS_PROJECT]);
    o.kms_reads_per_minute = 600;
    let (r, events) = run(&sb, o, &cancel, |e| {
        if let ScanEvent::ProjectProgress { keys, .. } = e {
            if *keys >= 1 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    })
    .await;
    assert!(r.cancelled);
    let p = &r.projects[0];
    assert_eq!(p.error.as_ref().map(|e| e.code), Some(ErrorCode::Cancelled));
    assert!(!p.keys.is_empty(), "the keys read before cancel are kept");
    // The project holds 33 keys (29 + the 4 day-two keys of the seed).
    assert!(p.keys.len() < 34, "{}", p.keys.len());
    assert!(matches!(
        events.last(),
        Some(ScanEvent::Finished {
            cancelled: true,
            ..
        })
    ));
}
