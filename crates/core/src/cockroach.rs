//! CockroachDB Cloud API wire models (spec `cockroach-cloud-openapi.json`, version
//! 2024-09-16; snake_case) and the CMEK eligibility rule.
//!
//! Enum-valued fields are strings: the UI shows them as they come, and an unexpected value
//! never fails a read. Regions are matched by name, never by index (provider PR #363).

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `Cc-Version` header value every request carries (cmek-procedure §8).
pub const CC_VERSION: &str = "2024-09-16";

/// `Organization`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub label: String,
}

/// `Region` of a cluster.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct Region {
    pub name: String,
    pub node_count: i32,
    pub primary: bool,
}

/// `Cluster` (the fields CMEK Desk reads).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    /// CRL-managed GCP project or AWS account that hosts the cluster.
    pub account_id: String,
    /// `GCP`, `AWS` or `AZURE`.
    pub cloud_provider: String,
    /// `BASIC`, `STANDARD` or `ADVANCED`.
    pub plan: String,
    /// `PUBLIC` or `PRIVATE`.
    pub network_visibility: String,
    /// `CREATING`, `CREATED`, `CREATION_FAILED`, `DELETED`, `LOCKED`.
    pub state: String,
    pub operation_status: String,
    pub cockroach_version: String,
    pub regions: Vec<Region>,
}

impl Cluster {
    /// Region names, sorted (the API sorts regions by name).
    pub fn region_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.regions.iter().map(|r| r.name.clone()).collect();
        v.sort();
        v
    }

    /// Why this cluster cannot use CMEK, or `None` if it can (cmek-procedure §2, §18.1):
    /// plan ADVANCED, network visibility PRIVATE, state CREATED, no operation running.
    pub fn ineligibility(&self) -> Option<String> {
        let mut reasons = Vec::new();
        if self.plan != "ADVANCED" {
            reasons.push(format!(
                "its plan is {} (CMEK needs ADVANCED)",
                or_unknown(&self.plan)
            ));
        }
        if self.network_visibility != "PRIVATE" {
            reasons.push(format!(
                "it is {} (CMEK needs a PRIVATE cluster, chosen at creation; it cannot be migrated)",
                or_unknown(&self.network_visibility)
            ));
        }
        if self.state != "CREATED" {
            reasons.push(format!(
                "its state is {} (it must be CREATED)",
                or_unknown(&self.state)
            ));
        }
        if self.operation_status.ends_with("_RUNNING") {
            reasons.push(format!(
                "an operation is running ({})",
                self.operation_status
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// `Ok` when eligible, else a `NotEligible` error saying why.
    pub fn check_eligible(&self) -> Result<()> {
        match self.ineligibility() {
            None => Ok(()),
            Some(why) => Err(Error::new(
                ErrorCode::NotEligible,
                format!("Cluster {} cannot use CMEK: {why}.", self.name),
            )
            .with_resource(self.id.clone())),
        }
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        "unknown"
    } else {
        s
    }
}

/// `ListClustersResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListClustersResponse {
    pub clusters: Vec<Cluster>,
    pub pagination: Option<Pagination>,
}

/// `KeysetPaginationResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Pagination {
    pub next_page: Option<String>,
}

/// `CMEKKeySpecification`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CmekKeySpec {
    /// `GCP_CLOUD_KMS`, `AWS_KMS`, `AZURE_KEY_VAULT` (never `NULL_KMS`).
    #[serde(rename = "type")]
    pub key_type: String,
    /// GCP: `projects/…/cryptoKeys/K` without a version.
    pub uri: String,
    /// GCP: the customer service account's email.
    pub auth_principal: String,
}

/// `CMEKRegionSpecification`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CmekRegionSpec {
    pub region: String,
    pub key_spec: CmekKeySpec,
}

/// `EnableCMEKSpecBody` / `UpdateCMEKSpecBody`.
#[derive(Debug, Clone, Serialize)]
pub struct CmekSpecBody {
    pub region_specs: Vec<CmekRegionSpec>,
}

/// `UpdateClusterSpecification` as CMEK Desk sends it (`PATCH /api/v1/clusters/{id}`): only
/// `dedicated` with the fields that add a region.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterUpdateBody {
    pub dedicated: DedicatedUpdate,
}

/// `DedicatedClusterUpdateSpecification`: every region with its node count, and the CMEK specs
/// of the new regions only ("If a CMEK spec is provided for an existing region, the request is
/// invalid and will fail").
#[derive(Debug, Clone, Serialize)]
pub struct DedicatedUpdate {
    pub region_nodes: std::collections::BTreeMap<String, i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cmek_region_specs: Vec<CmekRegionSpec>,
}

/// `CMEKKeyInfo`: one current or past key spec of a region.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CmekKeyInfo {
    pub spec: CmekKeySpec,
    pub status: String,
    pub user_message: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `CMEKRegionInfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CmekRegionInfo {
    pub region: String,
    pub status: String,
    pub key_infos: Vec<CmekKeyInfo>,
}

/// `CMEKClusterInfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CmekClusterInfo {
    pub status: String,
    pub region_infos: Vec<CmekRegionInfo>,
}

/// How a `CMEKStatus` value is treated while polling (cmek-procedure §10, TF's model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// ENABLED, DISABLED, REVOKED.
    Done,
    /// ENABLE_FAILED, DISABLE_FAILED, REVOKE_FAILED, ROTATE_FAILED: show `user_message`.
    Failed,
    /// Anything else: keep polling.
    InProgress,
}

/// Classifies a `CMEKStatus` string.
pub fn classify_status(status: &str) -> StatusClass {
    match status {
        "ENABLED" | "DISABLED" | "REVOKED" => StatusClass::Done,
        s if s.ends_with("_FAILED") => StatusClass::Failed,
        _ => StatusClass::InProgress,
    }
}

impl CmekClusterInfo {
    /// The region info with this name (never by index).
    pub fn region(&self, name: &str) -> Option<&CmekRegionInfo> {
        self.region_infos.iter().find(|r| r.region == name)
    }
}

impl CmekRegionInfo {
    /// The newest key info (by `created_at`, RFC 3339 sorts lexically in UTC): the current spec.
    pub fn current(&self) -> Option<&CmekKeyInfo> {
        self.key_infos
            .iter()
            .max_by(|a, b| a.created_at.cmp(&b.created_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(plan: &str, vis: &str, state: &str) -> Cluster {
        Cluster {
            name: "c".into(),
            plan: plan.into(),
            network_visibility: vis.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    #[test]
    fn only_advanced_private_created_clusters_are_eligible() {
        assert!(cluster("ADVANCED", "PRIVATE", "CREATED")
            .check_eligible()
            .is_ok());
        let e = cluster("STANDARD", "PUBLIC", "CREATING")
            .check_eligible()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotEligible);
        for word in ["STANDARD", "PUBLIC", "CREATING"] {
            assert!(e.message.contains(word), "{}", e.message);
        }
    }

    #[test]
    fn statuses_are_classified_like_terraform() {
        assert_eq!(classify_status("ENABLED"), StatusClass::Done);
        assert_eq!(classify_status("REVOKED"), StatusClass::Done);
        assert_eq!(classify_status("ENABLE_FAILED"), StatusClass::Failed);
        assert_eq!(classify_status("ENABLING"), StatusClass::InProgress);
        assert_eq!(classify_status("SOMETHING_NEW"), StatusClass::InProgress);
    }

    #[test]
    fn reads_a_spec_shaped_body_with_unknown_fields() {
        let c: Cluster = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "n", "plan": "ADVANCED", "regions": [{"name": "us-east4", "node_count": 3}],
            "config": {"dedicated": {}}, "brand_new_field": true
        }))
        .unwrap();
        assert_eq!(c.region_names(), vec!["us-east4"]);
    }
}
