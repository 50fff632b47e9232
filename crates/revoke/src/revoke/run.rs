//! The step runner shared by a fresh and a resumed revocation: remove access → REVOKE, each
//! step check → act, then hands over to [`super::verify`].

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::cockroach::{classify_status, StatusClass};
use cmek_core::{Error, ErrorCode, Result};

use super::{
    fail, finished, progress, step, verify, RevokeControl, RevokeReport, RevokeStep, StepStatus,
};
use crate::lever::IamResource;
use crate::snapshot::{
    edit_recorded, set_service_account_disabled, EditDirection, RecoverySnapshot,
};
use crate::RevokeContext;
use crate::Sink;

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

pub(super) async fn run_from(
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
        match edit_recorded(ctx, log, i, r, EditDirection::Remove).await? {
            Ok(removed) => progress(
                sink,
                RevokeStep::RemoveAccess,
                format!("{name}: removed {removed} grant(s)"),
            ),
            Err(e) => return Err(fail(log, op, sink, RevokeStep::RemoveAccess, e)),
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
        match set_service_account_disabled(ctx, email, true).await {
            Ok((changed, after)) => {
                log.outcome(
                    i,
                    if changed {
                        EntryStatus::Ok
                    } else {
                        EntryStatus::Skipped
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
    // A region CockroachDB reports failed (e.g. REVOKE_FAILED after an earlier REVOKE) gets
    // REVOKE again: finishing a stopped revocation must be able to re-send it.
    let failed_now = current.as_ref().is_some_and(|c| {
        c.region_infos
            .iter()
            .any(|r| classify_status(&r.status) == StatusClass::Failed)
    });
    let already = !failed_now
        && (revoke_accepted_at(log, op)?.is_some()
            || current.as_ref().is_some_and(|c| {
                c.region_infos
                    .iter()
                    .all(|r| r.status == "REVOKING" || r.status == "REVOKED")
            }));
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

    verify::settle_and_verify(ctx, log, snap, control, sink).await
}
