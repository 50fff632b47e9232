//! One-click remediation of a drift finding (issue #10), through the same path as revoke and
//! recover: a typed confirmation (the key id, or the service account's email), an operation in
//! the activity log with an intent before and an outcome after the write, and one etag-safe
//! edit (`cmek_gcp::edit_policy` through the shared recorded edit) that removes exactly that
//! member from that role under that condition (an extra binding) or adds the missing grant
//! back. Every other binding, condition, audit config and unknown field is written back as it
//! was read; a write that meets another writer (409 ABORTED) is redone from a fresh read, so
//! the other writer's change is kept. The policy is re-read at the end (B05).
//!
//! The [`DriftFix`] is resolved by the application core from a fresh read of the live state
//! (`cmek_audit::drift::scan::scan_drift`), never taken from a caller.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::iam::Grant;
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lever::{IamResource, Removal};
use crate::revoke::{fail, finished, step, RevokeEvent, RevokeStep, StepStatus};
use crate::snapshot::{edit_recorded, EditDirection, PolicyRecord};
use crate::{RevokeContext, Sink};

/// What the user asks for: a drift finding's id and the typed confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftFixRequest {
    /// `drift-…` (`DriftFinding::id`, shown by the audit and `cmek drift`).
    pub finding_id: String,
    /// Must equal the finding's `confirmText` (the key id, or the service account's email).
    pub confirm: String,
}

/// Remove an extra binding, or add a missing one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DriftFixAction {
    RemoveBinding,
    AddBinding,
}

/// One drift binding to fix, resolved by the core from a fresh read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftFix {
    pub finding_id: String,
    pub resource: IamResource,
    /// Exactly the (role, member, condition) removed or added.
    pub grant: Grant,
    pub action: DriftFixAction,
    /// What the user must type to confirm.
    pub confirm_text: String,
    /// The finding's sentence.
    pub summary: String,
}

/// The result, from the policy as re-read at the end (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftFixReport {
    pub operation_id: String,
    pub fix: DriftFix,
    /// False when the policy was already as wanted (no write was sent).
    pub changed: bool,
    /// The policy read before the edit (etag + grants).
    pub before: PolicyRecord,
    /// The policy re-read after it.
    pub after: PolicyRecord,
    /// The re-read no longer shows the extra grant (or shows the missing one).
    pub verified: bool,
}

/// Applies `fix` once `confirm` equals its `confirm_text` (else `InvalidInput`, nothing
/// written or logged). Errors: the policy could not be read or written (the operation is
/// closed `failed`), or the activity log could not be written.
pub async fn fix_drift(
    ctx: &RevokeContext,
    log: &ActivityLog,
    fix: &DriftFix,
    confirm: &str,
    sink: Sink<'_>,
) -> Result<DriftFixReport> {
    if confirm.trim() != fix.confirm_text {
        return Err(Error::invalid_input(
            "confirm",
            format!("type \"{}\" exactly to confirm", fix.confirm_text),
        ));
    }
    let target = fix.resource.name();
    let op = log.start_operation(&ctx.actor, "drift.remediate", &target, &fix.summary, fix)?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: "drift.remediate".into(),
    });
    let (st, title, action, direction) = match fix.action {
        DriftFixAction::RemoveBinding => (
            RevokeStep::RemoveBinding,
            "Remove the binding granted out of band",
            "drift.remove_binding",
            EditDirection::Remove,
        ),
        DriftFixAction::AddBinding => (
            RevokeStep::RestoreAccess,
            "Grant the missing binding back",
            "drift.add_binding",
            EditDirection::Restore,
        ),
    };
    step(sink, st, title);
    let before = match ctx.google.get_policy(&fix.resource.target()).await {
        Ok(p) => PolicyRecord::of(&fix.resource, &p),
        Err(e) => return Err(fail(log, &op, sink, st, e)),
    };
    let g = &fix.grant;
    let i = log.intent(
        Some(&op),
        &ctx.actor,
        action,
        &target,
        &format!("{title}: {} {} on {target}", g.member, g.role),
        &(&before, g),
    )?;
    let removal = Removal {
        resource: fix.resource.clone(),
        grants: vec![g.clone()],
    };
    let changed = match edit_recorded(ctx, log, i, &removal, direction).await? {
        Ok(n) => n > 0,
        Err(e) => return Err(fail(log, &op, sink, st, e)),
    };
    let after = match ctx.google.get_policy(&fix.resource.target()).await {
        Ok(p) => PolicyRecord::of(&fix.resource, &p),
        Err(e) => return Err(fail(log, &op, sink, st, e)),
    };
    let present = after.grants.contains(g);
    let verified = match fix.action {
        DriftFixAction::RemoveBinding => !present,
        DriftFixAction::AddBinding => present,
    };
    let report = DriftFixReport {
        operation_id: op.clone(),
        fix: fix.clone(),
        changed,
        before,
        after,
        verified,
    };
    if verified {
        let msg = if changed {
            "Done and verified by a re-read"
        } else {
            "Nothing to change: the policy was already as wanted"
        };
        log.finish_operation(&op, EntryStatus::Ok, msg, &report, None)?;
        let ss = if changed {
            StepStatus::Done
        } else {
            StepStatus::Skipped
        };
        finished(sink, st, ss, msg.into());
    } else {
        let e = Error::new(
            ErrorCode::Internal,
            "The re-read policy does not show the change (another writer may have undone it)",
        )
        .with_resource(target);
        log.finish_operation(&op, EntryStatus::Failed, &e.message, &report, Some(&e))?;
        finished(sink, st, StepStatus::Failed, e.message.clone());
    }
    Ok(report)
}
