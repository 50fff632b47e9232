//! Drift use cases (issue #10): read the drift of the keys and service accounts CockroachDB
//! uses, and fix one finding with one click.
//!
//! [`Desk::remediate_drift`] takes only a finding id and the typed confirmation: it reads the
//! live state again (`cmek_audit::drift::scan::scan_drift`), resolves the id there (a finding
//! that no longer exists is refused with nothing written) and hands the resolved fix to
//! `cmek_revoke::fix_drift` (activity log, etag-safe edit, re-read). A binding sent by a
//! caller is never applied.

use crate::activity::revoke_context;
use crate::Desk;
use cmek_audit::drift::scan::{scan_drift, DriftScan};
use cmek_audit::drift::{DriftFinding, DriftKind};
use cmek_audit::PolicyLevel;
use cmek_core::{Error, ErrorCode, Result};
use cmek_revoke::{
    DriftFix, DriftFixAction, DriftFixReport, DriftFixRequest, IamResource, RevokeEvent,
};

/// The fix of one drift finding: remove an extra binding, add a missing one back.
pub fn fix_of(finding: &DriftFinding) -> DriftFix {
    let resource = match (finding.level, finding.service_account()) {
        (PolicyLevel::ServiceAccount, Some(email)) => IamResource::service_account(email),
        _ => IamResource::Kms {
            name: finding.resource.clone(),
        },
    };
    DriftFix {
        finding_id: finding.id.clone(),
        resource,
        grant: finding.grant(),
        action: match finding.kind {
            DriftKind::Extra => DriftFixAction::RemoveBinding,
            DriftKind::Missing => DriftFixAction::AddBinding,
        },
        confirm_text: finding.confirm_text.clone(),
        summary: finding.message.clone(),
    }
}

impl Desk {
    /// The drift of every key and service account the clusters' CMEK specs name, read now
    /// (reads only; no project list needed).
    pub async fn scan_drift(&self) -> Result<DriftScan> {
        let connection = self.connection().await?;
        scan_drift(&connection.google, &connection.cockroach).await
    }

    /// Fixes drift finding `request.finding_id` once `request.confirm` equals its
    /// `confirmText` (the key id, or the service account's email): removes exactly that
    /// binding (extra) or adds it back (missing), etag-safe, logged, re-read. Errors:
    /// `NotFound` when the live state no longer shows the finding (nothing written);
    /// `InvalidInput` on a wrong confirmation (nothing written or logged).
    pub async fn remediate_drift(
        &self,
        request: &DriftFixRequest,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<DriftFixReport> {
        let connection = self.connection().await?;
        let scan = scan_drift(&connection.google, &connection.cockroach).await?;
        let finding = scan.finding(&request.finding_id).ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!(
                    "Drift finding {} is not in the current state (already fixed, or the policy changed): run the audit or `cmek drift` again.",
                    request.finding_id
                ),
            )
        })?;
        let fix = fix_of(finding);
        let ctx = revoke_context(&connection);
        let log = self.activity.log()?;
        cmek_revoke::fix_drift(&ctx, &log, &fix, &request.confirm, on_event).await
    }
}
