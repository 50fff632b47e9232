//! Edges of the key hold: a freeze run again (resumed after a stop) carries the first one's
//! record over; a failed stop is reported while the versions are still frozen; restoring a
//! schedule is exact unless its `nextRotationTime` has passed (then now + the period).

mod common;
mod hold_common;
use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::ErrorCode;
use cmek_revoke::{
    disable_all_versions, latest_freeze, restored_schedule, RevokeControl, RevokeEvent,
    RotationSchedule, ScheduleOutcome, VersionOutcome,
};
use cmek_sandbox::Fault;
use common::*;
use hold_common::*;
use serde_json::json;
use std::sync::atomic::Ordering;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[tokio::test]
async fn a_resumed_freeze_carries_the_first_record_over() {
    let env = env("resume-freeze").await;
    let schedule = scheduled_key(&env).await;
    let control = RevokeControl::default();
    let cancel = control.cancel.clone();
    let sink = move |e: RevokeEvent| {
        if let RevokeEvent::VersionDone { result } = e {
            if result.outcome == VersionOutcome::Disabled {
                cancel.store(true, Ordering::SeqCst);
            }
        }
    };
    let first = disable_all_versions(&env.ctx, &env.log, KEY, "shared-key", &control, &sink)
        .await
        .unwrap();
    assert!(first.cancelled);
    assert_eq!(states(&env), vec!["DISABLED", "DISABLED", "ENABLED"]);
    let second = freeze(&env).await;
    assert_eq!(
        second.rotation.unwrap().outcome,
        ScheduleOutcome::Skipped,
        "already stopped"
    );
    let snap = latest_freeze(&env.log, KEY).unwrap().unwrap();
    assert_eq!(snap.operation_id, second.operation_id);
    assert_eq!(snap.continues.as_deref(), Some(first.operation_id.as_str()));
    assert_eq!(snap.schedule.as_ref(), Some(&schedule), "carried over");
    assert_eq!(snap.enabled_versions, vec![version(1), version(3)]);
    let r = unfreeze(&env).await;
    assert_eq!(states(&env), vec!["ENABLED", "DISABLED", "ENABLED"]);
    assert_eq!(r.rotation.unwrap().after, schedule);
}

#[tokio::test]
async fn a_failed_stop_is_reported_and_the_versions_are_still_disabled() {
    let env = env("stop-fails").await;
    scheduled_key(&env).await;
    env.sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.cryptoKeys.patch".into(),
        status: 403,
        body: json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "Permission 'cloudkms.cryptoKeys.update' denied on resource"}}),
        times: 1,
        retry_after_secs: None,
    });
    let r = freeze(&env).await;
    let rot = r.rotation.unwrap();
    assert_eq!(rot.outcome, ScheduleOutcome::Failed);
    assert_eq!(rot.error.unwrap().code, ErrorCode::PermissionDenied);
    assert!(rot.after.is_set(), "B05: the schedule is still there");
    assert_eq!(states(&env), vec!["DISABLED"; 3]);
    let done = env
        .log
        .operation_entries(&r.operation_id)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EntryKind::OperationFinished)
        .unwrap();
    assert_eq!(done.status, Some(EntryStatus::Failed));
    assert!(done
        .summary
        .contains("automatic rotation could not be stopped"));
}

fn sched(p: Option<&str>, t: Option<&str>) -> RotationSchedule {
    RotationSchedule {
        rotation_period: p.map(Into::into),
        next_rotation_time: t.map(Into::into),
    }
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

#[test]
fn a_future_schedule_is_put_back_exactly() {
    let saved = sched(Some(PERIOD), Some("2030-01-02T03:04:05.123456Z"));
    let (r, note) = restored_schedule(&saved, at("2029-12-01T00:00:00Z"));
    assert_eq!((r, note), (saved, None));
    let period_only = sched(Some("7776000s"), None);
    assert_eq!(
        restored_schedule(&period_only, at("2029-12-01T00:00:00Z")).0,
        period_only
    );
}

#[test]
fn a_past_next_rotation_moves_to_now_plus_the_period() {
    let saved = sched(Some("86400s"), Some("2029-11-30T00:00:00Z"));
    let (r, note) = restored_schedule(&saved, at("2029-12-01T10:20:30.5Z"));
    assert_eq!(r, sched(Some("86400s"), Some("2029-12-02T10:20:30Z")));
    assert!(note.unwrap().contains("2029-11-30T00:00:00Z"));
    // Exactly now counts as passed (KMS would rotate at once).
    let (r, _) = restored_schedule(&saved, at("2029-11-30T00:00:00Z"));
    assert_eq!(
        r.next_rotation_time.as_deref(),
        Some("2029-12-01T00:00:00Z")
    );
}

#[test]
fn a_past_one_time_rotation_is_not_recreated() {
    let saved = sched(None, Some("2029-11-30T00:00:00Z"));
    let (r, note) = restored_schedule(&saved, at("2029-12-01T00:00:00Z"));
    assert_eq!(r, RotationSchedule::default());
    assert!(note.unwrap().contains("not re-created"));
}
