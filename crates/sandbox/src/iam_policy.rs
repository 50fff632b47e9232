//! IAM policies for every resource kind (key rings, keys, service accounts, projects):
//! etag-checked read-modify-write, version 1/3 handling, member validation (field report B08)
//! and the *effective* (propagated) view used for authorization and CockroachDB's checks.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::errors::GError;
use crate::roles::role_grants;
use crate::state::{PolicyEntry, State};

/// Etag of a policy that was never written.
pub const EMPTY_ETAG: &str = "ACAB";

/// Current stored policy of `resource` (`{"etag":"ACAB"}` if never written).
pub(crate) fn stored_policy(state: &State, resource: &str) -> Value {
    state
        .policies
        .get(resource)
        .map(|e| e.current.clone())
        .unwrap_or_else(|| json!({"etag": EMPTY_ETAG}))
}

fn has_conditions(p: &Value) -> bool {
    bindings(p).iter().any(|b| b.get("condition").is_some())
}

fn bindings(p: &Value) -> Vec<Value> {
    p.get("bindings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Normalises a policy: dedupes members, drops empty bindings, sets version 1 or 3.
fn normalise(policy: &Value) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for b in bindings(policy) {
        let mut members: Vec<String> = Vec::new();
        for m in b
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(m) = m.as_str() {
                if !members.iter().any(|x| x == m) {
                    members.push(m.to_string());
                }
            }
        }
        if members.is_empty() {
            continue;
        }
        let mut nb =
            json!({"role": b.get("role").cloned().unwrap_or(Value::Null), "members": members});
        if let Some(c) = b.get("condition") {
            nb["condition"] = c.clone();
        }
        out.push(nb);
    }
    // A written policy always carries a version (1 unless it has conditions), even when it
    // has no bindings left (recording kms-cryptokey-iam #11/#12); only a never-written policy
    // is the bare `{"etag":"ACAB"}`.
    let cond = out.iter().any(|b| b.get("condition").is_some());
    let mut p = json!({"version": if cond { 3 } else { 1 }});
    if !out.is_empty() {
        p["bindings"] = Value::Array(out);
    }
    if let Some(a) = policy
        .get("auditConfigs")
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
    {
        p["auditConfigs"] = a.clone();
    }
    p
}

/// Writes a policy unconditionally (new etag, recorded for propagation). Returns it.
pub(crate) fn write_policy(state: &mut State, resource: &str, policy: Value) -> Value {
    let n = state.next_counter();
    let mut p = normalise(&policy);
    let etag = base64::engine::general_purpose::STANDARD.encode(format!("BwY{n:08}"));
    p["etag"] = json!(etag);
    let now = Instant::now();
    let entry = state
        .policies
        .entry(resource.to_string())
        .or_insert_with(|| PolicyEntry {
            current: json!({}),
            history: Vec::new(),
        });
    entry.current = p.clone();
    entry.history.push((now, p.clone()));
    p
}

/// Seeds a policy that is already effective (written "long ago").
pub(crate) fn seed_policy(state: &mut State, resource: &str, policy: Value) {
    write_policy(state, resource, policy);
    if let Some(e) = state.policies.get_mut(resource) {
        let past = state
            .epoch
            .checked_sub(Duration::from_secs(86_400))
            .unwrap_or(state.epoch);
        for h in &mut e.history {
            h.0 = past;
        }
    }
}

/// Renders a stored policy for getIamPolicy with `requested_version`.
pub(crate) fn render_for_version(policy: &Value, requested_version: i64) -> Value {
    if requested_version >= 3 || !has_conditions(policy) {
        return policy.clone();
    }
    // Google rewrites conditional bindings for old clients: role suffix, condition dropped.
    let mut p = policy.clone();
    let bs: Vec<Value> = bindings(policy)
        .into_iter()
        .map(|mut b| {
            if b.get("condition").is_some() {
                let role = b["role"].as_str().unwrap_or_default().to_string();
                b["role"] = json!(format!("{role}_withcond_{:016x}", role.len() * 7919));
                if let Some(o) = b.as_object_mut() {
                    o.remove("condition");
                }
            }
            b
        })
        .collect();
    p["bindings"] = Value::Array(bs);
    p["version"] = json!(1);
    p
}

/// Whether a service-account email exists (sandbox SAs + CockroachDB principals).
pub(crate) fn service_account_known(state: &State, email: &str) -> bool {
    state
        .service_accounts
        .get(email)
        .is_some_and(|s| !s.deleted)
        || state.external_service_accounts.iter().any(|e| e == email)
}

/// Project of a user-managed service-account email (`name@PROJECT.iam.gserviceaccount.com`).
fn service_account_project(email: &str) -> Option<&str> {
    email
        .split_once('@')?
        .1
        .strip_suffix(".iam.gserviceaccount.com")
}

/// Whether the sandbox simulates the IAM of `project`: its own projects and the CockroachDB
/// account projects (of its GCP clusters and known CockroachDB principals). Only there can it
/// tell that a service account does not exist; elsewhere Google accepts the member
/// (recordings kms-keyring-iam #4, kms-cryptokey-iam #7 grant `test-sa@test-project`).
fn simulates_project(state: &State, project: &str) -> bool {
    state.project(project).is_some()
        || state
            .clusters
            .values()
            .any(|c| c["cloud_provider"] == "GCP" && c["account_id"] == project)
        || state
            .external_service_accounts
            .iter()
            .any(|e| service_account_project(e) == Some(project))
}

/// Whether a `serviceAccount:` member must be rejected as missing (field report B08).
fn service_account_missing(state: &State, email: &str) -> bool {
    service_account_project(email).is_some_and(|p| simulates_project(state, p))
        && !service_account_known(state, email)
}

fn validate_members(state: &State, policy: &Value) -> Result<(), GError> {
    for b in bindings(policy) {
        let role = b.get("role").and_then(Value::as_str).unwrap_or_default();
        if !role.starts_with("roles/")
            && !role.starts_with("projects/")
            && !role.starts_with("organizations/")
        {
            return Err(GError::invalid(format!(
                "Role {role} is not supported for this resource."
            )));
        }
        for m in b
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let m = m.as_str().unwrap_or_default();
            if let Some(email) = m.strip_prefix("serviceAccount:") {
                if service_account_missing(state, email) {
                    return Err(GError::invalid(format!(
                        "Service account {email} does not exist."
                    )));
                }
            } else if ![
                "user:",
                "group:",
                "domain:",
                "deleted:",
                "principal://",
                "principalSet://",
            ]
            .iter()
            .any(|p| m.starts_with(p))
                && m != "allUsers"
                && m != "allAuthenticatedUsers"
            {
                return Err(GError::invalid(format!("Invalid principal: {m}")));
            }
        }
    }
    Ok(())
}

/// `setIamPolicy` semantics shared by all services. `body` = `SetIamPolicyRequest`.
pub(crate) fn set_iam_policy(
    state: &mut State,
    resource: &str,
    body: &Value,
) -> Result<Value, GError> {
    let Some(policy) = body.get("policy").filter(|p| p.is_object()) else {
        return Err(GError::invalid_field(
            "policy",
            "Invalid JSON payload: 'policy' is required.",
        ));
    };
    if std::mem::take(&mut state.concurrent_writer_armed) {
        // A fault plan's other writer edits this policy between the client's read and write.
        let role = if resource.contains("/serviceAccounts/") {
            "roles/iam.serviceAccountUser"
        } else if resource.contains("/keyRings/") {
            "roles/cloudkms.viewer"
        } else {
            "roles/viewer"
        };
        let member = format!("user:colleague-{}@example.com", state.next_counter());
        state.concurrent_write(resource, role, &member);
    }
    let version = policy.get("version").and_then(Value::as_i64).unwrap_or(0);
    if has_conditions(policy) && version < 3 {
        return Err(GError::invalid_field(
            "policy.version",
            "Invalid policy: policies with conditional role bindings must specify version 3.",
        ));
    }
    let current = stored_policy(state, resource);
    if let Some(sent) = policy.get("etag").and_then(Value::as_str) {
        let cur = current["etag"].as_str().unwrap_or(EMPTY_ETAG);
        if sent != cur {
            return Err(GError::new(
                409,
                "ABORTED",
                format!("There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '{sent}' did not match the current policy's ETag '{cur}'."),
            ));
        }
    }
    validate_members(state, policy)?;
    let mask = body
        .get("updateMask")
        .and_then(Value::as_str)
        .unwrap_or("bindings,etag");
    let mut new_policy = current.clone();
    if mask.split(',').any(|f| f.trim() == "bindings") {
        new_policy["bindings"] = policy.get("bindings").cloned().unwrap_or(json!([]));
    }
    if mask.split(',').any(|f| f.trim() == "auditConfigs") {
        new_policy["auditConfigs"] = policy.get("auditConfigs").cloned().unwrap_or(json!([]));
    }
    Ok(write_policy(state, resource, new_policy))
}

/// The policy that is *effective* now (the latest write older than the propagation delay).
pub(crate) fn effective_policy(state: &State, resource: &str) -> Value {
    let prop = state.config.iam_propagation;
    let now = Instant::now();
    state
        .policies
        .get(resource)
        .and_then(|e| {
            e.history
                .iter()
                .rev()
                .find(|(t, _)| *t + prop <= now)
                .map(|(_, p)| p.clone())
        })
        .unwrap_or_else(|| json!({}))
}

/// Whether `member` holds `permission` through the effective policies of `chain`
/// (resource first, then its parents; a project's folder or organisation is added, as IAM
/// inherits from it). Conditional bindings are not evaluated and never grant.
pub(crate) fn granted(state: &State, member: &str, chain: &[String], permission: &str) -> bool {
    let parents = chain.iter().filter_map(|res| {
        let id = res
            .strip_prefix("projects/")
            .filter(|id| !id.contains('/'))?;
        state.project(id).map(|p| p.parent.clone())
    });
    let chain: Vec<String> = chain.iter().cloned().chain(parents).collect();
    let created = chain.iter().any(|res| {
        res.strip_prefix("projects/")
            .is_some_and(|id| crate::resource_manager::is_creator(state, id, member))
    });
    created
        || chain.iter().any(|res| {
            bindings(&effective_policy(state, res)).iter().any(|b| {
                b.get("condition").is_none()
                    && role_grants(b["role"].as_str().unwrap_or_default(), permission)
                    && b["members"].as_array().is_some_and(|ms| {
                        ms.iter()
                            .any(|m| m == member || m == "allUsers" || m == "allAuthenticatedUsers")
                    })
            })
        })
}

/// `testIamPermissions`: the subset of `body.permissions` that `member` holds.
pub(crate) fn test_iam_permissions(
    state: &State,
    member: &str,
    chain: &[String],
    body: &Value,
) -> Value {
    let held: Vec<Value> = body
        .get("permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.as_str().is_some_and(|p| granted(state, member, chain, p)))
        .cloned()
        .collect();
    if held.is_empty() {
        json!({})
    } else {
        json!({"permissions": held})
    }
}

/// Adds `member` to the unconditional binding of `role` (creating it).
pub(crate) fn add_member(policy: &mut Value, role: &str, member: &str) {
    let mut bs = bindings(policy);
    if let Some(b) = bs
        .iter_mut()
        .find(|b| b["role"] == role && b.get("condition").is_none())
    {
        if let Some(ms) = b["members"].as_array_mut() {
            if !ms.iter().any(|m| m == member) {
                ms.push(json!(member));
            }
        }
    } else {
        bs.push(json!({"role": role, "members": [member]}));
    }
    policy["bindings"] = Value::Array(bs);
}

/// Removes `member` from every binding of `role`.
pub(crate) fn remove_member(policy: &mut Value, role: &str, member: &str) {
    let mut bs = bindings(policy);
    for b in bs.iter_mut().filter(|b| b["role"] == role) {
        if let Some(ms) = b["members"].as_array_mut() {
            ms.retain(|m| m != member);
        }
    }
    policy["bindings"] = Value::Array(bs);
}

/// Requested policy version from `options.requestedPolicyVersion` (query or body).
pub(crate) fn requested_version(query: &[(String, String)], body: &Value) -> i64 {
    query
        .iter()
        .find(|(k, _)| k == "options.requestedPolicyVersion")
        .and_then(|(_, v)| v.parse().ok())
        .or_else(|| {
            body.pointer("/options/requestedPolicyVersion")
                .and_then(Value::as_i64)
        })
        .unwrap_or(0)
}
