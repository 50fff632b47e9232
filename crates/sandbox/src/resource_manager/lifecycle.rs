//! Resource Manager v1 project lifecycle: `projects.create` (a long-running operation, done on
//! the first poll), `operations.get` and `projects.delete` (lifecycle `DELETE_REQUESTED`), as
//! the recordings `resourcemanager-project-crud` and `resourcemanager-project-iam` show them.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::errors::GError;
use crate::router::Req;
use crate::state::{now_rfc3339, Project, State};

/// Resource Manager data of a project beyond [`Project`]; seeded projects have none.
#[derive(Debug, Clone, Default)]
pub struct ProjectMeta {
    /// `labels` of the project.
    pub labels: Map<String, Value>,
    /// Set by `projects.delete` (lifecycle `DELETE_REQUESTED`).
    pub delete_time: Option<String>,
    /// Principal that created the project through the API. The sandbox does not model folder
    /// and organisation policies, so the creator keeps, on the project, the access through the
    /// parent that let it create the project (the recorded new project's policy is empty).
    pub creator: String,
}

/// `ACTIVE` or `DELETE_REQUESTED` (v1 `lifecycleState`, v3 `state`).
pub(crate) fn lifecycle_state(state: &State, id: &str) -> &'static str {
    match state.project_meta.get(id) {
        Some(m) if m.delete_time.is_some() => "DELETE_REQUESTED",
        _ => "ACTIVE",
    }
}

/// Whether `member` created project `id` through the API (see [`ProjectMeta::creator`]).
pub(crate) fn is_creator(state: &State, id: &str, member: &str) -> bool {
    state
        .project_meta
        .get(id)
        .is_some_and(|m| m.creator == member)
}

fn valid_project_id(id: &str) -> bool {
    let b = id.as_bytes();
    (6..=30).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// `POST v1/projects`: creates the project and returns the operation, which carries only its
/// `name` until polled.
pub(crate) fn create(state: &mut State, r: &Req) -> Result<Value, GError> {
    let id = r.body["projectId"].as_str().unwrap_or_default().to_string();
    if !valid_project_id(&id) {
        return Err(GError::invalid_field(
            "project.project_id",
            format!("Project id '{id}' is invalid: it must be 6 to 30 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."),
        ));
    }
    if state.project(&id).is_some() {
        return Err(GError::already_exists("Requested entity already exists"));
    }
    let (kind, parent_id) = (
        r.body.pointer("/parent/type").and_then(Value::as_str),
        r.body.pointer("/parent/id").and_then(Value::as_str),
    );
    let parent = match (kind, parent_id) {
        (None, None) => String::new(),
        (Some(t @ ("organization" | "folder")), Some(pid)) if !pid.is_empty() => {
            format!("{t}s/{pid}")
        }
        _ => {
            return Err(GError::invalid_field(
                "project.parent",
                "The parent must be an organization or a folder, with an id.",
            ))
        }
    };
    let mut number = String::new();
    while number.is_empty() || state.project(&number).is_some() {
        number = (400_000_000_000 + state.next_counter()).to_string();
    }
    let project = Project {
        id: id.clone(),
        number,
        display_name: r.body["name"].as_str().unwrap_or_default().to_string(),
        parent,
        create_time: now_rfc3339(),
        services: BTreeMap::new(),
    };
    let meta = ProjectMeta {
        labels: r.body["labels"].as_object().cloned().unwrap_or_default(),
        delete_time: None,
        creator: r.member.clone(),
    };
    state.projects.insert(id.clone(), project.clone());
    state.project_meta.insert(id.clone(), meta);
    // A parent id given as a resource name (`organizations/…`) is handed to the v3 backend
    // as is, and the operation comes back in v3 form (recording resourcemanager-project-iam #2,
    // parent `organizations/organizations/…`); a plain id gives the v1 form (…-crud #1).
    let (metadata, response) = if parent_id.is_some_and(|p| p.contains('/')) {
        let mut p = super::v3(state, &project);
        if let Some(o) = p.as_object_mut() {
            o.remove("updateTime");
        }
        p["@type"] = json!("type.googleapis.com/google.cloud.resourcemanager.v3.Project");
        let m = json!({"@type": "type.googleapis.com/google.cloud.resourcemanager.v3.CreateProjectMetadata"});
        (m, p)
    } else {
        let mut p = super::v1(state, &project);
        p["@type"] = json!("type.googleapis.com/google.cloudresourcemanager.v1.Project");
        let m = json!({"@type": "type.googleapis.com/google.cloudresourcemanager.v1.ProjectCreationStatus",
            "gettable": true, "ready": true});
        (m, p)
    };
    let name = format!(
        "operations/cp.{}",
        7_000_000_000_000_000_000 + state.next_counter()
    );
    state.operations.insert(
        name.clone(),
        json!({"name": name, "done": true, "metadata": metadata, "response": response}),
    );
    Ok(json!({"name": name}))
}

/// `GET v1/operations/{id}`.
pub(crate) fn get_operation(state: &State, r: &Req) -> Result<Value, GError> {
    let name = format!("operations/{}", r.segs[2..].join("/"));
    state
        .operations
        .get(&name)
        .filter(|_| name.starts_with("operations/cp."))
        .cloned()
        .ok_or_else(|| GError::not_found(format!("Operation {name} not found.")))
}

/// `DELETE v1/projects/{id}`: marks the project `DELETE_REQUESTED` and answers `{}`.
pub(crate) fn delete(state: &mut State, id: &str) -> Value {
    let meta = state.project_meta.entry(id.to_string()).or_default();
    if meta.delete_time.is_none() {
        meta.delete_time = Some(now_rfc3339());
    }
    json!({})
}
