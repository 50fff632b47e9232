//! IAM v1 service accounts (`{base}/iam/v1/projects/{p}/serviceAccounts...`): create (with the
//! eventual-consistency knob of field report B07), get, list, patch, disable/enable, delete and
//! the service-account IAM policy methods (getIamPolicy is POST here).

use serde_json::{json, Value};

use crate::auth::{authorize, project_key, require_service};
use crate::errors::GError;
use crate::iam_policy::{
    render_for_version, requested_version, set_iam_policy, stored_policy, test_iam_permissions,
};
use crate::router::{paginate, Req};
use crate::state::{SaEntry, State};

const DOMAIN: &str = "iam.googleapis.com";

/// (operation id, is_write) for an IAM request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    if segs.first().map(String::as_str) != Some("v1")
        || segs.get(1).map(String::as_str) != Some("projects")
        || segs.get(3).map(String::as_str) != Some("serviceAccounts")
    {
        return None;
    }
    let m = match (segs.len(), method, verb) {
        (4, "GET", None) => ("list", false),
        (4, "POST", None) => ("create", true),
        (5, "GET", None) => ("get", false),
        (5, "PATCH", None) => ("patch", true),
        (5, "DELETE", None) => ("delete", true),
        (5, "POST", Some("getIamPolicy")) => ("getIamPolicy", false),
        (5, "POST", Some("testIamPermissions")) => ("testIamPermissions", false),
        (5, "POST", Some(v @ ("setIamPolicy" | "disable" | "enable" | "undelete"))) => (v, true),
        _ => return None,
    };
    Some((format!("iam.projects.serviceAccounts.{}", m.0), m.1))
}

/// Policy / authorization key of a service account.
pub(crate) fn sa_resource(project: &str, email: &str) -> String {
    format!("projects/{project}/serviceAccounts/{email}")
}

fn valid_account_id(id: &str) -> bool {
    let b = id.as_bytes();
    (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// Handles a routed IAM request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let p = r.segs[2].clone();
    let method = op.rsplit('.').next().unwrap_or_default();
    if p != "-" {
        require_service(state, &p, "iam.googleapis.com")?;
    }
    if r.segs.len() == 4 {
        let pk = project_key(state, &p);
        let perm = if method == "list" {
            "iam.serviceAccounts.list"
        } else {
            "iam.serviceAccounts.create"
        };
        authorize(
            state,
            &r.member,
            std::slice::from_ref(&pk),
            perm,
            &pk,
            DOMAIN,
        )?;
        return if method == "list" {
            list(state, r, &p)
        } else {
            create(state, r, &p)
        };
    }
    // Resolve the account (email or unique id) without revealing existence before authz.
    let ident = r.segs[4].clone();
    let found = state
        .service_accounts
        .iter()
        .find(|(e, s)| !s.deleted && (**e == ident || s.value["uniqueId"] == ident.as_str()))
        .map(|(e, s)| (e.clone(), s.project.clone()));
    let (email, sa_project) = match &found {
        Some((e, sp)) => (e.clone(), sp.clone()),
        None => (
            ident.clone(),
            if p == "-" {
                ident
                    .split('@')
                    .nth(1)
                    .and_then(|d| d.split('.').next())
                    .unwrap_or("-")
                    .to_string()
            } else {
                p.clone()
            },
        ),
    };
    let res = sa_resource(&sa_project, &email);
    let chain = vec![res.clone(), project_key(state, &sa_project)];
    let perm = match method {
        "patch" => "iam.serviceAccounts.update".to_string(),
        "testIamPermissions" => String::new(),
        m => format!("iam.serviceAccounts.{m}"),
    };
    if !perm.is_empty() {
        authorize(
            state,
            &r.member,
            &chain,
            &perm,
            &format!("projects/{p}/serviceAccounts/{ident}"),
            DOMAIN,
        )?;
    }
    if method == "testIamPermissions" {
        return Ok(test_iam_permissions(state, &r.member, &chain, &r.body));
    }
    let not_found = || GError::not_found("Unknown service account");
    let Some(entry) = state
        .service_accounts
        .get_mut(&email)
        .filter(|s| !s.deleted && (p == "-" || state_project_matches(&s.project, &p)))
    else {
        return Err(not_found());
    };
    match method {
        "get" => {
            if entry.get_misses_left > 0 {
                entry.get_misses_left -= 1;
                return Err(not_found());
            }
            Ok(entry.value.clone())
        }
        "patch" => {
            let mask = r
                .body
                .get("updateMask")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if mask.is_empty() {
                return Err(GError::invalid_field(
                    "update_mask",
                    "Field mask must not be empty.",
                ));
            }
            let src = r.body.get("serviceAccount").cloned().unwrap_or(json!({}));
            // The real response is partial: `name` plus the masked fields (recording).
            let mut partial = json!({"name": entry.value["name"]});
            for f in mask.split(',').map(str::trim) {
                if f != "displayName" && f != "description" {
                    return Err(GError::invalid_field(
                        "update_mask",
                        format!("Invalid update mask path: {f}"),
                    ));
                }
                match src.get(f) {
                    Some(v) => {
                        entry.value[f] = v.clone();
                        partial[f] = v.clone();
                    }
                    None => {
                        if let Some(o) = entry.value.as_object_mut() {
                            o.remove(f);
                        }
                    }
                }
            }
            Ok(partial)
        }
        "disable" => {
            entry.value["disabled"] = json!(true);
            Ok(json!({}))
        }
        "enable" => {
            if let Some(o) = entry.value.as_object_mut() {
                o.remove("disabled");
            }
            Ok(json!({}))
        }
        "delete" => {
            entry.deleted = true;
            let uid = entry.value["uniqueId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            mark_deleted_member(state, &email, &uid);
            Ok(json!({}))
        }
        "getIamPolicy" => Ok(render_for_version(
            &stored_policy(state, &res),
            requested_version(&r.query, &r.body),
        )),
        "setIamPolicy" => set_iam_policy(state, &res, &r.body),
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("{op} is not implemented by the sandbox"),
        )),
    }
}

fn state_project_matches(sa_project: &str, p: &str) -> bool {
    sa_project == p
}

fn list(state: &State, r: &Req, p: &str) -> Result<Value, GError> {
    let id = state
        .project(p)
        .map(|x| x.id.clone())
        .unwrap_or_else(|| p.to_string());
    let items = state
        .service_accounts
        .values()
        .filter(|s| !s.deleted && s.project == id)
        .map(|s| s.value.clone())
        .collect();
    Ok(paginate(items, r, "accounts", 20, false))
}

/// Inserts a service account (used by `create` and the seed).
pub(crate) fn insert_sa(
    state: &mut State,
    project: &str,
    account_id: &str,
    display_name: Option<&str>,
    description: Option<&str>,
    misses: u32,
) -> Value {
    let email = format!("{account_id}@{project}.iam.gserviceaccount.com");
    let n = state.next_counter();
    let unique = format!("1{:020}", 4_213_370_000_000_u64 + n * 7_919);
    let mut v = json!({
        "name": sa_resource(project, &email), "projectId": project, "uniqueId": unique, "email": email,
        "etag": "MDEwMjE5MjA=", "oauth2ClientId": unique,
    });
    if let Some(d) = display_name.filter(|d| !d.is_empty()) {
        v["displayName"] = json!(d);
    }
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        v["description"] = json!(d);
    }
    state.service_accounts.insert(
        email,
        SaEntry {
            value: v.clone(),
            project: project.to_string(),
            get_misses_left: misses,
            deleted: false,
        },
    );
    v
}

fn create(state: &mut State, r: &Req, p: &str) -> Result<Value, GError> {
    let Some(project) = state.project(p).map(|x| x.id.clone()) else {
        return Err(GError::not_found(format!("Project {p} not found.")));
    };
    let account_id = r
        .body
        .get("accountId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !valid_account_id(&account_id) {
        return Err(GError::invalid_field(
            "account_id",
            format!("Invalid account_id '{account_id}': account_id must be 6-30 characters, match [a-z]([-a-z0-9]*[a-z0-9])."),
        ));
    }
    let email = format!("{account_id}@{project}.iam.gserviceaccount.com");
    if state
        .service_accounts
        .get(&email)
        .is_some_and(|s| !s.deleted)
    {
        return Err(GError::already_exists(format!("Service account {account_id} already exists within project projects/{project}."))
            .with_detail(json!({"@type": "type.googleapis.com/google.rpc.ResourceInfo", "resourceName": sa_resource(&project, &email)})));
    }
    let sa = r.body.get("serviceAccount").cloned().unwrap_or(json!({}));
    let misses = state.config.sa_get_not_found_after_create;
    Ok(insert_sa(
        state,
        &project,
        &account_id,
        sa["displayName"].as_str(),
        sa["description"].as_str(),
        misses,
    ))
}

/// After deletion, policies name the account `deleted:serviceAccount:{email}?uid={id}`.
fn mark_deleted_member(state: &mut State, email: &str, uid: &str) {
    let live = format!("serviceAccount:{email}");
    let dead = format!("deleted:serviceAccount:{email}?uid={uid}");
    let resources: Vec<String> = state
        .policies
        .iter()
        .filter(|(_, e)| e.current.to_string().contains(&format!("\"{live}\"")))
        .map(|(k, _)| k.clone())
        .collect();
    for res in resources {
        let mut p = state.iam_policy(&res);
        if let Some(bs) = p.get_mut("bindings").and_then(Value::as_array_mut) {
            for b in bs.iter_mut() {
                if let Some(ms) = b.get_mut("members").and_then(Value::as_array_mut) {
                    for m in ms.iter_mut().filter(|m| **m == live.as_str()) {
                        *m = json!(dead);
                    }
                }
            }
        }
        crate::iam_policy::write_policy(state, &res, p);
    }
}
