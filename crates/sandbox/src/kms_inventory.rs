//! KMS Inventory v1 (`{base}/kmsinventory/v1/...`, discovery `kmsinventory-v1.json`),
//! read-only: `kmsinventory.projects.cryptoKeys.list` (every crypto key of a project across its
//! locations, each as `cryptoKeys.get` returns it, with `primary`) and
//! `kmsinventory.organizations.protectedResources.search` (the Google Cloud resources a key
//! protects). CockroachDB clusters are not Google resources of the organisation and never
//! appear; the search answers the organisation's own resources a key protects while the key
//! exists (seeded from [`PROTECTED`]: the audit seed's `audit-clean` cluster key protects a
//! BigQuery dataset and a Cloud Storage bucket of `audit-owner-prj`; tests add more with
//! `State::add_protected_resource`), each protected by the key's primary version at the time
//! of the search, and an empty page for any other key.
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

/// Resources of the demo organisation encrypted with a key, seeded with the audit organisation:
/// (crypto key, resource type, full resource name, project id, location, create time). Served
/// only while the key exists and the project is in the organisation searched.
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

/// One resource of the organisation a key protects (`State::protected_resources`).
#[derive(Debug, Clone)]
pub(crate) struct Protected {
    key: String,
    resource_type: String,
    name: String,
    project: String,
    location: String,
    create_time: String,
}

/// Seeds [`PROTECTED`] (with the audit organisation).
pub(crate) fn seed(state: &mut State) {
    for &(key, kind, name, project, location, created) in PROTECTED {
        state.protected_resources.push(Protected {
            key: key.into(),
            resource_type: kind.into(),
            name: name.into(),
            project: project.into(),
            location: location.into(),
            create_time: created.into(),
        });
    }
}

impl State {
    /// Test hook: one more resource of project `project` (id) encrypted with `key`, as KMS
    /// Inventory would report it (e.g. many, to page through the search).
    pub fn add_protected_resource(
        &mut self,
        key: &str,
        resource_type: &str,
        name: &str,
        project: &str,
        location: &str,
    ) {
        self.protected_resources.push(Protected {
            key: key.into(),
            resource_type: resource_type.into(),
            name: name.into(),
            project: project.into(),
            location: location.into(),
            create_time: "2025-06-02T09:00:00Z".into(),
        });
    }
}

/// The resources of `key` in `org`, as `GoogleCloudKmsInventoryV1ProtectedResource`.
fn protected(state: &State, org: &str, key: &str) -> Vec<Value> {
    let Some(rendered) = crate::kms::render_key(state, key) else {
        return Vec::new();
    };
    let version = rendered["primary"]["name"].as_str().unwrap_or_default();
    state
        .protected_resources
        .iter()
        .filter(|p| p.key == key)
        .filter_map(|r| {
            let p = state.project(&r.project).filter(|p| p.parent == org)?;
            let kind = r.resource_type.as_str();
            let product = kind.split('.').next().unwrap_or_default();
            let mut v = json!({
                "name": r.name, "project": format!("projects/{}", p.number), "projectId": p.id,
                "cloudProduct": product, "location": r.location, "resourceType": kind,
                "createTime": r.create_time, "labels": {},
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
