//! Drift (issue #10): for every Cloud KMS key and service account a CockroachDB cluster's CMEK
//! specs name (`key_infos[].spec.uri` and `.auth_principal`, current and past), the bindings
//! CockroachDB needs, compared with the bindings the resource really has.
//!
//! Expected (cmek-procedure §4.1; audit-checks §3 C03/C04), each unconditional:
//! - on the key: `serviceAccount:{auth_principal}` holds `roles/cloudkms.cryptoKeyEncrypterDecrypter`;
//! - on the service account: `serviceAccount:crl-kms-user-{last 12 of cluster id}@{account_id}.iam.gserviceaccount.com`
//!   holds `roles/iam.serviceAccountTokenCreator`.
//!
//! A [`DriftKind::Extra`] finding is any other (role, member, condition) in the resource's own
//! policy, a conditional copy of an expected grant included; a [`DriftKind::Missing`] finding
//! is an expected grant that is absent.
//!
//! **Levels covered**: the key's own policy and the service account's own policy (the two
//! policies the one-click fix edits). Key-ring and project bindings are inherited from
//! resources other keys and accounts share, so they are not drift here (A01, A06, A08, A15,
//! C03, C04 and C12 judge them); an expected Encrypter/Decrypter granted unconditionally on the
//! key ring still satisfies the key's expectation.
//!
//! Clusters whose region is `REVOKED` or `REVOKING` need no access (revocation removed it on
//! purpose), so their grants are neither missing nor extra. A key outside the scanned
//! inventory, or a service account that does not exist or could not be read, gets no drift
//! (C01/C04 report those).
//!
//! [`compute`] is pure; the audit calls it on its inventory ([`from_report_rows`]) and
//! [`scan::scan_drift`] on a fresh read of just those resources (for the fix). Both give the
//! same stable [`DriftFinding::id`] for the same binding.

mod compute;
pub mod scan;

pub use compute::{compute, drift_id, expectations, from_report_rows};

use crate::crdb::sa_project;
use crate::model::{EffectiveBinding, PolicyLevel};
use cmek_core::iam::{Expr, Grant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;

/// Extra or missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DriftKind {
    /// A binding CockroachDB's CMEK does not need (granted out of band).
    Extra,
    /// A binding CockroachDB needs that is absent.
    Missing,
}

/// A cluster whose CMEK specs name the resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftCluster {
    pub id: String,
    pub name: String,
}

/// One drift finding: who (`member`), what (`role`, `condition`), where (`resource`, `level`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftFinding {
    /// `drift-` + 16 hex digits (FNV-1a 64 of kind, resource, role, member, condition): the
    /// same in every scan while the binding is the same; what `cmek drift fix` takes.
    pub id: String,
    pub kind: DriftKind,
    /// `key` or `serviceAccount`.
    pub level: PolicyLevel,
    /// The policy's resource: `projects/…/cryptoKeys/K` or `projects/P/serviceAccounts/EMAIL`.
    pub resource: String,
    pub project: String,
    /// What the one-click fix asks to type: the key id, or the service account's email.
    pub confirm_text: String,
    pub role: String,
    pub member: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
    /// Clusters whose CMEK specs name the resource.
    pub used_by: Vec<DriftCluster>,
    /// Every unconditional grant expected on the resource.
    pub expected: Vec<Grant>,
    pub message: String,
}

impl DriftFinding {
    /// The grant the fix removes (extra) or adds back (missing).
    pub fn grant(&self) -> Grant {
        Grant {
            role: self.role.clone(),
            member: self.member.clone(),
            condition: self.condition.clone(),
        }
    }

    /// The service account's email for a service-account finding.
    pub fn service_account(&self) -> Option<&str> {
        (self.level == PolicyLevel::ServiceAccount)
            .then(|| self.resource.rsplit('/').next())
            .flatten()
    }
}

/// What CockroachDB needs on one resource.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    pub level: Option<PolicyLevel>,
    pub project: String,
    pub confirm_text: String,
    pub used_by: BTreeSet<DriftCluster>,
    /// (role, member) needed by a cluster that is not revoked.
    pub required: BTreeSet<(String, String)>,
    /// (role, member) of revoked clusters: neither missing nor extra.
    pub tolerated: BTreeSet<(String, String)>,
}

/// A resource's bindings as read: its own policy, and (keys) the key ring's.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub own: Vec<EffectiveBinding>,
    pub inherited: Vec<EffectiveBinding>,
}

/// The key name of a spec `uri` (no version suffix, no trailing `/`).
pub fn key_name(uri: &str) -> String {
    let uri = uri.trim_end_matches('/');
    uri.split("/cryptoKeyVersions/")
        .next()
        .unwrap_or(uri)
        .to_owned()
}

/// The policy resource of a service account.
pub fn sa_resource(email: &str) -> String {
    format!("projects/{}/serviceAccounts/{email}", sa_project(email))
}
