//! Cloud Logging v2 (`{base}/logging/v2/...`), read-only: `logging.projects.metrics.list`.
//!
//! Requests and responses are validated against the Logging v2 discovery document
//! (`specs/gcp/logging-v2.json`, `logging.projects.metrics.list`); the bodies follow the
//! `LogMetric` / `ListLogMetricsResponse` schemas (`metrics[]` with `name` =
//! metric id, `description`, `filter`, `disabled`, `metricDescriptor`; `nextPageToken`). The
//! audit seed stores metrics with [`State::add_log_metric`]; the caller needs
//! `logging.logMetrics.list` on the project (any `.list` role, e.g. `roles/viewer`).

use serde_json::{json, Value};

use crate::errors::GError;
use crate::project_list::ProjectList;
use crate::router::Req;
use crate::state::State;

const LIST: ProjectList = ProjectList {
    version: "v2",
    collection: "metrics",
    operation: "logging.projects.metrics.list",
    permission: "logging.logMetrics.list",
    domain: "logging.googleapis.com",
    items: |s| &s.log_metrics,
};

/// (operation id, is_write) for a Cloud Logging request.
pub(crate) fn route(method: &str, segs: &[String], verb: Option<&str>) -> Option<(String, bool)> {
    LIST.route(method, segs, verb)
}

/// Handles a routed Cloud Logging request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
    LIST.handle(state, r, op)
}

impl State {
    /// Stores a user-defined counter log-based metric `metric_id` with `filter` in `project`
    /// (as `metrics.create` would: `metricDescriptor.type = logging.googleapis.com/user/{id}`).
    /// `disabled` marks a metric that produces no points.
    pub fn add_log_metric(&mut self, project: &str, metric_id: &str, filter: &str, disabled: bool) {
        let t = format!("logging.googleapis.com/user/{metric_id}");
        let mut m = json!({
            "name": metric_id,
            "description": format!("Counts entries matching: {filter}"),
            "filter": filter,
            "metricDescriptor": {"name": format!("projects/{project}/metricDescriptors/{t}"), "type": t,
                "metricKind": "DELTA", "valueType": "INT64", "unit": "1"},
            "createTime": "2025-05-02T08:00:00.000000Z",
            "updateTime": "2025-05-02T08:00:00.000000Z",
        });
        if disabled {
            m["disabled"] = json!(true);
        }
        self.log_metrics
            .entry(project.to_owned())
            .or_default()
            .push(m);
    }
}
