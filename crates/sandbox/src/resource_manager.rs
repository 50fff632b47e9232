//! Cloud Resource Manager (`{base}/crm/v1/...` and `{base}/crm/v3/...`): project search/get,
//! v1 create/delete with operation polling (in `lifecycle`) and project IAM policies. Unknown
//! or inaccessible projects answer 403, never 404.

mod lifecycle;

use lifecycle::lifecycle_state;
pub(crate) use lifecycle::{is_creator, ProjectMeta};

use serde_json::{json, Value};

use crate::errors::GError;
use crate::iam_policy::{
    granted, render_for_version, requested_version, set_iam_policy, stored_policy,
    test_iam_permissions,
};
use crate::router::{paginate, Req};
use crate::state::{Project, State};

/// (operation id, is_write) for a Resource Manager request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    if let (["v1", "operations", _, ..], "GET", None) = (s.as_slice(), method, verb) {
        return Some(("cloudresourcemanager.operations.get".into(), false));
    }
    if let (["v3", "folders", _], "GET", None) = (s.as_slice(), method, verb) {
        return Some(("cloudresourcemanager.folders.get".into(), false));
    }
    if let (["v3", kind @ ("organizations" | "folders"), _], "POST", Some("testIamPermissions")) =
        (s.as_slice(), method, verb)
    {
        return Some((
            format!("cloudresourcemanager.{kind}.testIamPermissions"),
            false,
        ));
    }
    let m = match (s.as_slice(), method, verb) {
        (["v3", "projects"], "GET", Some("search")) => ("search", false),
        (["v1", "projects"], "POST", None) => ("create", true),
        (["v1", "projects", _], "DELETE", None) => ("delete", true),
        (["v1" | "v3", "projects"], "GET", None) => ("list", false),
        (["v1" | "v3", "projects", _], "GET", None) => ("get", false),
        (["v1" | "v3", "projects", _], "POST", Some("getIamPolicy")) => ("getIamPolicy", false),
        (["v1" | "v3", "projects", _], "POST", Some("testIamPermissions")) => {
            ("testIamPermissions", false)
        }
        (["v1" | "v3", "projects", _], "POST", Some("setIamPolicy")) => ("setIamPolicy", true),
        _ => return None,
    };
    Some((format!("cloudresourcemanager.projects.{}", m.0), m.1))
}

fn labels(state: &State, p: &Project) -> Option<Value> {
    state
        .project_meta
        .get(&p.id)
        .filter(|m| !m.labels.is_empty())
        .map(|m| Value::Object(m.labels.clone()))
}

pub(super) fn v3(state: &State, p: &Project) -> Value {
    let mut out = json!({
        "name": format!("projects/{}", p.number), "projectId": p.id,
        "state": lifecycle_state(state, &p.id), "displayName": p.display_name,
        "createTime": p.create_time, "etag": "W/\"b1a2c3d4e5f60718\"",
    });
    let meta = state.project_meta.get(&p.id);
    if meta.is_none() {
        out["updateTime"] = json!(p.create_time);
    }
    if let Some(t) = meta.and_then(|m| m.delete_time.clone()) {
        out["deleteTime"] = json!(t);
    }
    if !p.parent.is_empty() {
        out["parent"] = json!(p.parent);
    }
    if let Some(l) = labels(state, p) {
        out["labels"] = l;
    }
    out
}

pub(super) fn v1(state: &State, p: &Project) -> Value {
    let mut out = json!({
        "projectNumber": p.number, "projectId": p.id, "lifecycleState": lifecycle_state(state, &p.id),
        "createTime": p.create_time,
    });
    if !p.display_name.is_empty() {
        out["name"] = json!(p.display_name);
    }
    if let Some((t, id)) = p.parent.split_once('/') {
        out["parent"] = json!({"type": t.trim_end_matches('s'), "id": id});
    }
    if let Some(l) = labels(state, p) {
        out["labels"] = l;
    }
    out
}

fn visible(state: &State, member: &str, p: &Project) -> bool {
    granted(
        state,
        member,
        &[format!("projects/{}", p.id)],
        "resourcemanager.projects.get",
    )
}

fn matches_query(state: &State, p: &Project, q: &str) -> bool {
    let lifecycle = lifecycle_state(state, &p.id);
    q.split_whitespace().all(|term| {
        let Some((k, v)) = term.split_once(':').or_else(|| term.split_once('=')) else {
            return true;
        };
        let v = v.trim_matches('"');
        let field = match k.to_ascii_lowercase().as_str() {
            "id" | "projectid" => p.id.as_str(),
            "displayname" | "name" => p.display_name.as_str(),
            "parent" => p.parent.as_str(),
            "state" | "lifecyclestate" => lifecycle,
            _ => return true,
        };
        match v.strip_suffix('*') {
            Some(prefix) => field.starts_with(prefix),
            None => field == v,
        }
    })
}

/// Handles a routed Resource Manager request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let method = op.rsplit('.').next().unwrap_or_default();
    let is_v1 = r.segs[0] == "v1";
    if op == "cloudresourcemanager.folders.get" {
        return get_folder(state, r);
    }
    if matches!(r.segs[1].as_str(), "organizations" | "folders") {
        // The scope of an organisation- or folder-wide audit: what the caller holds there.
        let res = format!("{}/{}", r.segs[1], r.segs[2]);
        return Ok(test_iam_permissions(state, &r.member, &[res], &r.body));
    }
    match method {
        "create" => return lifecycle::create(state, r),
        "get" if r.segs[1] == "operations" => return lifecycle::get_operation(state, r),
        _ => {}
    }
    if r.segs.len() == 2 {
        let q = r
            .q("query")
            .or_else(|| r.q("filter"))
            .unwrap_or_default()
            .to_string();
        let parent = r.q("parent").map(String::from);
        if method == "list" && !is_v1 && parent.is_none() {
            return Err(GError::invalid_field(
                "parent",
                "Request must specify a parent.",
            ));
        }
        // v3 hides projects pending deletion unless asked for (`showDeleted`, a state query).
        let show_deleted =
            is_v1 || r.q("showDeleted") == Some("true") || q.contains("DELETE_REQUESTED");
        let items: Vec<Value> = state
            .projects
            .values()
            .filter(|p| visible(state, &r.member, p) && matches_query(state, p, &q))
            .filter(|p| show_deleted || lifecycle_state(state, &p.id) == "ACTIVE")
            .filter(|p| parent.as_deref().is_none_or(|x| x == p.parent))
            .map(|p| if is_v1 { v1(state, p) } else { v3(state, p) })
            .collect();
        return Ok(paginate(items, r, "projects", 500, false));
    }
    let Some(project) = state.project(&r.segs[2]).cloned() else {
        return Err(GError::caller_no_permission());
    };
    let res = format!("projects/{}", project.id);
    let perm = match method {
        "get" => "resourcemanager.projects.get",
        "getIamPolicy" => "resourcemanager.projects.getIamPolicy",
        "setIamPolicy" => "resourcemanager.projects.setIamPolicy",
        "delete" => "resourcemanager.projects.delete",
        _ => "",
    };
    if !perm.is_empty() && !granted(state, &r.member, std::slice::from_ref(&res), perm) {
        return Err(GError::caller_no_permission());
    }
    match method {
        "get" => Ok(if is_v1 {
            v1(state, &project)
        } else {
            v3(state, &project)
        }),
        "delete" => Ok(lifecycle::delete(state, &project.id)),
        "getIamPolicy" => Ok(render_for_version(
            &stored_policy(state, &res),
            requested_version(&r.query, &r.body),
        )),
        "setIamPolicy" => {
            let public = r
                .body
                .pointer("/policy/bindings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|b| {
                    b["members"].as_array().is_some_and(|ms| {
                        ms.iter()
                            .any(|m| m == "allUsers" || m == "allAuthenticatedUsers")
                    })
                });
            if public {
                return Err(GError::invalid(
                    "allUsers and allAuthenticatedUsers cannot be added to a project policy.",
                ));
            }
            set_iam_policy(state, &res, &r.body)
        }
        "testIamPermissions" => Ok(test_iam_permissions(state, &r.member, &[res], &r.body)),
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("{op} is not implemented by the sandbox"),
        )),
    }
}

/// `folders.get` (v3): a folder of [`State::add_folder`] with its parent; unknown or not
/// readable (`resourcemanager.folders.get` on the folder or above) answers 403, like projects.
fn get_folder(state: &State, r: &Req) -> Result<Value, GError> {
    let name = format!("folders/{}", r.segs[2]);
    let Some(parent) = state.folders.get(&name) else {
        return Err(GError::caller_no_permission());
    };
    let mut chain = vec![name.clone()];
    let mut up = parent.clone();
    while let Some(next) = state.folders.get(&up) {
        chain.push(std::mem::replace(&mut up, next.clone()));
    }
    chain.push(up);
    if !granted(state, &r.member, &chain, "resourcemanager.folders.get") {
        return Err(GError::caller_no_permission());
    }
    Ok(json!({
        "name": name, "parent": parent, "displayName": r.segs[2], "state": "ACTIVE",
        "createTime": "2025-02-01T09:00:00.000000Z", "etag": "W/\"f1a2c3d4e5f60718\"",
    }))
}

impl State {
    /// Test hook: a folder `folders/{id}` under `parent` (`organizations/…` or `folders/…`).
    pub fn add_folder(&mut self, id: &str, parent: &str) {
        self.folders
            .insert(format!("folders/{id}"), parent.to_owned());
    }

    /// Test hook: moves project `id` under `parent` (`organizations/…` or `folders/…`).
    pub fn set_project_parent(&mut self, id: &str, parent: &str) {
        if let Some(p) = self.projects.get_mut(id) {
            p.parent = parent.to_owned();
        }
    }
}
