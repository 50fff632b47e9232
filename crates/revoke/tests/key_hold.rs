//! Emergency actions that hold (issue #10): "disable every enabled version" also stops
//! automatic rotation, so moving the sandbox clock past the old `nextRotationTime` creates no
//! ENABLED version; the values it cleared are in the operation's snapshot and log entries;
//! "restore after freeze" re-enables exactly those versions and puts the exact schedule back
//! (a `nextRotationTime` that has passed moves to now + the period). A resumed freeze carries
//! the first one's record over; a failed stop is reported while the versions are still frozen.

mod common;
use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::ErrorCode;
use cmek_revoke::{
    disable_all_versions, latest_freeze, preview_key, restored_schedule, unfreeze_key,
    FreezeSnapshot, RevokeControl, RevokeEvent, RotationSchedule, ScheduleOutcome, VersionOutcome,
};
use cmek_sandbox::Fault;
use common::*;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const PERIOD: &str = "2592000s";
const DAY: u64 = 86_400;

fn in_days(d: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::days(d))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

fn version(n: u32) -> String {
    format!("{KEY}/cryptoKeyVersions/{n}")
}

/// KEY with versions 1 ENABLED, 2 DISABLED, 3 ENABLED and rotation every 30 days, next in 10.
async fn scheduled_key(env: &Env) -> RotationSchedule {
    provision_shared(&env.ctx).await;
    let kms = &env.ctx.google.kms;
    for _ in 0..2 {
        kms.create_version(KEY).await.unwrap();
    }
    kms.set_version_state(&version(2), "DISABLED")
        .await
        .unwrap();
    let next = in_days(10);
    let k = kms
        .set_rotation_schedule(KEY, Some(PERIOD), Some(&next))
        .await
        .unwrap();
    let s = RotationSchedule::of(&k);
    assert_eq!(s.rotation_period.as_deref(), Some(PERIOD));
    assert_eq!(s.next_rotation_time.as_deref(), Some(next.as_str()));
    s
}

fn states(env: &Env) -> Vec<String> {
    env.sb
        .with_state(|s| s.crypto_key_versions(KEY))
        .iter()
        .map(|v| v["state"].as_str().unwrap().to_owned())
        .collect()
}

fn key_json(env: &Env) -> serde_json::Value {
    env.sb.crypto_key(KEY).unwrap()
}

async fn freeze(env: &Env) -> cmek_revoke::KeyActionReport {
    disable_all_versions(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap()
}

async fn unfreeze(env: &Env) -> cmek_revoke::KeyActionReport {
    unfreeze_key(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_freeze_holds_past_next_rotation_time_and_records_what_it_cleared() {
    let env = env("hold").await;
    let schedule = scheduled_key(&env).await;
    let p = preview_key(&env.ctx, KEY).await.unwrap();
    assert_eq!(p.rotation, schedule, "the confirmation shows the schedule");

    let (events, sink) = collector();
    let r = disable_all_versions(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    let rot = r.rotation.clone().expect("the schedule is reported");
    assert_eq!(rot.outcome, ScheduleOutcome::Cleared);
    assert_eq!(rot.before, schedule, "the exact values cleared");
    assert_eq!(rot.after, RotationSchedule::default(), "B05: re-read");
    assert_eq!(states(&env), vec!["DISABLED"; 3]);
    // Rotation is stopped before the first version is disabled (versions 1 and 3; 2 was
    // already DISABLED).
    let writes: Vec<String> = env
        .sb
        .requests()
        .into_iter()
        .filter(|q| q.is_write && q.operation.contains("cryptoKey"))
        .map(|q| q.operation.clone())
        .collect();
    assert!(
        writes
            .iter()
            .rev()
            .take(2)
            .all(|o| o.ends_with("cryptoKeyVersions.patch")),
        "{writes:?}"
    );
    assert!(writes[writes.len() - 3].ends_with("cryptoKeys.patch"));
    let clear = env
        .sb
        .requests()
        .into_iter()
        .rfind(|q| q.operation.ends_with("cryptoKeys.patch"))
        .unwrap();
    assert_eq!(clear.query, "updateMask=rotationPeriod%2CnextRotationTime");
    assert_eq!(clear.body, json!({}));
    assert!(events.lock().unwrap().iter().any(|e| matches!(
        e,
        RevokeEvent::StepFinished {
            step: cmek_revoke::RevokeStep::StopRotation,
            ..
        }
    )));

    // The log: the snapshot and the intent carry the exact values.
    let snap: FreezeSnapshot = env.log.snapshot(&r.operation_id).unwrap().unwrap();
    assert_eq!(snap.schedule.as_ref(), Some(&schedule));
    assert_eq!(snap.enabled_versions, vec![version(1), version(3)]);
    let entries = env.log.operation_entries(&r.operation_id).unwrap();
    let intent = entries
        .iter()
        .find(|e| e.kind == EntryKind::Intent && e.action == "key.stop_rotation")
        .unwrap();
    assert_eq!(
        intent.before.as_ref().unwrap()["before"],
        serde_json::to_value(&schedule).unwrap()
    );
    assert!(entries.iter().any(|e| e.kind == EntryKind::Outcome
        && e.action == "key.stop_rotation"
        && e.status == Some(EntryStatus::Ok)));

    // Past the old nextRotationTime, Cloud KMS (the sandbox) creates nothing: the freeze holds.
    env.sb
        .with_state(|s| s.advance_clock(Duration::from_secs(11 * DAY)));
    let listed = env.ctx.google.kms.list_versions(KEY).await.unwrap();
    assert_eq!(listed.len(), 3, "no new version");
    assert!(listed.iter().all(|v| v.state.as_deref() != Some("ENABLED")));
    let k = key_json(&env);
    assert!(k.get("nextRotationTime").is_none() && k.get("rotationPeriod").is_none());
}

#[tokio::test]
async fn without_the_stop_the_same_clock_jump_would_have_unfrozen_the_key() {
    // The control case: disabling the versions alone does not hold.
    let env = env("nohold").await;
    scheduled_key(&env).await;
    for n in [1, 3] {
        env.ctx
            .google
            .kms
            .set_version_state(&version(n), "DISABLED")
            .await
            .unwrap();
    }
    env.sb
        .with_state(|s| s.advance_clock(Duration::from_secs(11 * DAY)));
    let listed = env.ctx.google.kms.list_versions(KEY).await.unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[3].state.as_deref(), Some("ENABLED"));
}

#[tokio::test]
async fn restore_after_freeze_enables_exactly_those_versions_and_puts_the_exact_schedule_back() {
    let env = env("unfreeze").await;
    let schedule = scheduled_key(&env).await;
    let e = unfreeze_key(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition, "nothing to undo yet");
    freeze(&env).await;
    let wrong = unfreeze_key(
        &env.ctx,
        &env.log,
        KEY,
        "shared",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidInput, "typed confirmation");

    let r = unfreeze(&env).await;
    assert_eq!(
        r.results.iter().map(|x| x.outcome).collect::<Vec<_>>(),
        vec![
            VersionOutcome::Enabled,
            VersionOutcome::Skipped,
            VersionOutcome::Enabled
        ]
    );
    assert_eq!(
        r.results[1].reason.as_deref(),
        Some("was not ENABLED before the freeze")
    );
    assert_eq!(states(&env), vec!["ENABLED", "DISABLED", "ENABLED"]);
    let rot = r.rotation.unwrap();
    assert_eq!(rot.outcome, ScheduleOutcome::Restored);
    assert_eq!(rot.requested, schedule);
    assert_eq!(rot.after, schedule, "exactly the same schedule, re-read");
    assert!(rot.note.is_none());
    let k = key_json(&env);
    assert_eq!(k["rotationPeriod"], PERIOD);
    assert_eq!(
        k["nextRotationTime"].as_str(),
        schedule.next_rotation_time.as_deref()
    );
    assert!(
        latest_freeze(&env.log, KEY).unwrap().is_none(),
        "the freeze is undone"
    );
    // A second restore has nothing left to undo.
    let again = unfreeze_key(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, ErrorCode::FailedPrecondition);
}

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
