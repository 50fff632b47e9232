//! Key-level emergency actions, separate from revocation and behind the same typed confirmation
//! (the key id): disable every ENABLED version (B24: one call per version, rate-limited, 429
//! retried, resumable, per-version results; B04: DISABLED / DESTROY_SCHEDULED / DESTROYED are
//! skipped and listed), restore versions scheduled for destruction (restore returns DISABLED,
//! then optionally ENABLED; B25 shows `destroyScheduledDuration` and each `destroyTime`), and the
//! destroy guard: never offer destruction of a key CockroachDB shows in use now or in any past
//! `key_infos`.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::kms::{version_state, CryptoKeyVersion};
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::blast_radius::{key_uses, ClusterKeyUse};
use crate::revoke::{fail, finished, step, RevokeControl, RevokeEvent, RevokeStep, StepStatus};
use crate::{RevokeContext, Sink};

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionView {
    pub name: String,
    pub version_id: String,
    pub state: String,
    /// Restore deadline (RFC 3339), only for DESTROY_SCHEDULED.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_time: Option<String>,
}

impl From<&CryptoKeyVersion> for VersionView {
    fn from(v: &CryptoKeyVersion) -> Self {
        Self {
            name: v.name.clone(),
            version_id: v.version_id().to_owned(),
            state: v.state.clone().unwrap_or_default(),
            destroy_time: v.destroy_time.clone(),
        }
    }
}

/// Whether the key may be offered for destruction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DestroyGuard {
    pub key: String,
    pub allowed: bool,
    /// Every current or past CockroachDB use of the key.
    pub in_use_by: Vec<ClusterKeyUse>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// The confirmation data of the key actions (reads only). `confirm_text` is the key id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyPreview {
    pub key: String,
    pub confirm_text: String,
    /// google-duration, e.g. `"2592000s"` (30 days, the default).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_scheduled_duration: Option<String>,
    pub versions: Vec<VersionView>,
    /// Versions "disable all" would disable (ENABLED).
    pub to_disable: Vec<String>,
    /// Versions it skips, with their states (B04).
    pub skipped: Vec<VersionView>,
    /// Versions that can be restored (DESTROY_SCHEDULED), with their deadlines.
    pub restorable: Vec<VersionView>,
    pub guard: DestroyGuard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum VersionOutcome {
    Disabled,
    /// Restored (DISABLED) and, if asked, enabled.
    Restored,
    Skipped,
    Failed,
}

/// One version's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionResult {
    pub name: String,
    pub state_before: String,
    pub state_after: String,
    pub outcome: VersionOutcome,
    /// Why it was skipped or failed.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// The result of a key action, with the versions re-read at the end (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyActionReport {
    pub operation_id: String,
    pub key: String,
    pub results: Vec<VersionResult>,
    /// True when cancelled part-way: run again to resume (done versions are skipped).
    pub cancelled: bool,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_scheduled_duration: Option<String>,
    pub observed_versions: Vec<VersionView>,
}

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

/// The confirmation data for the key actions.
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

#[derive(Clone, Copy, PartialEq)]
enum Action {
    Disable,
    Restore { enable_after: bool },
}

/// Disables every ENABLED version of `key`; `confirm_key` must be the key id.
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

async fn run(
    ctx: &RevokeContext,
    log: &ActivityLog,
    key: &str,
    action: Action,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<KeyActionReport> {
    let (name, st, title, wanted) = match action {
        Action::Disable => (
            "key.disable_versions",
            RevokeStep::DisableVersions,
            "Disable every enabled version",
            version_state::ENABLED,
        ),
        Action::Restore { .. } => (
            "key.restore_versions",
            RevokeStep::RestoreVersions,
            "Restore versions scheduled for destruction",
            version_state::DESTROY_SCHEDULED,
        ),
    };
    let k = ctx.google.kms.get_crypto_key(key).await?.ok_or_else(|| {
        Error::new(ErrorCode::NotFound, format!("key {key} not found")).with_resource(key)
    })?;
    let versions = ctx.google.kms.list_versions(key).await?;
    let op = log.start_operation(
        &ctx.actor,
        name,
        key,
        title,
        &versions.iter().map(VersionView::from).collect::<Vec<_>>(),
    )?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: name.into(),
    });
    step(sink, st, title);
    let mut results = Vec::new();
    let mut cancelled = false;
    for v in &versions {
        let before = v.state.clone().unwrap_or_default();
        if before != wanted {
            let r = VersionResult {
                name: v.name.clone(),
                state_before: before.clone(),
                state_after: before.clone(),
                outcome: VersionOutcome::Skipped,
                reason: Some(format!("already {before}")),
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
        let res = match action {
            Action::Disable => {
                ctx.google
                    .kms
                    .set_version_state(&v.name, version_state::DISABLED)
                    .await
            }
            Action::Restore { enable_after } => {
                match ctx.google.kms.restore_version(&v.name).await {
                    Ok(r) if enable_after => {
                        ctx.google
                            .kms
                            .set_version_state(&r.name, version_state::ENABLED)
                            .await
                    }
                    other => other,
                }
            }
        };
        let r = match res {
            Ok(after) => {
                log.outcome(i, EntryStatus::Ok, "done", &VersionView::from(&after), None)?;
                let outcome = if action == Action::Disable {
                    VersionOutcome::Disabled
                } else {
                    VersionOutcome::Restored
                };
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
    let observed_versions: Vec<VersionView> = match ctx.google.kms.list_versions(key).await {
        Ok(vs) => vs.iter().map(VersionView::from).collect(),
        Err(e) => return Err(fail(log, &op, sink, st, e)),
    };
    let failed = results
        .iter()
        .filter(|r| r.outcome == VersionOutcome::Failed)
        .count();
    let report = KeyActionReport {
        operation_id: op.clone(),
        key: key.to_owned(),
        results,
        cancelled,
        destroy_scheduled_duration: k.destroy_scheduled_duration,
        observed_versions,
    };
    let (es, ss) = match (cancelled, failed) {
        (true, _) => (EntryStatus::Cancelled, StepStatus::Cancelled),
        (false, 0) => (EntryStatus::Ok, StepStatus::Done),
        _ => (EntryStatus::Failed, StepStatus::Failed),
    };
    let msg = format!(
        "{} version(s) failed{}",
        failed,
        if cancelled {
            "; cancelled (run again to resume)"
        } else {
            ""
        }
    );
    log.finish_operation(&op, es, &msg, &report, None)?;
    finished(sink, st, ss, msg);
    Ok(report)
}
