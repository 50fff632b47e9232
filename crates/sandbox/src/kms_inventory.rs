//! KMS Inventory v1 (`{base}/kmsinventory/v1/...`, discovery `kmsinventory-v1.json`),
//! read-only: `kmsinventory.projects.cryptoKeys.list` (every crypto key of a project across its
//! locations, each as `cryptoKeys.get` returns it, with `primary`) and
//! `kmsinventory.organizations.protectedResources.search` (the Google Cloud resources a key
//! protects). CockroachDB clusters are not Google resources of the organisation and never
//! appear; the search answers the organisation's own resources of [`PROTECTED`] whose key
//! exists in the sandbox (the audit seed's `audit-clean` cluster key protects a BigQuery dataset
//! and a Cloud Storage bucket of `audit-owner-prj`), each protected by the key's primary version
//! at the time of the search, and an empty page for any other key.
//!
//! Permissions: `cloudkms.cryptoKeys.list` on the project for the list;
//! `cloudkms.protectedResources.search` on the organisation for the search. Quota:
//! [`crate::inventory_quota`].

use serde_json::{json, Value};

use crate::auth::{authorize, project_key};
use crate::errors::GError;
use crate::inventory_quota::Api;
use crate::router::{paginate, Req};
use crate::state::State;

/// Resources of the demo organisation encrypted with a key: (crypto key, resource type, full
/// resource name, project id, location, create time). Served only while the key exists.
pub const PROTECTED: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        crate::seed_audit::PROTECTING_KEY,
        "bigquery.googleapis.com/Dataset",
        "//bigquery.googleapis.com/projects/audit-owner-prj/datasets/payments_ledger",
        crate::seed_audit::AUDIT_OWNER_PROJECT,
        "us-east4",
        "2025-06-02T09:00:00Z",
    ),
    (
        crate::seed_audit::PROTECTING_KEY,
        "storage.googleapis.com/Bucket",
        "//storage.googleapis.com/projects/_/buckets/audit-owner-prj-exports",
        crate::seed_audit::AUDIT_OWNER_PROJECT,
        "us-east4",
        "2025-06-02T09:05:00Z",
    ),
];

/// The [`PROTECTED`] resources of `key` in `org`, as `GoogleCloudKmsInventoryV1ProtectedResource`.
fn protected(state: &State, org: &str, key: &str) -> Vec<Value> {
    let Some(rendered) = crate::kms::render_key(state, key) else {
        return Vec::new();
    };
    let version = rendered["primary"]["name"].as_str().unwrap_or_default();
    PROTECTED
        .iter()
        .filter(|p| p.0 == key)
        .filter_map(|&(_, kind, name, project, location, created)| {
            let p = state.project(project).filter(|p| p.parent == org)?;
            let product = kind.split('.').next().unwrap_or_default();
            let mut v = json!({
                "name": name, "project": format!("projects/{}", p.number), "projectId": p.id,
                "cloudProduct": product, "location": location, "resourceType": kind,
                "createTime": created, "labels": {},
            });
            if !version.is_empty() {
                v["cryptoKeyVersion"] = json!(version);
                v["cryptoKeyVersions"] = json!([version]);
            }
            Some(v)
        })
        .collect()
}

const LIST_KEYS: &str = "kmsinventory.projects.cryptoKeys.list";
const SEARCH_PROTECTED: &str = "kmsinventory.organizations.protectedResources.search";

/// (operation id, is_write) for a KMS Inventory request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (s.as_slice(), method, verb) {
        (["v1", "projects", _, "cryptoKeys"], "GET", None) => Some((LIST_KEYS.into(), false)),
        (["v1", "organizations", _, "protectedResources"], "GET", Some("search")) => {
            Some((SEARCH_PROTECTED.into(), false))
        }
        _ => None,
    }
}

/// Handles a routed KMS Inventory request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let domain = "kmsinventory.googleapis.com";
    if op == SEARCH_PROTECTED {
        let org = format!("organizations/{}", r.segs[2]);
        let key = r.q("cryptoKey").unwrap_or_default().to_owned();
        if key.is_empty() {
            return Err(GError::invalid_field(
                "crypto_key",
                "crypto_key is required.",
            ));
        }
        authorize(
            state,
            &r.member,
            std::slice::from_ref(&org),
            "cloudkms.protectedResources.search",
            &org,
            domain,
        )?;
        crate::inventory_quota::charge(state, r, Api::KmsInventory, Some(&org))?;
        let found = protected(state, &org, &key);
        return Ok(paginate(found, r, "protectedResources", 500, false));
    }
    let pk = project_key(state, &r.segs[2]);
    authorize(
        state,
        &r.member,
        std::slice::from_ref(&pk),
        "cloudkms.cryptoKeys.list",
        &pk,
        domain,
    )?;
    crate::inventory_quota::charge(state, r, Api::KmsInventory, None)?;
    crate::kms_versions::tick(state);
    let prefix = format!("{pk}/");
    let keys: Vec<Value> = state
        .crypto_keys
        .keys()
        .filter(|n| n.starts_with(&prefix))
        .filter_map(|n| crate::kms::render_key(state, n))
        .collect();
    Ok(paginate(keys, r, "cryptoKeys", 1000, false))
}
