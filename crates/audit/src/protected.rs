//! What else the keys CockroachDB uses protect (issue 12): for every crypto key named by a
//! CockroachDB cluster's CMEK spec (`GCP_CLOUD_KMS` key infos, current and past), KMS
//! Inventory's `organizations.protectedResources.search` at the key's organisation lists the
//! organisation's own resources encrypted with it (BigQuery datasets, buckets, disks, …). A
//! CockroachDB cluster never appears there (audit-checks.md § KMS Inventory), so any resource
//! listed is other data that disabling or destroying the key's versions, or a revocation,
//! changes the blast radius for. Evidence on the key ([`crate::KeyRow::protected_resources`]),
//! never a finding: no source we cite asks for one key per workload.
//!
//! Keyed off the clusters, not the inventory, so both inventory paths get the same answer. The
//! organisation: the scan's for an organisation scope; else the one above the key's project
//! (Resource Manager `projects.get`, then `folders.get` up the folders); a project with no
//! organisation above it, or a parent that cannot be read, is "not evaluated" with why. Permission: `cloudkms.protectedResources.search` on the organisation,
//! checked once per organisation with `organizations.testIamPermissions` (Resource Manager v3);
//! without it every key of that organisation is "not evaluated" naming the permission. Calls:
//! one paged search per key (pages of 500), paced at [`SEARCHES_PER_MINUTE`].

use crate::inventory::{cancelled, segment, Gate};
use crate::model::{ClusterRow, ProjectRow};
use crate::scope::AuditScope;
use cmek_core::protected::{ProtectedResource, ProtectedResources, SEARCH_PERMISSION, SEARCH_ROLE};
use cmek_core::Error;
use cmek_gcp::Google;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

/// KMS Inventory read quota the searches are paced at: 300 per minute per consumer project
/// (modelled at the Cloud KMS read quota, see `cmek_sandbox::inventory_quota`).
pub const SEARCHES_PER_MINUTE: u32 = 300;

/// The GCP keys the clusters' CMEK specs name (current and past key infos), without a trailing
/// `/`, sorted.
pub fn cluster_keys(clusters: &[ClusterRow]) -> BTreeSet<String> {
    clusters
        .iter()
        .filter_map(|c| c.cmek.as_ref())
        .flat_map(|i| i.region_infos.iter())
        .flat_map(|r| r.key_infos.iter())
        .filter(|k| k.spec.key_type == "GCP_CLOUD_KMS")
        .map(|k| k.spec.uri.trim_end_matches('/').to_owned())
        .filter(|k| k.starts_with("projects/") && k.contains("/cryptoKeys/"))
        .collect()
}

/// The organisation (`organizations/{id}`) of `project`, from its Resource Manager parent and,
/// under folders, each folder's parent (`folders.get`, at most [`MAX_FOLDER_DEPTH`]), or why it
/// is not known.
pub async fn organization_of(google: &Google, project: &str) -> Result<String, String> {
    let p = google.crm.get_project(project).await.map_err(|e| {
        format!(
            "the parent of project {project} could not be read ({})",
            e.message
        )
    })?;
    let mut parent = p.parent;
    for _ in 0..MAX_FOLDER_DEPTH {
        if parent.starts_with("organizations/") {
            return Ok(parent);
        }
        if !parent.starts_with("folders/") {
            break;
        }
        let folder = google.crm.get_folder(&parent).await.map_err(|e| {
            format!(
                "{parent} above project {project} could not be read ({})",
                e.message
            )
        })?;
        parent = folder.parent;
    }
    Err(format!(
        "project {project} has no organisation above it, and KMS Inventory searches an organisation"
    ))
}

/// Folders nest at most 10 levels under an organisation (Resource Manager limits).
pub const MAX_FOLDER_DEPTH: usize = 10;

/// `Ok` when the signed-in identity holds [`SEARCH_PERMISSION`] on `org`, else why not.
pub async fn may_search(google: &Google, org: &str) -> Result<(), String> {
    let held = google
        .crm
        .test_scope_permissions(org, &[SEARCH_PERMISSION])
        .await
        .map_err(|e| format!("testIamPermissions on {org} failed: {}", e.message))?;
    if held.iter().any(|p| p == SEARCH_PERMISSION) {
        Ok(())
    } else {
        Err(format!(
            "the signed-in identity lacks {SEARCH_PERMISSION} on {org} ({SEARCH_ROLE} grants it)"
        ))
    }
}

/// One `GoogleCloudKmsInventoryV1ProtectedResource` as shown.
fn resource(v: &Value) -> ProtectedResource {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut key_versions: Vec<String> = v["cryptoKeyVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if key_versions.is_empty() && !s("cryptoKeyVersion").is_empty() {
        key_versions.push(s("cryptoKeyVersion"));
    }
    let project = match s("projectId") {
        id if !id.is_empty() => id,
        _ => s("project"),
    };
    ProtectedResource {
        resource_type: s("resourceType"),
        name: s("name"),
        project,
        location: s("location"),
        key_versions,
    }
}

/// Every page of the search for `key` at `org`, sorted by name.
async fn search_all(
    google: &Google,
    gate: &Gate<'_>,
    org: &str,
    key: &str,
) -> Result<Vec<ProtectedResource>, Error> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = gate
            .call(
                google
                    .kms_inventory
                    .search_protected_resources(org, key, token.as_deref()),
            )
            .await?;
        out.extend(page.items.iter().map(resource));
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Searches `key` at `org` once the permission is known (`allowed`).
async fn evaluate(
    google: &Google,
    gate: &Gate<'_>,
    org: Result<String, String>,
    allowed: Option<&Result<(), String>>,
    key: &str,
) -> ProtectedResources {
    let org = match org {
        Ok(o) => o,
        Err(why) => return ProtectedResources::NotEvaluated { why },
    };
    if let Some(Err(why)) = allowed {
        return ProtectedResources::NotEvaluated { why: why.clone() };
    }
    match search_all(google, gate, &org, key).await {
        Ok(resources) => ProtectedResources::Evaluated {
            organization: org,
            resources,
        },
        Err(e) => ProtectedResources::NotEvaluated {
            why: format!("KMS Inventory answered on {org}: {}", e.message),
        },
    }
}

/// What else every key of `clusters` protects, by key name (see the module doc). Never fails:
/// each key that could not be searched says why.
pub(crate) async fn for_clusters(
    google: &Google,
    scope: &AuditScope,
    clusters: &[ClusterRow],
    cancel: &AtomicBool,
) -> BTreeMap<String, ProtectedResources> {
    let keys = cluster_keys(clusters);
    if cancel.load(Ordering::Relaxed) {
        let why = cancelled().message;
        return keys
            .into_iter()
            .map(|k| (k, ProtectedResources::NotEvaluated { why: why.clone() }))
            .collect();
    }
    // The organisation of each key's project (one Resource Manager read per project).
    let mut orgs: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    for project in keys.iter().map(|k| segment(k, 1)) {
        if orgs.contains_key(&project) {
            continue;
        }
        let org = match scope {
            AuditScope::Organization(id) => Ok(format!("organizations/{id}")),
            _ => organization_of(google, &project).await,
        };
        orgs.insert(project, org);
    }
    // The permission, once per organisation.
    let mut allowed: BTreeMap<String, Result<(), String>> = BTreeMap::new();
    for org in orgs.values().flatten() {
        if !allowed.contains_key(org) {
            allowed.insert(org.clone(), may_search(google, org).await);
        }
    }
    let gate = Gate::new(SEARCHES_PER_MINUTE, 4, cancel);
    let searches = keys.iter().map(|key| {
        let org = orgs[&segment(key, 1)].clone();
        let ok = org.as_ref().ok().and_then(|o| allowed.get(o));
        let gate = &gate;
        async move { (key.clone(), evaluate(google, gate, org, ok, key).await) }
    });
    let mut out: BTreeMap<String, ProtectedResources> = futures::future::join_all(searches)
        .await
        .into_iter()
        .collect();
    if cancel.load(Ordering::Relaxed) {
        for v in out.values_mut() {
            if matches!(v, ProtectedResources::NotEvaluated { .. }) {
                *v = ProtectedResources::NotEvaluated {
                    why: cancelled().message,
                };
            }
        }
    }
    out
}

/// What else `key` protects, for the key emergency actions' confirmation: the organisation from
/// the key's project, the permission, then the paged search. Never fails.
pub async fn for_key(google: &Google, key: &str) -> ProtectedResources {
    let cancel = AtomicBool::new(false);
    let gate = Gate::new(SEARCHES_PER_MINUTE, 1, &cancel);
    let org = organization_of(google, &segment(key, 1)).await;
    let allowed = match &org {
        Ok(o) => Some(may_search(google, o).await),
        Err(_) => None,
    };
    evaluate(google, &gate, org, allowed.as_ref(), key).await
}

/// Sets [`crate::KeyRow::protected_resources`] on every key row `found` names.
pub fn attach(projects: &mut [ProjectRow], found: &BTreeMap<String, ProtectedResources>) {
    for key in projects.iter_mut().flat_map(|p| p.keys.iter_mut()) {
        key.protected_resources = found.get(&key.name).cloned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_protected_resource_reads_its_versions_and_project_id() {
        let r = resource(&json!({
            "name": "//bigquery.googleapis.com/projects/p/datasets/d",
            "resourceType": "bigquery.googleapis.com/Dataset",
            "project": "projects/123", "projectId": "p", "location": "us-east4",
            "cryptoKeyVersion": "k/cryptoKeyVersions/1",
        }));
        assert_eq!(r.project, "p");
        assert_eq!(r.key_versions, vec!["k/cryptoKeyVersions/1".to_owned()]);
        let bare = resource(&json!({"project": "projects/123"}));
        assert_eq!(bare.project, "projects/123");
        assert!(bare.key_versions.is_empty());
    }
}
