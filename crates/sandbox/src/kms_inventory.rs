//! KMS Inventory v1 (`{base}/kmsinventory/v1/...`, discovery `kmsinventory-v1.json`),
//! read-only: `kmsinventory.projects.cryptoKeys.list` (every crypto key of a project across its
//! locations, each as `cryptoKeys.get` returns it, with `primary`) and
//! `kmsinventory.organizations.protectedResources.search` (the Google Cloud resources a key
//! protects). The sandbox holds no Google resource encrypted with a key (CockroachDB clusters
//! are not Google resources), so the search always answers an empty page — truthfully.
//!
//! Permissions: `cloudkms.cryptoKeys.list` on the project for the list;
//! `cloudkms.protectedResources.search` on the organisation for the search. Quota:
//! [`crate::inventory_quota`].

use serde_json::Value;

use crate::auth::{authorize, project_key};
use crate::errors::GError;
use crate::inventory_quota::Api;
use crate::router::{paginate, Req};
use crate::state::State;

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
        if r.q("cryptoKey").is_none_or(str::is_empty) {
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
        return Ok(paginate(Vec::new(), r, "protectedResources", 500, false));
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
