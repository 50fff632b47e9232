//! Service Usage v1 (`{base}/serviceusage/v1/...`): services get/batchGet/list/enable/
//! batchEnable/disable with long-running operations that are done on the first poll.

use serde_json::{json, Value};

use crate::auth::{authorize, project_key, service_title};
use crate::errors::GError;
use crate::router::{paginate, Req};
use crate::state::State;

const DOMAIN: &str = "serviceusage.googleapis.com";

/// (operation id, is_write) for a Service Usage request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = match (s.as_slice(), method, verb) {
        (["v1", "operations", ..], "GET", None) if s.len() >= 3 => {
            return Some(("serviceusage.operations.get".into(), false))
        }
        (["v1", "projects", _, "services"], "GET", None) => ("list", false),
        (["v1", "projects", _, "services"], "GET", Some("batchGet")) => ("batchGet", false),
        (["v1", "projects", _, "services"], "POST", Some("batchEnable")) => ("batchEnable", true),
        (["v1", "projects", _, "services", _], "GET", None) => ("get", false),
        (["v1", "projects", _, "services", _], "POST", Some(v @ ("enable" | "disable"))) => {
            (v, true)
        }
        _ => return None,
    };
    Some((format!("serviceusage.services.{}", m.0), m.1))
}

fn service_json(number: &str, svc: &str, enabled: bool) -> Value {
    let mut s = op_service_json(number, svc, enabled);
    s["config"] = json!({"name": svc, "title": service_title(svc)});
    s
}

/// A service as an operation's response carries it: without `config` (recording
/// serviceusage-service-crud #1, #3).
fn op_service_json(number: &str, svc: &str, enabled: bool) -> Value {
    json!({
        "name": format!("projects/{number}/services/{svc}"),
        "parent": format!("projects/{number}"),
        "state": if enabled { "ENABLED" } else { "DISABLED" },
    })
}

/// Handles a routed Service Usage request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    if op == "serviceusage.operations.get" {
        let name = format!("operations/{}", r.segs[2..].join("/"));
        if name == "operations/noop.DONE_OPERATION" {
            return Err(GError::invalid(format!("Invalid operation name: {name}")));
        }
        return state
            .operations
            .get(&name)
            .cloned()
            .ok_or_else(|| GError::not_found(format!("Operation {name} not found.")));
    }
    let p = r.segs[2].clone();
    let method = op.rsplit('.').next().unwrap_or_default();
    let perm = match method {
        "batchGet" => "serviceusage.services.get".to_string(),
        "batchEnable" => "serviceusage.services.enable".to_string(),
        m => format!("serviceusage.services.{m}"),
    };
    let pk = project_key(state, &p);
    let target = if r.segs.len() == 5 {
        format!("projects/{p}/services/{}", r.segs[4])
    } else {
        format!("projects/{p}")
    };
    authorize(state, &r.member, &[pk], &perm, &target, DOMAIN)?;
    let Some(project) = state.project(&p).cloned() else {
        return Err(GError::caller_no_permission());
    };
    let num = project.number.clone();
    match method {
        "get" => Ok(service_json(
            &num,
            &r.segs[4],
            state.service_enabled(&p, &r.segs[4]),
        )),
        "batchGet" => {
            let names: Vec<&String> = r
                .query
                .iter()
                .filter(|(k, _)| k == "names")
                .map(|(_, v)| v)
                .collect();
            if names.is_empty() || names.len() > 30 {
                return Err(GError::invalid_field(
                    "names",
                    "Between 1 and 30 service names must be given.",
                ));
            }
            let items: Vec<Value> = names
                .iter()
                .map(|n| {
                    let svc = n.rsplit('/').next().unwrap_or_default();
                    service_json(&num, svc, state.service_enabled(&p, svc))
                })
                .collect();
            Ok(json!({"services": items}))
        }
        "list" => {
            let only_enabled = r.q("filter").is_some_and(|f| f.contains("state:ENABLED"));
            let items = project
                .services
                .iter()
                .filter(|(_, e)| !only_enabled || **e)
                .map(|(s, e)| service_json(&num, s, *e))
                .collect();
            Ok(paginate(items, r, "services", 50, false))
        }
        "enable" | "disable" => {
            let svc = r.segs[4].clone();
            let want = method == "enable";
            if state.service_enabled(&p, &svc) == want {
                return Ok(json!({"name": "operations/noop.DONE_OPERATION", "done": true}));
            }
            state.set_service_enabled(&p, &svc, want);
            let kind = if want {
                "EnableServiceResponse"
            } else {
                "DisableServiceResponse"
            };
            // Single-service operations carry an empty metadata (recording #3).
            Ok(new_operation(
                state,
                &num,
                json!({"@type": "type.googleapis.com/google.protobuf.Empty", "value": {}}),
                json!({"@type": format!("type.googleapis.com/google.api.serviceusage.v1.{kind}"), "service": op_service_json(&num, &svc, want)}),
            ))
        }
        "batchEnable" => {
            let ids: Vec<String> = r
                .body
                .get("serviceIds")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            if ids.is_empty() || ids.len() > 20 {
                return Err(GError::invalid_field(
                    "service_ids",
                    "Between 1 and 20 service ids must be given.",
                ));
            }
            for s in &ids {
                state.set_service_enabled(&p, s, true);
            }
            let services: Vec<Value> = ids.iter().map(|s| op_service_json(&num, s, true)).collect();
            Ok(new_operation(
                state,
                &num,
                json!({"@type": "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata"}),
                json!({"@type": "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse", "services": services}),
            ))
        }
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("{op} is not implemented by the sandbox"),
        )),
    }
}

/// Stores a finished LRO (visible as done on the first poll, with `metadata`) and returns the
/// initial view, which is the bare operation name (recording serviceusage-service-crud #0, #2).
fn new_operation(state: &mut State, number: &str, metadata: Value, response: Value) -> Value {
    let name = format!("operations/acat.p2-{number}-{}", uuid::Uuid::new_v4());
    state.operations.insert(
        name.clone(),
        json!({"name": name, "done": true, "metadata": metadata, "response": response}),
    );
    json!({"name": name})
}
