//! What else a crypto key protects in the organisation (issue 12): the organisation's own
//! Google Cloud resources (BigQuery datasets, Cloud Storage buckets, disks, …) that KMS Inventory
//! (`kmsinventory.organizations.protectedResources.search`, discovery `kmsinventory-v1.json`)
//! reports as encrypted with the key. A CockroachDB Cloud cluster never appears there (it runs
//! in Cockroach Labs' projects, outside the customer's organisation: audit-checks.md § KMS
//! Inventory), so every resource listed is data other than CockroachDB's that disabling or
//! destroying the key's versions, or revoking, also affects.
//!
//! Read by `cmek_audit::protected` for every key a CockroachDB cluster uses and by the key
//! emergency actions' preview; shown as key evidence, never as a finding (no check catalogue we
//! cite asks for one key per workload).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The permission the search needs on the organisation (`roles/cloudkms.protectedResourcesViewer`
/// grants it).
pub const SEARCH_PERMISSION: &str = "cloudkms.protectedResources.search";

/// The role that grants [`SEARCH_PERMISSION`], named in the "not evaluated" reason.
pub const SEARCH_ROLE: &str = "roles/cloudkms.protectedResourcesViewer";

/// One resource of the organisation the key protects (`GoogleCloudKmsInventoryV1ProtectedResource`,
/// the fields shown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProtectedResource {
    /// e.g. `bigquery.googleapis.com/Dataset`, `storage.googleapis.com/Bucket`.
    pub resource_type: String,
    /// Full resource name, e.g. `//storage.googleapis.com/projects/_/buckets/b`.
    pub name: String,
    /// The project id that owns it (the project number when KMS Inventory gave no id).
    pub project: String,
    /// `global`, a region or a zone.
    pub location: String,
    /// The key version(s) protecting it (`…/cryptoKeyVersions/N`); empty when the product does
    /// not report versions to KMS Inventory.
    pub key_versions: Vec<String>,
}

/// What else a key protects: the search's list, or why it was not searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "camelCase")]
#[ts(export)]
pub enum ProtectedResources {
    /// The search ran at `organization` (`organizations/{id}`); `resources` may be empty.
    #[serde(rename_all = "camelCase")]
    Evaluated {
        organization: String,
        resources: Vec<ProtectedResource>,
    },
    /// The search did not run or failed; `why` says so in the officer's words, naming the
    /// missing permission when that is the reason.
    #[serde(rename_all = "camelCase")]
    NotEvaluated { why: String },
}

impl ProtectedResources {
    /// The resources found (empty when not evaluated).
    pub fn resources(&self) -> &[ProtectedResource] {
        match self {
            Self::Evaluated { resources, .. } => resources,
            Self::NotEvaluated { .. } => &[],
        }
    }

    /// One line for a person: `also protects 2 resources of organizations/1: …`,
    /// `protects nothing else in organizations/1`, or `not evaluated: …`.
    pub fn line(&self) -> String {
        match self {
            Self::Evaluated {
                organization,
                resources,
            } if resources.is_empty() => {
                format!("protects nothing else in {organization} (KMS Inventory)")
            }
            Self::Evaluated {
                organization,
                resources,
            } => {
                let list: Vec<String> = resources
                    .iter()
                    .map(|r| format!("{} {} ({})", r.resource_type, r.name, r.location))
                    .collect();
                format!(
                    "also protects {} resource(s) of {organization}: {}",
                    resources.len(),
                    list.join("; ")
                )
            }
            Self::NotEvaluated { why } => format!("other resources not evaluated: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_what_was_found_or_why_not() {
        let found = ProtectedResources::Evaluated {
            organization: "organizations/1".into(),
            resources: vec![ProtectedResource {
                resource_type: "storage.googleapis.com/Bucket".into(),
                name: "//storage.googleapis.com/projects/_/buckets/b".into(),
                project: "p".into(),
                location: "us-east4".into(),
                key_versions: vec![],
            }],
        };
        assert_eq!(
            found.line(),
            "also protects 1 resource(s) of organizations/1: storage.googleapis.com/Bucket //storage.googleapis.com/projects/_/buckets/b (us-east4)"
        );
        let none = ProtectedResources::Evaluated {
            organization: "organizations/1".into(),
            resources: vec![],
        };
        assert!(none.line().starts_with("protects nothing else"));
        let why = ProtectedResources::NotEvaluated {
            why: "lacks cloudkms.protectedResources.search".into(),
        };
        assert!(why.resources().is_empty());
        let json = serde_json::to_value(&why).unwrap();
        assert_eq!(json["status"], "notEvaluated");
    }
}
