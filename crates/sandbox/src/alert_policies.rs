//! Cloud Monitoring v3 (`{base}/monitoring/v3/...`), read-only:
//! `monitoring.projects.alertPolicies.list`.
//!
//! There is no discovery document for Cloud Monitoring in `specs/`, so neither requests nor
//! responses are schema-validated (see [`crate::router::Service::has_spec`]); the bodies follow
//! the public `AlertPolicy` / `ListAlertPoliciesResponse` REST reference (`alertPolicies[]` with
//! `name`, `displayName`, `enabled`, `combiner`, `conditions[]` holding one of
//! `conditionThreshold` / `conditionMatchedLog` / …; `nextPageToken`). The audit seed stores
//! policies with [`State::add_alert_policy`]; the caller needs `monitoring.alertPolicies.list`
//! on the project (any `.list` role, e.g. `roles/viewer`).

use serde_json::{json, Value};

use crate::auth::{authorize, project_key};
use crate::errors::GError;
use crate::router::{paginate, Req};
use crate::state::State;

const DOMAIN: &str = "monitoring.googleapis.com";

/// (operation id, is_write) for a Cloud Monitoring request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (s.as_slice(), method, verb) {
        (["v3", "projects", _, "alertPolicies"], "GET", None) => {
            Some(("monitoring.projects.alertPolicies.list".into(), false))
        }
        _ => None,
    }
}

/// Handles a routed Cloud Monitoring request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    let project = r.segs[2].clone();
    let pk = project_key(state, &project);
    authorize(
        state,
        &r.member,
        std::slice::from_ref(&pk),
        "monitoring.alertPolicies.list",
        &pk,
        DOMAIN,
    )?;
    let id = state
        .project(&project)
        .map(|p| p.id.clone())
        .unwrap_or(project);
    match op {
        "monitoring.projects.alertPolicies.list" => {
            let items = state.alert_policies.get(&id).cloned().unwrap_or_default();
            Ok(paginate(items, r, "alertPolicies", 100, false))
        }
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("{op} is not implemented by the sandbox"),
        )),
    }
}

impl State {
    /// Stores an alert policy in `project` with one condition per `(kind, filter)`, where kind
    /// is `conditionThreshold` (filter on a metric type, threshold "count > 0"),
    /// `conditionMatchedLog` (log filter) or `conditionAbsent`. Returns its resource name.
    pub fn add_alert_policy(
        &mut self,
        project: &str,
        display_name: &str,
        enabled: bool,
        conditions: &[(&str, &str)],
    ) -> String {
        let id = 7_000_000_000_000_000_000u64 + self.next_counter();
        let name = format!("projects/{project}/alertPolicies/{id}");
        let conds: Vec<Value> = conditions
            .iter()
            .enumerate()
            .map(|(i, (kind, filter))| {
                let body = match *kind {
                    "conditionThreshold" => json!({"filter": filter, "comparison": "COMPARISON_GT", "thresholdValue": 0,
                        "duration": "0s", "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_COUNT"}],
                        "trigger": {"count": 1}}),
                    "conditionAbsent" => json!({"filter": filter, "duration": "300s"}),
                    _ => json!({"filter": filter}),
                };
                let mut c = json!({"name": format!("{name}/conditions/{}", 100 + i), "displayName": format!("{display_name} #{}", i + 1)});
                c[*kind] = body;
                c
            })
            .collect();
        let p = json!({
            "name": name, "displayName": display_name, "combiner": "OR", "enabled": enabled, "conditions": conds,
            "notificationChannels": [format!("projects/{project}/notificationChannels/5550001")],
            "creationRecord": {"mutateTime": "2025-05-02T08:05:00.000000Z", "mutatedBy": "user:kms-ops@example.com"},
            "mutationRecord": {"mutateTime": "2025-05-02T08:05:00.000000Z", "mutatedBy": "user:kms-ops@example.com"},
        });
        self.alert_policies
            .entry(project.to_owned())
            .or_default()
            .push(p);
        name
    }
}
