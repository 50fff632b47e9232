//! Key-level emergency actions, separate from revocation and behind the same typed confirmation
//! (the key id):
//! - **disable every ENABLED version** (a freeze) that holds: first the automatic rotation
//!   schedule is cleared ([`schedule`]: otherwise Cloud KMS creates a new ENABLED primary at
//!   `nextRotationTime`), with the exact values it cleared and the versions that were enabled
//!   saved as the operation's snapshot ([`freeze`]); then one call per version (B24:
//!   rate-limited, 429 retried, resumable, per-version results; B04: DISABLED /
//!   DESTROY_SCHEDULED / DESTROYED are skipped and listed);
//! - **restore after a freeze** ([`unfreeze_key`]): re-enable exactly the versions the freeze
//!   disabled and put the exact schedule back;
//! - **restore versions scheduled for destruction** (restore returns DISABLED, then optionally
//!   ENABLED; B25 shows `destroyScheduledDuration` and each `destroyTime`);
//! - the **destroy guard**: never offer destruction of a key CockroachDB shows in use now or in
//!   any past `key_infos`.

pub mod freeze;
mod run;
pub mod schedule;
mod types;

use cmek_activity::ActivityLog;
use cmek_core::kms::version_state;
use cmek_core::{Error, ErrorCode, Result};

pub use freeze::{latest_freeze, FreezeSnapshot, FREEZE_SNAPSHOT_KIND};
pub use schedule::{restored_schedule, RotationSchedule, ScheduleChange, ScheduleOutcome};
pub use types::{
    DestroyGuard, KeyActionReport, KeyPreview, VersionOutcome, VersionResult, VersionView,
};

use crate::blast_radius::{key_uses, ClusterKeyUse};
use crate::revoke::RevokeControl;
use crate::{RevokeContext, Sink};
use run::{run, Action};

fn key_id(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or_default()
}

/// Refuses destruction while any cluster's current or past `key_infos` names the key.
pub async fn destroy_guard(ctx: &RevokeContext, key: &str) -> Result<DestroyGuard> {
    let in_use_by: Vec<ClusterKeyUse> = key_uses(ctx)
        .await?
        .into_iter()
        .filter(|u| u.key_uri == key)
        .collect();
    let refusal = (!in_use_by.is_empty()).then(|| {
        let mut names: Vec<&str> = in_use_by.iter().map(|u| u.cluster_name.as_str()).collect();
        names.dedup();
        format!("CockroachDB shows this key in use (now or in the past) by {}: destroying it would make their data unrecoverable.", names.join(", "))
    });
    Ok(DestroyGuard {
        key: key.to_owned(),
        allowed: refusal.is_none(),
        in_use_by,
        refusal,
    })
}

/// The confirmation data for the key actions (reads only). `freeze` is left empty: it comes
/// from the activity log ([`latest_freeze`]); so is `protected_resources` (KMS Inventory, read
/// by the caller).
pub async fn preview_key(ctx: &RevokeContext, key: &str) -> Result<KeyPreview> {
    let k = ctx.google.kms.get_crypto_key(key).await?.ok_or_else(|| {
        Error::new(ErrorCode::NotFound, format!("key {key} not found")).with_resource(key)
    })?;
    let versions: Vec<VersionView> = ctx
        .google
        .kms
        .list_versions(key)
        .await?
        .iter()
        .map(VersionView::from)
        .collect();
    Ok(KeyPreview {
        key: key.to_owned(),
        confirm_text: key_id(key).to_owned(),
        rotation: RotationSchedule::of(&k),
        destroy_scheduled_duration: k.destroy_scheduled_duration,
        to_disable: versions
            .iter()
            .filter(|v| v.state == version_state::ENABLED)
            .map(|v| v.name.clone())
            .collect(),
        skipped: versions
            .iter()
            .filter(|v| v.state != version_state::ENABLED)
            .cloned()
            .collect(),
        restorable: versions
            .iter()
            .filter(|v| v.state == version_state::DESTROY_SCHEDULED)
            .cloned()
            .collect(),
        versions,
        guard: destroy_guard(ctx, key).await?,
        freeze: None,
        protected_resources: None,
    })
}

fn check_confirm(key: &str, confirm: &str) -> Result<()> {
    (confirm.trim() == key_id(key))
        .then_some(())
        .ok_or_else(|| {
            Error::invalid_input(
                "confirm_key",
                format!("type the key id \"{}\" exactly to confirm", key_id(key)),
            )
        })
}

/// Stops automatic rotation, then disables every ENABLED version of `key`; `confirm_key` must
/// be the key id. The schedule cleared and the versions enabled before are the operation's
/// snapshot ([`FreezeSnapshot`]); a failed stop is reported (operation `failed`) but the
/// versions are still disabled.
pub async fn disable_all_versions(
    ctx: &RevokeContext,
    log: &ActivityLog,
    key: &str,
    confirm_key: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<KeyActionReport> {
    check_confirm(key, confirm_key)?;
    run(ctx, log, key, Action::Disable, control, sink).await
}

/// Restores every DESTROY_SCHEDULED version of `key` (→ DISABLED), then enables it if
/// `enable_after`; `confirm_key` must be the key id.
pub async fn restore_scheduled_versions(
    ctx: &RevokeContext,
    log: &ActivityLog,
    key: &str,
    confirm_key: &str,
    enable_after: bool,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<KeyActionReport> {
    check_confirm(key, confirm_key)?;
    run(
        ctx,
        log,
        key,
        Action::Restore { enable_after },
        control,
        sink,
    )
    .await
}

/// Undoes the latest freeze of `key` ([`latest_freeze`]): re-enables the versions it recorded
/// as ENABLED that are DISABLED now (others are skipped with the reason), then puts the
/// recorded rotation schedule back ([`restored_schedule`]). `confirm_key` must be the key id.
/// Errors: `FailedPrecondition` when no freeze is left to undo.
pub async fn unfreeze_key(
    ctx: &RevokeContext,
    log: &ActivityLog,
    key: &str,
    confirm_key: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<KeyActionReport> {
    check_confirm(key, confirm_key)?;
    let snap = latest_freeze(log, key)?.ok_or_else(|| {
        Error::new(
            ErrorCode::FailedPrecondition,
            "No freeze of this key is recorded in the activity log, or it was already undone: nothing to restore.",
        )
        .with_resource(key)
    })?;
    run(ctx, log, key, Action::Unfreeze(snap), control, sink).await
}
