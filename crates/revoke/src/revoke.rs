//! The revocation itself (cmek-procedure §12 order; B42): snapshot → remove access (etag-safe,
//! only the snapshot's grants) → `PATCH …/cmek {"action":"REVOKE"}` → poll to REVOKED /
//! REVOKE_FAILED → re-read everything (B05). Each change is logged as intent then outcome.
//!
//! Every step is check → act, so [`resume_revoke`] can finish an operation a crash
//! interrupted: grants already gone are not written again, REVOKE is not sent twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::cockroach::{classify_status, CmekClusterInfo, StatusClass};
use cmek_core::iam::Grant;
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::blast_radius::preview_revoke;
use crate::key_actions::VersionResult;
use crate::lever::{IamResource, Lever, Removal};
use crate::snapshot::{
    observe, read_service_account, ObservedState, PolicyRecord, RecoverySnapshot,
};
use crate::{RevokeContext, Sink};

/// The steps shown with live progress (revoke, recover and key actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RevokeStep {
    Snapshot,
    RemoveAccess,
    CallRevoke,
    WaitRevoked,
    Verify,
    RestoreAccess,
    SupportRequest,
    DisableVersions,
    RestoreVersions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum StepStatus {
    Done,
    /// Nothing to do (already in the wanted state).
    Skipped,
    Failed,
    Cancelled,
}

/// A progress event (sent to the UI through a Tauri `Channel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum RevokeEvent {
    OperationStarted {
        operation_id: String,
        action: String,
    },
    StepStarted {
        step: RevokeStep,
        title: String,
    },
    StepProgress {
        step: RevokeStep,
        message: String,
    },
    StepFinished {
        step: RevokeStep,
        status: StepStatus,
        message: String,
    },
    /// One key version handled by a key action.
    VersionDone {
        result: VersionResult,
    },
}

/// What the user confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokeRequest {
    pub cluster_id: String,
    pub lever: Lever,
    /// Must equal the cluster name exactly (typed confirmation, B25).
    pub confirm_name: String,
}

/// Cancellation: set `cancel` to stop before the next change.
#[derive(Debug, Clone, Default)]
pub struct RevokeControl {
    pub cancel: Arc<AtomicBool>,
    /// Test hook, debug builds only (inert in release builds): a fresh [`revoke`] pauses once
    /// this step (`Snapshot`, `RemoveAccess` or `CallRevoke`) has finished and its outcome is
    /// in the activity log. It writes [`PAUSE_MARKER_FILE`] next to the activity database and
    /// waits (without blocking a thread) until `cancel` is set, so a test can SIGKILL the
    /// process at that exact point. [`resume_revoke`] never pauses. The app sets it from
    /// `CMEK_DESK_REVOKE_PAUSE_AFTER`; `revoke_crash_probe` has its own pause.
    pub pause_after: Option<RevokeStep>,
}

/// Written by the pause hook ([`RevokeControl::pause_after`]) in the activity log's folder:
/// `{"operationId": "…", "step": "removeAccess"}`.
pub const PAUSE_MARKER_FILE: &str = "revoke-paused.json";

impl RevokeControl {
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The pause hook: a no-op unless this is a debug build and `pause_after == Some(step)`.
    async fn pause_point(&self, step: RevokeStep, log: &ActivityLog, op: &str) {
        if !cfg!(debug_assertions) || self.pause_after != Some(step) {
            return;
        }
        let marker = log.path().with_file_name(PAUSE_MARKER_FILE);
        let body = serde_json::json!({ "operationId": op, "step": step }).to_string();
        // Write then rename, so a reader never sees half a marker.
        let tmp = marker.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, body).and_then(|()| std::fs::rename(&tmp, &marker)) {
            tracing::error!("test pause: cannot write {}: {e}", marker.display());
        }
        tracing::warn!(
            operation = op,
            ?step,
            marker = %marker.display(),
            "test pause (CMEK_DESK_REVOKE_PAUSE_AFTER): waiting until killed or stopped"
        );
        while !self.is_cancelled() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// The result, built from what was re-read at the end (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokeReport {
    pub operation_id: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub lever: Lever,
    /// Observed cluster CMEK status (`REVOKED`, `REVOKE_FAILED`, …).
    pub cmek_status: String,
    /// `user_message` of failed regions (REVOKE_FAILED), shown as is.
    pub user_messages: Vec<String>,
    /// When REVOKE was accepted (RFC 3339), from the activity log.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    pub removed: Vec<Removal>,
    pub disabled_service_accounts: Vec<String>,
    /// Grants the snapshot removed that the re-read still shows (should be empty).
    pub still_present: Vec<Grant>,
    pub observed: ObservedState,
    pub note: String,
}

pub(crate) fn step(sink: Sink<'_>, step: RevokeStep, title: &str) {
    sink(RevokeEvent::StepStarted {
        step,
        title: title.to_owned(),
    });
}
pub(crate) fn progress(sink: Sink<'_>, step: RevokeStep, message: String) {
    sink(RevokeEvent::StepProgress { step, message });
}
pub(crate) fn finished(sink: Sink<'_>, step: RevokeStep, status: StepStatus, message: String) {
    sink(RevokeEvent::StepFinished {
        step,
        status,
        message,
    });
}

/// Records the failure of an operation and returns the error.
pub(crate) fn fail(log: &ActivityLog, op: &str, sink: Sink<'_>, at: RevokeStep, e: Error) -> Error {
    let status = if e.code == ErrorCode::Cancelled {
        EntryStatus::Cancelled
    } else {
        EntryStatus::Failed
    };
    if let Err(le) = log.finish_operation(op, status, &e.message, &(), Some(&e)) {
        tracing::error!(code = ?le.code, "could not record the end of operation {op}");
    }
    let st = if e.code == ErrorCode::Cancelled {
        StepStatus::Cancelled
    } else {
        StepStatus::Failed
    };
    finished(sink, at, st, e.message.clone());
    e
}

/// Revokes CMEK for one cluster with the chosen lever.
///
/// Errors: `InvalidInput` when `confirm_name` is not the cluster name (nothing logged or
/// changed); `FailedPrecondition` when the lever finds no grant to remove; `Cancelled`; any
/// client error of a step (recorded, the operation left for [`crate::recover`]).
pub async fn revoke(
    ctx: &RevokeContext,
    log: &ActivityLog,
    req: &RevokeRequest,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let preview = preview_revoke(ctx, &req.cluster_id).await?;
    if req.confirm_name.trim() != preview.confirm_text {
        return Err(Error::invalid_input(
            "confirm_name",
            format!(
                "type the cluster name \"{}\" exactly to confirm",
                preview.confirm_text
            ),
        ));
    }
    let lever = preview
        .levers
        .iter()
        .find(|l| l.lever == req.lever)
        .cloned()
        .ok_or_else(|| Error::internal("lever missing from preview"))?;
    if lever.removals.is_empty() && lever.disables.is_empty() {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "{}: nothing to remove. {}",
                lever.title,
                lever.warnings.join(" ")
            ),
        )
        .with_resource(preview.cluster_id.clone()));
    }
    let summary = format!(
        "Revoke CMEK for {} ({}) by: {}",
        preview.cluster_name, preview.cluster_id, lever.title
    );
    let op = log.start_operation(&ctx.actor, "revoke", &preview.cluster_id, &summary, req)?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: "revoke".into(),
    });

    step(sink, RevokeStep::Snapshot, "Record a recovery snapshot");
    let intent = log.intent(
        Some(&op),
        &ctx.actor,
        "revoke.snapshot",
        &preview.cluster_id,
        "Record the recovery snapshot",
        &lever,
    )?;
    let snap = match take_snapshot(ctx, &op, &preview, &lever).await {
        Ok(s) => s,
        Err(e) => {
            log.outcome(
                intent,
                EntryStatus::Failed,
                "Snapshot failed",
                &(),
                Some(&e),
            )?;
            return Err(fail(log, &op, sink, RevokeStep::Snapshot, e));
        }
    };
    log.save_snapshot(&op, "revoke", &preview.cluster_id, &snap)?;
    log.outcome(intent, EntryStatus::Ok, "Snapshot recorded", &snap, None)?;
    finished(
        sink,
        RevokeStep::Snapshot,
        StepStatus::Done,
        format!(
            "Recorded {} and {}.",
            plural(snap.policies.len(), "IAM policy", "IAM policies"),
            plural(
                snap.service_accounts.len(),
                "service account",
                "service accounts"
            )
        ),
    );
    control.pause_point(RevokeStep::Snapshot, log, &op).await;
    run_from(ctx, log, &snap, control, sink).await
}

async fn take_snapshot(
    ctx: &RevokeContext,
    op: &str,
    p: &crate::RevokePreview,
    lever: &crate::LeverInfo,
) -> Result<RecoverySnapshot> {
    let mut policies = Vec::new();
    for r in &lever.removals {
        policies.push(PolicyRecord::of(
            &r.resource,
            &ctx.google.get_policy(&r.resource.target()).await?,
        ));
    }
    let mut sas = Vec::new();
    for e in &p.service_accounts {
        sas.push(read_service_account(ctx, e).await?);
    }
    Ok(RecoverySnapshot {
        operation_id: op.to_owned(),
        taken_at: crate::now(),
        actor: ctx.actor.clone(),
        cluster_id: p.cluster_id.clone(),
        cluster_name: p.cluster_name.clone(),
        organization_id: p.organization_id.clone(),
        regions: p.regions.clone(),
        lever: lever.lever,
        removals: lever.removals.clone(),
        disables: lever.disables.clone(),
        policies,
        service_accounts: sas,
        cmek: p.cmek.clone(),
    })
}

/// Finishes a revocation a crash interrupted (listed by `ActivityLog::pending_operations`):
/// re-checks and completes each remaining step from the saved snapshot.
pub async fn resume_revoke(
    ctx: &RevokeContext,
    log: &ActivityLog,
    operation_id: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let snap: RecoverySnapshot = log.snapshot(operation_id)?.ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!("no recovery snapshot for operation {operation_id}"),
        )
    })?;
    if log
        .operation_entries(operation_id)?
        .iter()
        .any(|e| e.kind == EntryKind::OperationFinished)
    {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!("operation {operation_id} already finished"),
        ));
    }
    sink(RevokeEvent::OperationStarted {
        operation_id: operation_id.to_owned(),
        action: "revoke".into(),
    });
    // Finishing after a crash never pauses (the pause hook simulates the crash itself).
    let control = RevokeControl {
        pause_after: None,
        ..control.clone()
    };
    run_from(ctx, log, &snap, &control, sink).await
}

/// When REVOKE was accepted in operation `op`, per the log.
pub(crate) fn revoke_accepted_at(log: &ActivityLog, op: &str) -> Result<Option<String>> {
    Ok(log
        .operation_entries(op)?
        .into_iter()
        .find(|e| {
            e.kind == EntryKind::Outcome
                && e.action == "revoke.call_revoke"
                && e.status == Some(EntryStatus::Ok)
        })
        .map(|e| e.at))
}

async fn run_from(
    ctx: &RevokeContext,
    log: &ActivityLog,
    snap: &RecoverySnapshot,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let op = snap.operation_id.as_str();
    let actor = ctx.actor.as_str();
    let cluster = snap.cluster_id.as_str();

    step(sink, RevokeStep::RemoveAccess, "Remove access");
    for r in &snap.removals {
        let name = r.resource.name();
        let before = snap.policies.iter().find(|p| p.resource == r.resource);
        let i = log.intent(
            Some(op),
            actor,
            "revoke.remove_access",
            &name,
            &format!("Remove {} grant(s) from {name}", r.grants.len()),
            &(before, &r.grants),
        )?;
        match cmek_gcp::edit_policy(&ctx.google, &r.resource.target(), &[], &r.grants).await {
            Ok(edit) => {
                let st = if edit.writes == 0 {
                    EntryStatus::Skipped
                } else {
                    EntryStatus::Ok
                };
                log.outcome(
                    i,
                    st,
                    &format!("{} grant(s) removed", edit.outcome.removed.len()),
                    &PolicyRecord::of(&r.resource, &edit.after),
                    None,
                )?;
                progress(
                    sink,
                    RevokeStep::RemoveAccess,
                    format!("{name}: removed {} grant(s)", edit.outcome.removed.len()),
                );
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "Removal failed", &(), Some(&e))?;
                return Err(fail(log, op, sink, RevokeStep::RemoveAccess, e));
            }
        }
    }
    for email in &snap.disables {
        let res = IamResource::service_account(email);
        let i = log.intent(
            Some(op),
            actor,
            "revoke.disable_service_account",
            &res.name(),
            &format!("Disable {email}"),
            &snap.service_accounts,
        )?;
        let result = async {
            let now = read_service_account(ctx, email).await?;
            if !now.disabled {
                ctx.google
                    .iam
                    .disable_service_account(&now.project, email)
                    .await?;
            }
            Ok::<_, Error>((now.disabled, read_service_account(ctx, email).await?))
        }
        .await;
        match result {
            Ok((was, after)) => {
                log.outcome(
                    i,
                    if was {
                        EntryStatus::Skipped
                    } else {
                        EntryStatus::Ok
                    },
                    "Service account disabled",
                    &after,
                    None,
                )?;
                progress(sink, RevokeStep::RemoveAccess, format!("{email}: disabled"));
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "Disable failed", &(), Some(&e))?;
                return Err(fail(log, op, sink, RevokeStep::RemoveAccess, e));
            }
        }
    }
    finished(
        sink,
        RevokeStep::RemoveAccess,
        StepStatus::Done,
        "Access removed (Google enforces it within minutes)".into(),
    );
    control.pause_point(RevokeStep::RemoveAccess, log, op).await;
    if control.is_cancelled() {
        let e = Error::new(
            ErrorCode::Cancelled,
            "Cancelled after removing access and before calling REVOKE; recover to restore access.",
        );
        return Err(fail(log, op, sink, RevokeStep::CallRevoke, e));
    }

    step(
        sink,
        RevokeStep::CallRevoke,
        "Tell CockroachDB to revoke (REVOKE)",
    );
    let current = ctx.cockroach.get_cmek(cluster).await?;
    let already = revoke_accepted_at(log, op)?.is_some()
        || current.as_ref().is_some_and(|c| {
            c.region_infos
                .iter()
                .all(|r| r.status == "REVOKING" || r.status == "REVOKED")
        });
    if already {
        finished(
            sink,
            RevokeStep::CallRevoke,
            StepStatus::Skipped,
            "REVOKE was already accepted".into(),
        );
    } else {
        let i = log.intent(
            Some(op),
            actor,
            "revoke.call_revoke",
            cluster,
            "PATCH …/cmek {\"action\":\"REVOKE\"}",
            &current,
        )?;
        match ctx.cockroach.revoke_cmek(cluster).await {
            Ok(info) => {
                log.outcome(i, EntryStatus::Ok, "REVOKE accepted", &info, None)?;
                finished(
                    sink,
                    RevokeStep::CallRevoke,
                    StepStatus::Done,
                    format!("CockroachDB answered {}", info.status),
                );
                control.pause_point(RevokeStep::CallRevoke, log, op).await;
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "REVOKE failed", &(), Some(&e))?;
                return Err(fail(log, op, sink, RevokeStep::CallRevoke, e));
            }
        }
    }

    step(sink, RevokeStep::WaitRevoked, "Wait for REVOKED");
    let settled = match wait_settled(ctx, cluster, control, sink).await {
        Ok(i) => i,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::WaitRevoked, e)),
    };
    let user_messages: Vec<String> = settled
        .region_infos
        .iter()
        .filter(|r| classify_status(&r.status) == StatusClass::Failed)
        .map(|r| {
            format!(
                "{}: {}",
                r.region,
                r.current()
                    .map(|k| k.user_message.as_str())
                    .unwrap_or_default()
            )
        })
        .collect();
    let st = if user_messages.is_empty() {
        StepStatus::Done
    } else {
        StepStatus::Failed
    };
    finished(
        sink,
        RevokeStep::WaitRevoked,
        st,
        format!("CockroachDB reports {}", settled.status),
    );

    step(
        sink,
        RevokeStep::Verify,
        "Re-read and show the observed state",
    );
    let observed = match observe(
        ctx,
        &snap.resources(),
        &snap.service_account_emails(),
        Some(cluster),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::Verify, e)),
    };
    let still_present: Vec<Grant> = snap
        .removals
        .iter()
        .flat_map(|r| {
            r.grants
                .iter()
                .filter(|g| observed.has(&r.resource, g))
                .cloned()
        })
        .collect();
    finished(
        sink,
        RevokeStep::Verify,
        if still_present.is_empty() {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        match still_present.len() {
            0 => "Every removed grant is gone.".to_owned(),
            n => format!(
                "{} still present.",
                plural(n, "removed grant is", "removed grants are")
            ),
        },
    );
    let cmek_status = observed
        .cmek
        .as_ref()
        .map(|c| c.status.clone())
        .unwrap_or_default();
    let report = RevokeReport {
        operation_id: op.to_owned(),
        cluster_id: cluster.to_owned(),
        cluster_name: snap.cluster_name.clone(),
        lever: snap.lever,
        cmek_status: cmek_status.clone(),
        user_messages: user_messages.clone(),
        revoked_at: revoke_accepted_at(log, op)?,
        removed: snap.removals.clone(),
        disabled_service_accounts: snap.disables.clone(),
        still_present,
        observed,
        note: "Restoring access later does not restart the nodes: Cockroach Labs support must be contacted (the recovery screen prepares the request).".into(),
    };
    if user_messages.is_empty() {
        log.finish_operation(
            op,
            EntryStatus::Ok,
            &format!("CockroachDB reports {cmek_status}"),
            &report,
            None,
        )?;
    } else {
        let e = Error::new(ErrorCode::CmekFailed, user_messages.join("; "))
            .with_resource(cluster.to_owned());
        log.finish_operation(
            op,
            EntryStatus::Failed,
            &format!("CockroachDB reports {cmek_status}"),
            &report,
            Some(&e),
        )?;
    }
    Ok(report)
}

/// Polls `GET …/cmek` until every region is terminal (cmek-procedure §10).
async fn wait_settled(
    ctx: &RevokeContext,
    cluster: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<CmekClusterInfo> {
    let start = Instant::now();
    loop {
        let info = ctx.cockroach.get_cmek(cluster).await?.unwrap_or_default();
        if !info.region_infos.is_empty()
            && info
                .region_infos
                .iter()
                .all(|r| classify_status(&r.status) != StatusClass::InProgress)
        {
            return Ok(info);
        }
        let states: Vec<String> = info
            .region_infos
            .iter()
            .map(|r| format!("{}: {}", r.region, r.status))
            .collect();
        progress(sink, RevokeStep::WaitRevoked, states.join(", "));
        if control.is_cancelled() {
            return Err(Error::new(
                ErrorCode::Cancelled,
                "Stopped waiting; REVOKE was already sent and CockroachDB continues.",
            ));
        }
        if start.elapsed() > ctx.timing.settle_timeout {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "CockroachDB did not report REVOKED within {:?}",
                    ctx.timing.settle_timeout
                ),
            ));
        }
        tokio::time::sleep(ctx.timing.poll_interval).await;
    }
}

/// `1 IAM policy`, `2 IAM policies`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
