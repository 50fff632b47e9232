//! Automatic rotation while a key is frozen (issue #10 "emergency actions that hold";
//! gcp-apis §3): at `nextRotationTime` Cloud KMS creates a new ENABLED primary version and
//! advances the time by `rotationPeriod`, so disabling every version alone does not hold.
//! [`stop`] clears both fields with one `cryptoKeys.patch`
//! (`updateMask=rotationPeriod,nextRotationTime`) before any version is disabled; [`restore`]
//! puts the recorded schedule back. Each write is logged as an intent before and an outcome
//! after, with the exact values.
//!
//! Restoring is exact (the same `rotationPeriod` string, the same `nextRotationTime` string)
//! except when the recorded `nextRotationTime` is no longer in the future by the app's clock:
//! KMS would rotate at once, so it becomes now + `rotationPeriod` (UTC, whole seconds) and the
//! change says so in [`ScheduleChange::note`]. A one-time rotation (a time without a period)
//! whose time has passed is not re-created (also noted).

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::Result;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use super::types::{RotationSchedule, ScheduleChange, ScheduleOutcome};
use crate::revoke::{finished, step, RevokeStep, StepStatus};
use crate::{RevokeContext, Sink};

/// Seconds of a google-duration (`"2592000s"`, `"1.5s"`), if positive.
fn duration_secs(d: &str) -> Option<f64> {
    d.strip_suffix('s')?
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
}

/// The schedule to put back for the recorded `saved` at `now` (see the module doc): the same
/// values, except a `nextRotationTime` at or before `now`, which becomes `now` + the period
/// (or is dropped without a period). Returns the schedule and the note explaining a change.
pub fn restored_schedule(
    saved: &RotationSchedule,
    now: OffsetDateTime,
) -> (RotationSchedule, Option<String>) {
    let Some(next) = saved.next_rotation_time.as_deref() else {
        return (saved.clone(), None);
    };
    let due = OffsetDateTime::parse(next, &Rfc3339).ok();
    if due.is_none_or(|t| t > now) {
        return (saved.clone(), None);
    }
    let period = saved.rotation_period.as_deref().and_then(duration_secs);
    match period {
        Some(secs) => {
            let at = (now + time::Duration::seconds_f64(secs))
                .to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .unwrap_or(now);
            let at = at.format(&Rfc3339).unwrap_or_else(|_| next.to_owned());
            let note = format!(
                "The recorded nextRotationTime {next} has passed; the next rotation is set to now + rotationPeriod ({at}) so Cloud KMS does not rotate at once."
            );
            (
                RotationSchedule {
                    rotation_period: saved.rotation_period.clone(),
                    next_rotation_time: Some(at),
                },
                Some(note),
            )
        }
        None => (
            RotationSchedule {
                rotation_period: saved.rotation_period.clone(),
                next_rotation_time: None,
            },
            Some(format!(
                "The recorded one-time rotation at {next} has passed and has no period; it is not re-created."
            )),
        ),
    }
}

/// Clears the schedule of `key` (read as `before`) unless none is set. Outer error: the
/// activity log could not be written; a failed patch is in the returned change.
pub(crate) async fn stop(
    ctx: &RevokeContext,
    log: &ActivityLog,
    op: &str,
    key: &str,
    before: RotationSchedule,
    sink: Sink<'_>,
) -> Result<ScheduleChange> {
    let st = RevokeStep::StopRotation;
    step(sink, st, "Stop automatic rotation");
    if !before.is_set() {
        finished(
            sink,
            st,
            StepStatus::Skipped,
            "No automatic rotation is scheduled".into(),
        );
        return Ok(change(before.clone(), before, ScheduleOutcome::Skipped));
    }
    let summary = format!(
        "Stop automatic rotation (clear rotationPeriod and nextRotationTime; was {})",
        before.describe()
    );
    let c = write(
        ctx,
        log,
        op,
        key,
        ("key.stop_rotation", &summary),
        before,
        RotationSchedule::default(),
        ScheduleOutcome::Cleared,
    )
    .await?;
    report_step(sink, st, &c, "Automatic rotation stopped");
    Ok(c)
}

/// Puts `saved` back on `key` (see [`restored_schedule`]); skipped when the key already has
/// it. Errors as [`stop`].
pub(crate) async fn restore(
    ctx: &RevokeContext,
    log: &ActivityLog,
    op: &str,
    key: &str,
    saved: &RotationSchedule,
    sink: Sink<'_>,
) -> Result<ScheduleChange> {
    let st = RevokeStep::RestoreRotation;
    step(sink, st, "Put the automatic rotation schedule back");
    let (requested, note) = restored_schedule(saved, OffsetDateTime::now_utc());
    let before = match ctx.google.kms.get_crypto_key(key).await {
        Ok(Some(k)) => RotationSchedule::of(&k),
        Ok(None) => RotationSchedule::default(),
        Err(e) => {
            finished(sink, st, StepStatus::Failed, e.message.clone());
            return Ok(ScheduleChange {
                error: Some(e),
                note,
                ..change(
                    RotationSchedule::default(),
                    requested,
                    ScheduleOutcome::Failed,
                )
            });
        }
    };
    if before == requested {
        finished(
            sink,
            st,
            StepStatus::Skipped,
            "The key already has this schedule".into(),
        );
        return Ok(ScheduleChange {
            note,
            ..change(before, requested, ScheduleOutcome::Skipped)
        });
    }
    let summary = format!(
        "Put automatic rotation back ({}; was {})",
        requested.describe(),
        before.describe()
    );
    let c = write(
        ctx,
        log,
        op,
        key,
        ("key.restore_rotation", &summary),
        before,
        requested,
        ScheduleOutcome::Restored,
    )
    .await?;
    report_step(sink, st, &c, "Automatic rotation schedule restored");
    Ok(ScheduleChange { note, ..c })
}

fn change(
    before: RotationSchedule,
    requested: RotationSchedule,
    outcome: ScheduleOutcome,
) -> ScheduleChange {
    ScheduleChange {
        after: before.clone(),
        before,
        requested,
        outcome,
        note: None,
        error: None,
    }
}

fn report_step(sink: Sink<'_>, st: RevokeStep, c: &ScheduleChange, done: &str) {
    match &c.error {
        None => finished(sink, st, StepStatus::Done, done.into()),
        Some(e) => finished(sink, st, StepStatus::Failed, e.message.clone()),
    }
}

/// One recorded patch: intent (before, requested) → `cryptoKeys.patch` → outcome (as stored).
#[allow(clippy::too_many_arguments)]
async fn write(
    ctx: &RevokeContext,
    log: &ActivityLog,
    op: &str,
    key: &str,
    (action, summary): (&str, &str),
    before: RotationSchedule,
    requested: RotationSchedule,
    ok: ScheduleOutcome,
) -> Result<ScheduleChange> {
    let i = log.intent(
        Some(op),
        &ctx.actor,
        action,
        key,
        summary,
        &serde_json::json!({"before": before, "requested": requested}),
    )?;
    let res = ctx
        .google
        .kms
        .set_rotation_schedule(
            key,
            requested.rotation_period.as_deref(),
            requested.next_rotation_time.as_deref(),
        )
        .await;
    Ok(match res {
        Ok(k) => {
            let after = RotationSchedule::of(&k);
            log.outcome(i, EntryStatus::Ok, &after.describe(), &after, None)?;
            ScheduleChange {
                after,
                ..change(before, requested, ok)
            }
        }
        Err(e) => {
            log.outcome(i, EntryStatus::Failed, &e.message, &(), Some(&e))?;
            ScheduleChange {
                error: Some(e),
                ..change(before, requested, ScheduleOutcome::Failed)
            }
        }
    })
}
