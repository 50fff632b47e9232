//! Cloud Asset Inventory v1 (`{base}/cloudasset/v1/...`, discovery `cloudasset-v1.json`),
//! read-only: `cloudasset.searchAllResources` and `cloudasset.searchAllIamPolicies` at an
//! organisation, folder or project scope (`v1/{scope}:searchAll…`).
//!
//! What is served: the Cloud KMS resources of every project in the scope (a project is in an
//! organisation or folder scope when its `parent` is that resource) as `ResourceSearchResult`s
//! (`//cloudkms.googleapis.com/…` names, `project: projects/{number}`, `location`, and with
//! `readMask` `*` or `versionedResources` the resource exactly as Cloud KMS returns it in
//! `versionedResources[0].resource`), and every non-empty IAM policy of projects, key rings,
//! crypto keys and service accounts in the scope as `IamPolicySearchResult`s. `assetTypes`
//! filters, `pageSize` (at most 500, the documented maximum) and `pageToken` page; `query` and
//! `orderBy` are not modelled (the app does not send them).
//!
//! The caller needs `cloudasset.assets.searchAllResources` / `…searchAllIamPolicies` on the
//! scope (inherited from the organisation as IAM does). Quotas are modelled by
//! [`crate::inventory_quota`].

use serde_json::{json, Value};

use crate::auth::{authorize, project_key};
use crate::errors::GError;
use crate::inventory_quota::Api;
use crate::router::Req;
use crate::state::State;

/// Asset types of Cloud KMS resources and of the IAM policies served.
pub const KEY_RING: &str = "cloudkms.googleapis.com/KeyRing";
pub const CRYPTO_KEY: &str = "cloudkms.googleapis.com/CryptoKey";
pub const CRYPTO_KEY_VERSION: &str = "cloudkms.googleapis.com/CryptoKeyVersion";
pub const PROJECT: &str = "cloudresourcemanager.googleapis.com/Project";
pub const SERVICE_ACCOUNT: &str = "iam.googleapis.com/ServiceAccount";

const SEARCH_RESOURCES: &str = "cloudasset.searchAllResources";
const SEARCH_POLICIES: &str = "cloudasset.searchAllIamPolicies";

/// (operation id, is_write) for a Cloud Asset request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (s.as_slice(), method, verb) {
        (
            ["v1", "organizations" | "folders" | "projects", _],
            "GET",
            Some("searchAllResources"),
        ) => Some((SEARCH_RESOURCES.into(), false)),
        (
            ["v1", "organizations" | "folders" | "projects", _],
            "GET",
            Some("searchAllIamPolicies"),
        ) => Some((SEARCH_POLICIES.into(), false)),
        _ => None,
    }
}

/// Handles a routed Cloud Asset request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let scope = match r.segs[1].as_str() {
        "projects" => project_key(state, &r.segs[2]),
        kind => format!("{kind}/{}", r.segs[2]),
    };
    let (permission, api) = match op {
        SEARCH_RESOURCES => (
            "cloudasset.assets.searchAllResources",
            Api::SearchAllResources,
        ),
        _ => (
            "cloudasset.assets.searchAllIamPolicies",
            Api::SearchAllIamPolicies,
        ),
    };
    authorize(
        state,
        &r.member,
        std::slice::from_ref(&scope),
        permission,
        &scope,
        "cloudasset.googleapis.com",
    )?;
    let org = organization_of(state, &scope);
    crate::inventory_quota::charge(state, r, api, org.as_deref())?;
    crate::kms_versions::tick(state);
    let types = asset_types(r);
    let wanted = |t: &str| types.is_empty() || types.iter().any(|x| x == t);
    let projects = projects_in(state, &scope);
    let items = if op == SEARCH_RESOURCES {
        let full = r
            .q("readMask")
            .is_some_and(|m| m.split(',').any(|f| f == "*" || f == "versionedResources"));
        // Only the page asked for is rendered: rendering every matching resource for each
        // page made serving O(pages × resources) (docs/performance.md, 10,000 keys).
        let refs = resources(state, &projects, &wanted);
        return Ok(page(refs, r, |(item, number)| {
            item.render(state, number, full)
        }));
    } else {
        policies(state, &projects, &wanted)
    };
    Ok(page(items, r, |v| v))
}

/// The `assetTypes` query values (repeated or comma-separated).
fn asset_types(r: &Req) -> Vec<String> {
    r.query
        .iter()
        .filter(|(k, _)| k == "assetTypes")
        .flat_map(|(_, v)| v.split(','))
        .map(str::to_owned)
        .collect()
}

/// `organizations/N` the scope belongs to (for the per-organisation quota), if known.
fn organization_of(state: &State, scope: &str) -> Option<String> {
    if scope.starts_with("organizations/") {
        return Some(scope.to_owned());
    }
    let id = scope.strip_prefix("projects/")?;
    let parent = &state.project(id)?.parent;
    parent.starts_with("organizations/").then(|| parent.clone())
}

/// (project id, project number) of every project in `scope`.
fn projects_in(state: &State, scope: &str) -> Vec<(String, String)> {
    state
        .projects
        .values()
        .filter(|p| format!("projects/{}", p.id) == scope || p.parent == scope)
        .map(|p| (p.id.clone(), p.number.clone()))
        .collect()
}

/// One page of `items` (`pageSize` default 100, at most 500; `pageToken` = offset), each item
/// of the page rendered by `render`.
fn page<T>(items: Vec<T>, r: &Req, render: impl Fn(T) -> Value) -> Value {
    let size = r
        .q("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(100)
        .min(500);
    let start = r
        .q("pageToken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let n = items.len();
    let rows: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(size)
        .map(render)
        .collect();
    let mut out = json!({});
    if !rows.is_empty() {
        out["results"] = Value::Array(rows);
    }
    if start + size < n {
        out["nextPageToken"] = json!((start + size).to_string());
    }
    out
}

fn kms_result(asset_type: &str, resource: &Value, number: &str, full: bool) -> Value {
    let name = resource["name"].as_str().unwrap_or_default();
    let segs: Vec<&str> = name.split('/').collect();
    let parent = segs[..segs.len().saturating_sub(2)].join("/");
    let mut out = json!({
        "name": format!("//cloudkms.googleapis.com/{name}"),
        "assetType": asset_type,
        "project": format!("projects/{number}"),
        "displayName": segs.last().copied().unwrap_or_default(),
        "location": segs.get(3).copied().unwrap_or("global"),
        "parentFullResourceName": if parent == format!("projects/{}", segs.get(1).copied().unwrap_or_default()) {
            format!("//cloudresourcemanager.googleapis.com/projects/{number}")
        } else {
            format!("//cloudkms.googleapis.com/{parent}")
        },
    });
    if let Some(t) = resource["createTime"].as_str() {
        out["createTime"] = json!(t);
    }
    if let Some(s) = resource["state"].as_str() {
        out["state"] = json!(s);
    }
    if let Some(l) = resource.get("labels").filter(|l| l.is_object()) {
        out["labels"] = l.clone();
    }
    if full {
        out["versionedResources"] = json!([{"version": "v1", "resource": resource}]);
    }
    out
}

fn in_projects<'a>(projects: &'a [(String, String)], name: &str) -> Option<&'a (String, String)> {
    let id = name.split('/').nth(1)?;
    projects.iter().find(|(p, _)| p == id)
}

/// A KMS resource a search matched, rendered only when its page is served.
enum Found<'a> {
    Ring(&'a str),
    Key(&'a str),
    /// (crypto key name, version index)
    Version(&'a str, usize),
}

impl Found<'_> {
    fn render(&self, state: &State, number: &str, full: bool) -> Value {
        match *self {
            Found::Ring(name) => kms_result(KEY_RING, &state.key_rings[name], number, full),
            Found::Key(name) => {
                let k = crate::kms::render_key(state, name).unwrap_or_default();
                kms_result(CRYPTO_KEY, &k, number, full)
            }
            Found::Version(key, i) => {
                kms_result(CRYPTO_KEY_VERSION, &state.versions[key][i], number, full)
            }
        }
    }
}

/// Every matching key ring, key and version (key rings first), with its project number.
fn resources<'a>(
    state: &'a State,
    projects: &'a [(String, String)],
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<(Found<'a>, &'a str)> {
    let mut out = Vec::new();
    if wanted(KEY_RING) {
        for name in state.key_rings.keys() {
            if let Some((_, number)) = in_projects(projects, name) {
                out.push((Found::Ring(name), number.as_str()));
            }
        }
    }
    if wanted(CRYPTO_KEY) {
        for name in state.crypto_keys.keys() {
            if let Some((_, number)) = in_projects(projects, name) {
                out.push((Found::Key(name), number.as_str()));
            }
        }
    }
    if wanted(CRYPTO_KEY_VERSION) {
        for (key, versions) in &state.versions {
            if let Some((_, number)) = in_projects(projects, key) {
                out.extend((0..versions.len()).map(|i| (Found::Version(key, i), number.as_str())));
            }
        }
    }
    out
}

/// The asset type and full resource name of a policy key of the sandbox, when served.
fn policy_asset(resource: &str) -> Option<(&'static str, String)> {
    let segs: Vec<&str> = resource.split('/').collect();
    match segs.as_slice() {
        ["projects", _] => Some((PROJECT, String::new())),
        ["projects", _, "serviceAccounts", _] => {
            Some((SERVICE_ACCOUNT, format!("//iam.googleapis.com/{resource}")))
        }
        ["projects", _, "locations", _, "keyRings", _] => {
            Some((KEY_RING, format!("//cloudkms.googleapis.com/{resource}")))
        }
        ["projects", _, "locations", _, "keyRings", _, "cryptoKeys", _] => {
            Some((CRYPTO_KEY, format!("//cloudkms.googleapis.com/{resource}")))
        }
        _ => None,
    }
}

fn policies(
    state: &State,
    projects: &[(String, String)],
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<Value> {
    let mut names: Vec<&String> = state.policies.keys().collect();
    names.sort();
    let mut out = Vec::new();
    for res in names {
        let Some((asset_type, mut full_name)) = policy_asset(res) else {
            continue;
        };
        let Some((_, number)) = in_projects(projects, res) else {
            continue;
        };
        if !wanted(asset_type) {
            continue;
        }
        let stored = crate::iam_policy::stored_policy(state, res);
        let Some(bindings) = stored["bindings"].as_array().filter(|b| !b.is_empty()) else {
            continue;
        };
        if asset_type == PROJECT {
            full_name = format!("//cloudresourcemanager.googleapis.com/projects/{number}");
        }
        let mut policy = json!({"bindings": bindings});
        if let Some(v) = stored.get("version") {
            policy["version"] = v.clone();
        }
        out.push(json!({
            "resource": full_name,
            "assetType": asset_type,
            "project": format!("projects/{number}"),
            "policy": policy,
        }));
    }
    out
}
