//! The runner shared by the key actions: read the key and its versions, open the operation,
//! (freeze) record the snapshot and stop automatic rotation, then one recorded write per
//! version (check → act, skipped versions listed with the reason), (restore after freeze) put
//! the schedule back, re-read everything (B05) and close the operation.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::kms::{version_state, CryptoKeyVersion};
use cmek_core::{Error, ErrorCode, Result};

use super::freeze::{
    latest_freeze, FreezeSnapshot, FREEZE_ACTION, FREEZE_SNAPSHOT_KIND, UNFREEZE_ACTION,
};
use super::schedule::{self, RotationSchedule, ScheduleOutcome};
use super::types::{KeyActionReport, VersionOutcome, VersionResult, VersionView};
use crate::revoke::{fail, finished, step, RevokeControl, RevokeEvent, RevokeStep, StepStatus};
use crate::{RevokeContext, Sink};

/// Which key action runs (the freeze record travels with "restore after freeze").
#[derive(Clone, PartialEq)]
pub(super) enum Action {
    Disable,
    Restore { enable_after: bool },
    Unfreeze(FreezeSnapshot),
}

/// The write of one version for `action`.
async fn write_version(
    ctx: &RevokeContext,
    action: &Action,
    v: &CryptoKeyVersion,
) -> Result<CryptoKeyVersion> {
    let kms = &ctx.google.kms;
    match action {
        Action::Disable => {
            kms.set_version_state(&v.name, version_state::DISABLED)
                .await
        }
        Action::Unfreeze(_) => kms.set_version_state(&v.name, version_state::ENABLED).await,
        Action::Restore { enable_after } => match kms.restore_version(&v.name).await {
            Ok(r) if *enable_after => kms.set_version_state(&r.name, version_state::ENABLED).await,
            other => other,
        },
    }
}

/// Why `v` is skipped by `action`, if it is.
fn skip_reason(action: &Action, wanted: &str, v: &CryptoKeyVersion) -> Option<String> {
    let state = v.state.as_deref().unwrap_or_default();
    if let Action::Unfreeze(s) = action {
        if !s.enabled_versions.contains(&v.name) {
            return Some("was not ENABLED before the freeze".into());
        }
    }
    (state != wanted).then(|| format!("already {state}"))
}

pub(super) async fn run(
    ctx: &RevokeContext,
    log: &ActivityLog,
    key: &str,
    action: Action,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<KeyActionReport> {
    let (name, st, title, wanted, outcome) = match &action {
        Action::Disable => (
            FREEZE_ACTION,
            RevokeStep::DisableVersions,
            "Disable every enabled version",
            version_state::ENABLED,
            VersionOutcome::Disabled,
        ),
        Action::Restore { .. } => (
            "key.restore_versions",
            RevokeStep::RestoreVersions,
            "Restore versions scheduled for destruction",
            version_state::DESTROY_SCHEDULED,
            VersionOutcome::Restored,
        ),
        Action::Unfreeze(_) => (
            UNFREEZE_ACTION,
            RevokeStep::EnableVersions,
            "Enable again the versions the freeze disabled",
            version_state::DISABLED,
            VersionOutcome::Enabled,
        ),
    };
    let k = ctx.google.kms.get_crypto_key(key).await?.ok_or_else(|| {
        Error::new(ErrorCode::NotFound, format!("key {key} not found")).with_resource(key)
    })?;
    let mut versions = ctx.google.kms.list_versions(key).await?;
    let previous = match action {
        Action::Disable => latest_freeze(log, key)?,
        _ => None,
    };
    let request = match &action {
        Action::Unfreeze(s) => serde_json::json!({"freezeOperationId": s.operation_id}),
        _ => serde_json::to_value(versions.iter().map(VersionView::from).collect::<Vec<_>>())
            .unwrap_or_default(),
    };
    let op = log.start_operation(&ctx.actor, name, key, title, &request)?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: name.into(),
    });
    let mut rotation = None;
    if action == Action::Disable {
        let current = RotationSchedule::of(&k);
        let snap = FreezeSnapshot::new(&op, key, current.clone(), &versions, previous);
        log.save_snapshot(&op, FREEZE_SNAPSHOT_KIND, key, &snap)?;
        let change = schedule::stop(ctx, log, &op, key, current, sink).await?;
        if change.outcome == ScheduleOutcome::Cleared {
            // Re-list: a rotation may have happened between the first read and the stop.
            versions = match ctx.google.kms.list_versions(key).await {
                Ok(vs) => vs,
                Err(e) => return Err(fail(log, &op, sink, st, e)),
            };
        }
        rotation = Some(change);
    }
    step(sink, st, title);
    let mut results = Vec::new();
    let mut cancelled = false;
    for v in &versions {
        let before = v.state.clone().unwrap_or_default();
        if let Some(reason) = skip_reason(&action, wanted, v) {
            let r = VersionResult {
                name: v.name.clone(),
                state_before: before.clone(),
                state_after: before,
                outcome: VersionOutcome::Skipped,
                reason: Some(reason),
                error: None,
            };
            sink(RevokeEvent::VersionDone { result: r.clone() });
            results.push(r);
            continue;
        }
        if control.is_cancelled() {
            cancelled = true;
            break;
        }
        let i = log.intent(
            Some(&op),
            &ctx.actor,
            name,
            &v.name,
            &format!("{title}: {}", v.version_id()),
            &VersionView::from(v),
        )?;
        // Pacing under the KMS write quota and the bounded 429 retries (B24) happen once, in the
        // HTTP layer, for every write (`cmek_retry::GOOGLE_WRITES`, `policy::HTTP_TRANSIENT`).
        let r = match write_version(ctx, &action, v).await {
            Ok(after) => {
                log.outcome(i, EntryStatus::Ok, "done", &VersionView::from(&after), None)?;
                VersionResult {
                    name: v.name.clone(),
                    state_before: before,
                    state_after: after.state.unwrap_or_default(),
                    outcome,
                    reason: None,
                    error: None,
                }
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, &e.message, &(), Some(&e))?;
                VersionResult {
                    name: v.name.clone(),
                    state_before: before.clone(),
                    state_after: before,
                    outcome: VersionOutcome::Failed,
                    reason: Some(e.message.clone()),
                    error: Some(e),
                }
            }
        };
        sink(RevokeEvent::VersionDone { result: r.clone() });
        results.push(r);
    }
    if let (Action::Unfreeze(snap), false) = (&action, cancelled) {
        if let Some(saved) = &snap.schedule {
            rotation = Some(schedule::restore(ctx, log, &op, key, saved, sink).await?);
        }
    }
    let observed_versions: Vec<VersionView> = match ctx.google.kms.list_versions(key).await {
        Ok(vs) => vs.iter().map(VersionView::from).collect(),
        Err(e) => return Err(fail(log, &op, sink, st, e)),
    };
    if let Some(change) = rotation.as_mut() {
        // B05: report the schedule as it is now.
        match ctx.google.kms.get_crypto_key(key).await {
            Ok(Some(now)) => change.after = RotationSchedule::of(&now),
            Ok(None) => {}
            Err(e) => return Err(fail(log, &op, sink, st, e)),
        }
    }
    let failed = results
        .iter()
        .filter(|r| r.outcome == VersionOutcome::Failed)
        .count();
    let rotation_failed = rotation
        .as_ref()
        .is_some_and(|c| c.outcome == ScheduleOutcome::Failed);
    let report = KeyActionReport {
        operation_id: op.clone(),
        key: key.to_owned(),
        results,
        cancelled,
        destroy_scheduled_duration: k.destroy_scheduled_duration,
        observed_versions,
        rotation,
    };
    let (es, ss) = match (cancelled, failed > 0 || rotation_failed) {
        (true, _) => (EntryStatus::Cancelled, StepStatus::Cancelled),
        (false, false) => (EntryStatus::Ok, StepStatus::Done),
        (false, true) => (EntryStatus::Failed, StepStatus::Failed),
    };
    let msg = finish_message(failed, rotation_failed, cancelled, &action);
    log.finish_operation(&op, es, &msg, &report, None)?;
    finished(sink, st, ss, msg);
    Ok(report)
}

fn finish_message(
    failed: usize,
    rotation_failed: bool,
    cancelled: bool,
    action: &Action,
) -> String {
    let mut msg = format!("{failed} version(s) failed");
    if rotation_failed {
        msg.push_str(match action {
            Action::Disable => "; automatic rotation could not be stopped: Cloud KMS will create a new ENABLED version at nextRotationTime",
            _ => "; the rotation schedule could not be put back",
        });
    }
    if cancelled {
        msg.push_str("; cancelled (run again to resume)");
    }
    msg
}
