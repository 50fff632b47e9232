//! Cloud Monitoring v3 (`{base}/monitoring/v3/...`), read-only:
//! `monitoring.projects.alertPolicies.list`.
//!
//! Requests and responses are validated against the Monitoring v3 discovery document
//! (`specs/gcp/monitoring-v3.json`, `monitoring.projects.alertPolicies.list`); the bodies follow
//! the `AlertPolicy` / `ListAlertPoliciesResponse` schemas (`alertPolicies[]` with
//! `name`, `displayName`, `enabled`, `combiner`, `conditions[]` holding one of
//! `conditionThreshold` / `conditionMatchedLog` / …; `nextPageToken`). The audit seed stores
//! policies with [`State::add_alert_policy`]; the caller needs `monitoring.alertPolicies.list`
//! on the project (any `.list` role, e.g. `roles/viewer`).

use serde_json::{json, Value};

use crate::errors::GError;
use crate::project_list::ProjectList;
use crate::router::Req;
use crate::state::State;

const LIST: ProjectList = ProjectList {
    version: "v3",
    collection: "alertPolicies",
    operation: "monitoring.projects.alertPolicies.list",
    permission: "monitoring.alertPolicies.list",
    domain: "monitoring.googleapis.com",
    items: |s| &s.alert_policies,
};

/// (operation id, is_write) for a Cloud Monitoring request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    LIST.route(method, segs, verb)
}

/// Handles a routed Cloud Monitoring request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    LIST.handle(state, r, op)
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
