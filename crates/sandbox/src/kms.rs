//! Cloud KMS v1 (`{base}/kms/v1/...`): routing, locations, key rings and crypto keys, plus the
//! IAM methods on key rings and keys. Versions live in `kms_versions.rs`.

use serde_json::{json, Value};

use crate::auth::{authorize, check_routing_header, project_key, require_service};
use crate::errors::GError;
use crate::iam_policy::{
    render_for_version, requested_version, set_iam_policy, stored_policy, test_iam_permissions,
};
use crate::kms_versions as kv;
use crate::router::{paginate, Req};
use crate::state::{now_rfc3339, State};

const OP: &str = "cloudkms.projects.locations";
const DOMAIN: &str = "cloudkms.googleapis.com";

/// Locations the fake offers (regions, multi-regions and `global`).
pub const LOCATIONS: &[&str] = &[
    "global",
    "us",
    "europe",
    "asia",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "us-west2",
    "europe-west1",
    "europe-west2",
    "europe-west4",
    "asia-northeast1",
    "asia-southeast1",
];

fn seg_ok(segs: &[String], names: &[(usize, &str)]) -> bool {
    names
        .iter()
        .all(|(i, n)| segs.get(*i).is_some_and(|s| s == n))
}

/// (operation id, is_write) for a KMS request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    if !seg_ok(segs, &[(0, "v1"), (1, "projects"), (3, "locations")]) {
        return None;
    }
    let base = match segs.len() {
        4 | 5 => OP.to_string(),
        6 | 7 if seg_ok(segs, &[(5, "keyRings")]) => format!("{OP}.keyRings"),
        8 | 9 if seg_ok(segs, &[(5, "keyRings"), (7, "cryptoKeys")]) => {
            format!("{OP}.keyRings.cryptoKeys")
        }
        10 | 11
            if seg_ok(
                segs,
                &[(5, "keyRings"), (7, "cryptoKeys"), (9, "cryptoKeyVersions")],
            ) =>
        {
            format!("{OP}.keyRings.cryptoKeys.cryptoKeyVersions")
        }
        _ => return None,
    };
    let is_collection = segs.len().is_multiple_of(2);
    let m = match (is_collection, method, verb) {
        (true, "GET", None) => ("list", false),
        (true, "POST", None) if segs.len() > 4 => ("create", true),
        (false, "GET", None) => ("get", false),
        (false, "PATCH", None) if segs.len() >= 9 => ("patch", true),
        (false, "GET", Some("getIamPolicy")) if segs.len() == 7 || segs.len() == 9 => {
            ("getIamPolicy", false)
        }
        (false, "POST", Some("setIamPolicy")) if segs.len() == 7 || segs.len() == 9 => {
            ("setIamPolicy", true)
        }
        (false, "POST", Some("testIamPermissions")) if segs.len() == 7 || segs.len() == 9 => {
            ("testIamPermissions", false)
        }
        (false, "POST", Some("updatePrimaryVersion")) if segs.len() == 9 => {
            ("updatePrimaryVersion", true)
        }
        (false, "POST", Some("destroy")) if segs.len() == 11 => ("destroy", true),
        (false, "POST", Some("restore")) if segs.len() == 11 => ("restore", true),
        _ => return None,
    };
    Some((format!("{base}.{}", m.0), m.1))
}

/// Authorization chain (resource, parents..., project) for a KMS resource name.
pub(crate) fn chain(state: &State, name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('/').collect();
    let mut out = Vec::new();
    if parts.len() >= 8 {
        out.push(parts[..8].join("/"));
    }
    if parts.len() >= 6 {
        out.push(parts[..6].join("/"));
    }
    out.push(project_key(
        state,
        parts.get(1).copied().unwrap_or_default(),
    ));
    out
}

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Renders a stored key with its live `primary` version, as `cryptoKeys.get` returns it.
pub(crate) fn render_key(state: &State, name: &str) -> Option<Value> {
    let mut k = state.crypto_keys.get(name)?.clone();
    k.as_object_mut()?.remove(PRIMARY_COPY);
    let primary = k.as_object_mut()?.remove("_primaryId");
    if let Some(id) = primary
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<usize>().ok())
    {
        if let Some(v) = state.versions.get(name).and_then(|vs| vs.get(id - 1)) {
            k["primary"] = v.clone();
        }
    }
    Some(k)
}

/// Stored copy of the primary version, as the key last showed it on a read.
const PRIMARY_COPY: &str = "_primaryCopy";

/// Reads refresh the key's copy of its primary version (see [`render_key_as_stored`]).
fn remember_primary(state: &mut State, rendered: &Value) {
    let Some(name) = rendered["name"].as_str() else {
        return;
    };
    if let (Some(k), Some(p)) = (state.crypto_keys.get_mut(name), rendered.get("primary")) {
        k[PRIMARY_COPY] = p.clone();
    }
}

/// The key with `primary` as the key's stored copy: KMS keeps a copy of the primary version
/// on the key (API reference: "A copy of the primary CryptoKeyVersion") that reads refresh,
/// while `cryptoKeys.patch` answers with the stored copy. A version state change since the
/// last read is therefore not in a patch response (recording kms-cryptokey #9 destroys the
/// primary, #10 patches and still shows it ENABLED).
pub(crate) fn render_key_as_stored(state: &State, name: &str) -> Result<Value, GError> {
    let mut k = key(state, name)?;
    let copy = state
        .crypto_keys
        .get(name)
        .and_then(|s| s.get(PRIMARY_COPY))
        .cloned();
    if let Some(c) = copy.filter(|c| c["name"] == k["primary"]["name"]) {
        k["primary"] = c;
    }
    Ok(k)
}

/// Handles a routed KMS request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let project = r.segs[2].clone();
    require_service(state, &project, "cloudkms.googleapis.com")?;
    kv::tick(state);
    let path_name = r.name(1, r.segs.len());
    check_routing_header(r, &path_name)?;
    let method = op.rsplit('.').next().unwrap_or_default();
    let depth = r.segs.len();
    let kind = match depth {
        4 | 5 => "locations",
        6 | 7 => "keyRings",
        8 | 9 => "cryptoKeys",
        _ => "cryptoKeyVersions",
    };
    let perm = match method {
        "patch" | "updatePrimaryVersion" => format!("cloudkms.{kind}.update"),
        "testIamPermissions" => String::new(),
        m => format!("cloudkms.{kind}.{m}"),
    };
    // create/list are checked on the parent; others on the resource itself.
    let is_collection = depth.is_multiple_of(2);
    let auth_res = if is_collection {
        r.name(1, depth - 1)
    } else {
        path_name.clone()
    };
    if !perm.is_empty() {
        authorize(
            state,
            &r.member,
            &chain(state, &auth_res),
            &perm,
            &auth_res,
            DOMAIN,
        )?;
    }
    match (kind, method) {
        ("locations", "list") => {
            let items = LOCATIONS.iter().map(|l| location(&project, l)).collect();
            Ok(paginate(items, r, "locations", 100, false))
        }
        ("locations", "get") => {
            let l = &r.segs[4];
            if !LOCATIONS.contains(&l.as_str()) {
                return Err(GError::not_found(format!(
                    "Location {path_name} not found."
                )));
            }
            Ok(location(&project, l))
        }
        ("keyRings", "create") => create_key_ring(state, r, &auth_res),
        ("keyRings", "list") => {
            let prefix = format!("{auth_res}/keyRings/");
            let items = state
                .key_rings
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(_, v)| v.clone())
                .collect();
            Ok(paginate(items, r, "keyRings", 1000, true))
        }
        ("keyRings", "get") => key_ring(state, &path_name).cloned(),
        ("cryptoKeys", "create") => {
            key_ring(state, &auth_res)?;
            crate::kms_keys::create_key(state, r, &auth_res)
        }
        ("cryptoKeys", "list") => {
            key_ring(state, &auth_res)?;
            let prefix = format!("{auth_res}/cryptoKeys/");
            let names: Vec<String> = state
                .crypto_keys
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            let items: Vec<Value> = names.iter().filter_map(|n| render_key(state, n)).collect();
            items.iter().for_each(|k| remember_primary(state, k));
            Ok(paginate(items, r, "cryptoKeys", 1000, true))
        }
        ("cryptoKeys", "get") => {
            let k = key(state, &path_name)?;
            remember_primary(state, &k);
            Ok(k)
        }
        ("cryptoKeys", "patch") => crate::kms_keys::patch_key(state, r, &path_name),
        ("cryptoKeys", "updatePrimaryVersion") => kv::update_primary(state, r, &path_name),
        ("keyRings" | "cryptoKeys", "getIamPolicy") => {
            exists(state, kind, &path_name)?;
            Ok(render_for_version(
                &stored_policy(state, &path_name),
                requested_version(&r.query, &r.body),
            ))
        }
        ("keyRings" | "cryptoKeys", "setIamPolicy") => {
            exists(state, kind, &path_name)?;
            set_iam_policy(state, &path_name, &r.body)
        }
        ("keyRings" | "cryptoKeys", "testIamPermissions") => Ok(test_iam_permissions(
            state,
            &r.member,
            &chain(state, &path_name),
            &r.body,
        )),
        ("cryptoKeyVersions", _) => kv::handle(state, r, method, &path_name, &auth_res),
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("{op} is not implemented by the sandbox"),
        )),
    }
}

fn exists(state: &State, kind: &str, name: &str) -> Result<(), GError> {
    if kind == "keyRings" {
        key_ring(state, name).map(|_| ())
    } else {
        key(state, name).map(|_| ())
    }
}

fn location(project: &str, l: &str) -> Value {
    json!({
        "name": format!("projects/{project}/locations/{l}"),
        "locationId": l,
        "displayName": l,
        "labels": {"cloud.googleapis.com/region": l},
        "metadata": {"@type": "type.googleapis.com/google.cloud.kms.v1.LocationMetadata",
            "hsmAvailable": true, "ekmAvailable": l != "global"}
    })
}

fn key_ring<'a>(state: &'a State, name: &str) -> Result<&'a Value, GError> {
    state
        .key_rings
        .get(name)
        .ok_or_else(|| GError::not_found(format!("KeyRing {name} not found.")))
}

pub(crate) fn key(state: &State, name: &str) -> Result<Value, GError> {
    render_key(state, name).ok_or_else(|| GError::not_found(format!("CryptoKey {name} not found.")))
}

fn create_key_ring(state: &mut State, r: &Req, parent: &str) -> Result<Value, GError> {
    let id = r.q("keyRingId").unwrap_or_default();
    if !valid_id(id) {
        return Err(GError::invalid_field("key_ring_id", format!("Invalid resource id: '{id}'. The id must match the regular expression [a-zA-Z0-9_-]{{1,63}}.")));
    }
    let loc = r.segs[4].as_str();
    if !LOCATIONS.contains(&loc) {
        return Err(GError::invalid(format!("Invalid location: {loc}")));
    }
    let name = format!("{parent}/keyRings/{id}");
    if state.key_rings.contains_key(&name) {
        return Err(GError::already_exists(format!(
            "KeyRing {name} already exists."
        )));
    }
    let v = json!({"name": name, "createTime": now_rfc3339()});
    state.key_rings.insert(name, v.clone());
    Ok(v)
}
