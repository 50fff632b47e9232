//! What "Finish revocation" ([`crate::resume_revoke`]) and "Roll back" / recover
//! ([`crate::recover`]) may act on (issue 13). A snapshot is a row in a file on disk: before
//! either acts on one, these rules hold or nothing is written.
//!
//! 1. **Verified log.** The activity log's tamper-evident chain verifies
//!    (`ActivityLog::verify`): a forged or altered snapshot or entry stops both, and so does a
//!    file that does not reach the chain head kept in the keychain (the newest rows deleted so
//!    a finished operation looks interrupted, or an older copy of the file put back).
//! 2. **Only the two CMEK roles.** Every grant a GCP snapshot removes or restores is
//!    `roles/cloudkms.cryptoKeyEncrypterDecrypter` or `roles/iam.serviceAccountTokenCreator`
//!    ([`CMEK_ROLES`]); an AWS snapshot touches only key policies and role trust policies.
//! 3. **Only principals a fresh preview confirms.** The cluster is re-read now
//!    (`preview_revoke`): GCP grants must be Token Creator for this cluster's CockroachDB
//!    principal on one of its current service accounts, or Encrypter/Decrypter for one of its
//!    service accounts on one of its current keys; AWS statements must be on one of its current
//!    keys or roles and name only its roles (key policy) or CockroachDB's account (trust).
//! 4. **Restore only what was removed, once.** Recovery puts back a grant only when the log
//!    shows its removal went out (an `ok` outcome, or an intent a crash left without outcome —
//!    the write may have been applied) and the snapshot shows the grant existed before; a
//!    revocation already recovered (a recovery of it finished `ok`) is refused.

use std::collections::HashSet;

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::iam::{service_account_member, Grant, ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use cmek_core::{Error, ErrorCode, Result};

use crate::aws::{AwsPolicyKind, AwsRemoval};
use crate::lever::{IamResource, Removal};
use crate::snapshot::RecoverySnapshot;
use crate::{RevokeContext, RevokePreview};

/// The only roles finish and roll back may remove or add back (GCP).
pub const CMEK_ROLES: [&str; 2] = [ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR];

fn refused(what: &str, why: String) -> Error {
    Error::new(
        ErrorCode::FailedPrecondition,
        format!("{what} is refused: {why}"),
    )
}

/// Rule 1: the log verifies.
pub(crate) fn require_verified_log(log: &ActivityLog, what: &str) -> Result<()> {
    log.verify()?.require(what)
}

/// Rule 4 (once): no recovery of `revoke_operation_id` finished `ok`.
pub(crate) fn require_not_recovered(
    log: &ActivityLog,
    revoke_operation_id: &str,
    cluster_id: &str,
) -> Result<()> {
    for op in log.operations("recover", cluster_id)? {
        let entries = log.operation_entries(&op)?;
        let of_this = entries.iter().any(|e| {
            e.kind == EntryKind::OperationStarted
                && e.before.as_ref().and_then(|b| b.get("revokeOperationId"))
                    == Some(&serde_json::Value::from(revoke_operation_id))
        });
        let ok = entries
            .iter()
            .any(|e| e.kind == EntryKind::OperationFinished && e.status == Some(EntryStatus::Ok));
        if of_this && ok {
            return Err(refused(
                "Recovering this revocation again",
                format!(
                    "revocation {revoke_operation_id} was already recovered by operation {op}, \
                     which restored and verified its grants. Recovery restores a revocation \
                     once; check the key's IAM policy in the audit instead."
                ),
            ));
        }
    }
    Ok(())
}

/// Targets (activity `target`) of the `action` intents of `op` whose change went out: an `ok`
/// outcome, or no outcome at all (interrupted after sending, maybe applied).
pub(crate) fn removed_targets(
    log: &ActivityLog,
    op: &str,
    action: &str,
) -> Result<HashSet<String>> {
    let entries = log.operation_entries(op)?;
    Ok(entries
        .iter()
        .filter(|i| i.kind == EntryKind::Intent && i.action == action)
        .filter(|i| {
            match entries
                .iter()
                .find(|o| o.kind == EntryKind::Outcome && o.intent_id == Some(i.id))
            {
                None => true,
                Some(o) => o.status == Some(EntryStatus::Ok),
            }
        })
        .map(|i| i.target.clone())
        .collect())
}

/// Rule 4 (what): the removals of `snap` to put back — only grants whose removal went out
/// (per the log) and that the snapshot recorded as present before.
pub(crate) fn restorable(log: &ActivityLog, snap: &RecoverySnapshot) -> Result<Vec<Removal>> {
    let went_out = removed_targets(log, &snap.operation_id, "revoke.remove_access")?;
    Ok(snap
        .removals
        .iter()
        .filter(|r| went_out.contains(&r.resource.name()))
        .map(|r| Removal {
            resource: r.resource.clone(),
            grants: r
                .grants
                .iter()
                .filter(|g| {
                    snap.policies
                        .iter()
                        .any(|p| p.resource == r.resource && p.grants.contains(g))
                })
                .cloned()
                .collect(),
        })
        .filter(|r| !r.grants.is_empty())
        .collect())
}

/// Rules 2 and 3 for a GCP snapshot, against a fresh `preview` of its cluster.
pub(crate) fn check_gcp(
    snap: &RecoverySnapshot,
    preview: &RevokePreview,
    what: &str,
) -> Result<()> {
    let sas: Vec<IamResource> = preview
        .service_accounts
        .iter()
        .map(|e| IamResource::service_account(e))
        .collect();
    let sa_members: Vec<String> = preview
        .service_accounts
        .iter()
        .map(|e| service_account_member(e))
        .collect();
    let principal = service_account_member(&preview.cockroach_principal);
    let allowed = |r: &IamResource, g: &Grant| -> bool {
        match g.role.as_str() {
            ROLE_TOKEN_CREATOR => sas.contains(r) && g.member == principal,
            ROLE_ENCRYPTER_DECRYPTER => {
                matches!(r, IamResource::Kms { name } if preview.keys.contains(name))
                    && sa_members.contains(&g.member)
            }
            _ => false,
        }
    };
    for r in &snap.removals {
        for g in &r.grants {
            if !CMEK_ROLES.contains(&g.role.as_str()) {
                return Err(refused(
                    what,
                    format!(
                        "the recovery snapshot names role {} on {}; finish and roll back touch \
                         only {} and {}.",
                        g.role,
                        r.resource.name(),
                        ROLE_ENCRYPTER_DECRYPTER,
                        ROLE_TOKEN_CREATOR
                    ),
                ));
            }
            if !allowed(&r.resource, g) {
                return Err(refused(
                    what,
                    format!(
                        "the recovery snapshot grants {} {} on {}, which cluster {} does not use \
                         now (its service accounts: {}; its keys: {}).",
                        g.member,
                        g.role,
                        r.resource.name(),
                        preview.cluster_name,
                        preview.service_accounts.join(", "),
                        preview.keys.join(", ")
                    ),
                ));
            }
        }
    }
    for email in &snap.disables {
        if !preview.service_accounts.contains(email) {
            return Err(refused(
                what,
                format!(
                    "the recovery snapshot names service account {email}, which cluster {} does \
                     not use now.",
                    preview.cluster_name
                ),
            ));
        }
    }
    Ok(())
}

fn principals(statement: &serde_json::Value) -> Vec<String> {
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(p) = statement.get("Principal") {
        strings(p, &mut out);
    }
    out
}

/// Rules 2 and 3 for an AWS snapshot's removals, against a fresh `preview` of its cluster.
pub(crate) fn check_aws(
    removals: &[AwsRemoval],
    preview: &RevokePreview,
    what: &str,
) -> Result<()> {
    for r in removals {
        let (on_ours, allowed): (bool, Vec<&String>) = match r.policy.kind {
            AwsPolicyKind::KeyPolicy => (
                preview.keys.contains(&r.policy.arn),
                preview.roles.iter().collect(),
            ),
            AwsPolicyKind::TrustPolicy => (
                preview.roles.contains(&r.policy.arn),
                vec![&preview.cockroach_principal],
            ),
        };
        if !on_ours {
            return Err(refused(
                what,
                format!(
                    "the recovery snapshot edits {}, which cluster {} does not use now.",
                    r.policy.describe(),
                    preview.cluster_name
                ),
            ));
        }
        for s in &r.statements {
            let names = principals(&s.statement);
            if names.is_empty() || names.iter().any(|p| !allowed.contains(&p)) {
                return Err(refused(
                    what,
                    format!(
                        "a statement of {} in the recovery snapshot names principal(s) {} that \
                         a fresh read of cluster {} does not confirm.",
                        r.policy.describe(),
                        names.join(", "),
                        preview.cluster_name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A fresh preview of the snapshot's cluster (rule 3 reads it now).
pub(crate) async fn fresh_preview(
    ctx: &RevokeContext,
    cluster_id: &str,
    what: &str,
) -> Result<RevokePreview> {
    crate::preview_revoke(ctx, cluster_id).await.map_err(|e| {
        Error::new(
            e.code,
            format!(
                "{what} is refused: the cluster could not be re-read to confirm who the \
                 snapshot names ({})",
                e.message
            ),
        )
    })
}
