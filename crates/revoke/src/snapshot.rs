//! The recovery snapshot taken before a revocation changes anything (exact grants to remove,
//! the policies with their etags, service-account states, CMEK status), and the observed state
//! re-read after every revoke or recover (B05: show what is, not what was intended).

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::iam::{Grant, Policy};
use cmek_core::{Error, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lever::{service_account_project, IamResource, Lever, Removal};
use crate::RevokeContext;

/// One IAM policy as read: its etag and every (role, member, condition) grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PolicyRecord {
    pub resource: IamResource,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    pub grants: Vec<Grant>,
}

impl PolicyRecord {
    pub fn of(resource: &IamResource, p: &Policy) -> Self {
        Self {
            resource: resource.clone(),
            etag: p.etag.clone(),
            grants: p.grants_list(),
        }
    }
}

/// A service account's enabled/disabled state as read (`exists` false on 404).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServiceAccountRecord {
    pub project: String,
    pub email: String,
    pub exists: bool,
    pub disabled: bool,
}

/// What recovery needs, saved in the activity database before the first change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecoverySnapshot {
    pub operation_id: String,
    pub taken_at: String,
    pub actor: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub organization_id: String,
    pub regions: Vec<String>,
    pub lever: Lever,
    /// Exactly the grants the revocation removes (and recovery restores).
    pub removals: Vec<Removal>,
    /// Service accounts the revocation disables.
    pub disables: Vec<String>,
    /// Every policy touched, as it was (etag + grants).
    pub policies: Vec<PolicyRecord>,
    /// Service accounts of the cluster's specs, as they were.
    pub service_accounts: Vec<ServiceAccountRecord>,
    pub cmek: CmekClusterInfo,
}

/// The state re-read after an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObservedState {
    pub read_at: String,
    pub policies: Vec<PolicyRecord>,
    pub service_accounts: Vec<ServiceAccountRecord>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmek: Option<CmekClusterInfo>,
}

impl ObservedState {
    /// True when `grant` is in the observed policy of `resource`.
    pub fn has(&self, resource: &IamResource, grant: &Grant) -> bool {
        self.policies
            .iter()
            .any(|p| &p.resource == resource && p.grants.contains(grant))
    }

    /// The observed record of a service account.
    pub fn service_account(&self, email: &str) -> Option<&ServiceAccountRecord> {
        self.service_accounts.iter().find(|s| s.email == email)
    }
}

/// Reads a service account's state.
pub async fn read_service_account(
    ctx: &RevokeContext,
    email: &str,
) -> Result<ServiceAccountRecord> {
    let project = service_account_project(email);
    let sa = ctx.google.iam.get_service_account(&project, email).await?;
    Ok(ServiceAccountRecord {
        project,
        email: email.to_owned(),
        exists: sa.is_some(),
        disabled: sa.is_some_and(|s| s.disabled),
    })
}

/// Disables (`disabled`) or enables one service account unless it already is, then re-reads
/// it. Returns whether a write was made, and the re-read record.
pub(crate) async fn set_service_account_disabled(
    ctx: &RevokeContext,
    email: &str,
    disabled: bool,
) -> Result<(bool, ServiceAccountRecord)> {
    let now = read_service_account(ctx, email).await?;
    let changed = now.disabled != disabled;
    if changed {
        let iam = &ctx.google.iam;
        if disabled {
            iam.disable_service_account(&now.project, email).await?;
        } else {
            iam.enable_service_account(&now.project, email).await?;
        }
    }
    Ok((changed, read_service_account(ctx, email).await?))
}

/// Which way an edit of a recorded [`Removal`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EditDirection {
    /// Revoke: remove the grants.
    Remove,
    /// Recover: add the same grants back.
    Restore,
}

/// One etag-safe edit of `removal`'s policy (through `cmek_gcp::edit_policy`, touching only
/// its grants), with the outcome recorded under `intent`: `Ok` when written, `Skipped` when
/// nothing had to change, `Failed` with the error. Returns how many grants changed.
/// Outer error: the activity log could not be written; inner error: the edit failed (already
/// recorded as `Failed`).
pub(crate) async fn edit_recorded(
    ctx: &RevokeContext,
    log: &ActivityLog,
    intent: i64,
    removal: &Removal,
    direction: EditDirection,
) -> Result<std::result::Result<usize, Error>> {
    let (add, remove, verb, failed): (&[Grant], &[Grant], &str, &str) = match direction {
        EditDirection::Remove => (&[], &removal.grants, "removed", "Removal failed"),
        EditDirection::Restore => (&removal.grants, &[], "added back", "Restore failed"),
    };
    match cmek_gcp::edit_policy(&ctx.google, &removal.resource.target(), add, remove).await {
        Ok(edit) => {
            let changed = match direction {
                EditDirection::Remove => edit.outcome.removed.len(),
                EditDirection::Restore => edit.outcome.added.len(),
            };
            let status = if edit.writes == 0 {
                EntryStatus::Skipped
            } else {
                EntryStatus::Ok
            };
            log.outcome(
                intent,
                status,
                &format!("{changed} grant(s) {verb}"),
                &PolicyRecord::of(&removal.resource, &edit.after),
                None,
            )?;
            Ok(Ok(changed))
        }
        Err(e) => {
            log.outcome(intent, EntryStatus::Failed, failed, &(), Some(&e))?;
            Ok(Err(e))
        }
    }
}

/// Re-reads the policies, service accounts and (if `cluster_id`) the CMEK status.
pub async fn observe(
    ctx: &RevokeContext,
    resources: &[IamResource],
    service_accounts: &[String],
    cluster_id: Option<&str>,
) -> Result<ObservedState> {
    let mut policies = Vec::new();
    for r in resources {
        policies.push(PolicyRecord::of(
            r,
            &ctx.google.get_policy(&r.target()).await?,
        ));
    }
    let mut sas = Vec::new();
    for e in service_accounts {
        sas.push(read_service_account(ctx, e).await?);
    }
    let cmek = match cluster_id {
        Some(id) => ctx.cockroach.get_cmek(id).await?,
        None => None,
    };
    Ok(ObservedState {
        read_at: crate::now(),
        policies,
        service_accounts: sas,
        cmek,
    })
}

impl RecoverySnapshot {
    /// Every IAM resource the snapshot covers.
    pub fn resources(&self) -> Vec<IamResource> {
        self.policies.iter().map(|p| p.resource.clone()).collect()
    }

    /// Emails of the service accounts the snapshot covers.
    pub fn service_account_emails(&self) -> Vec<String> {
        self.service_accounts
            .iter()
            .map(|s| s.email.clone())
            .collect()
    }
}
