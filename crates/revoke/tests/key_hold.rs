//! Emergency actions that hold (issue #10): "disable every enabled version" also stops
//! automatic rotation, so moving the sandbox clock past the old `nextRotationTime` creates no
//! ENABLED version (without the stop, the same jump unfreezes the key); the values it cleared
//! are in the operation's snapshot and log entries; "restore after freeze" re-enables exactly
//! those versions and puts the exact schedule back.

mod common;
mod hold_common;
use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::ErrorCode;
use cmek_revoke::{
    disable_all_versions, latest_freeze, preview_key, unfreeze_key, FreezeSnapshot, RevokeControl,
    RevokeEvent, RotationSchedule, ScheduleOutcome, VersionOutcome,
};
use common::*;
use hold_common::*;
use serde_json::json;
use std::time::Duration;

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
