//! Cloud Logging v2 client (`https://logging.googleapis.com/`), read-only: the log-based
//! metrics of a project (`logging.projects.metrics.list`), which the audit reads to find the
//! metrics that count Cloud KMS admin activity (checks A11 and C13).
//!
//! Field names follow the public `LogMetric` reference of the Logging v2 REST API: `name` is
//! the metric id (the `METRIC_ID` of `projects/P/metrics/METRIC_ID`), `filter` an advanced
//! logs filter, `disabled` true when the metric produces no points, and
//! `metricDescriptor.type` the Cloud Monitoring metric type
//! (`logging.googleapis.com/user/METRIC_ID`). Unknown fields are ignored.

use crate::http::{Call, GoogleHttp};
use cmek_core::Result;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// The Cloud Monitoring metric type of a user-defined log-based metric.
pub fn user_metric_type(metric_id: &str) -> String {
    format!("logging.googleapis.com/user/{metric_id}")
}

/// A log-based metric (`google.logging.v2.LogMetric`), the fields the audit reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogMetric {
    /// The metric id (`METRIC_ID`, may contain `/`), not the full resource name.
    pub name: String,
    pub description: Option<String>,
    /// Advanced logs filter selecting the counted entries.
    pub filter: String,
    /// True when the metric is disabled (produces no points).
    pub disabled: bool,
    pub bucket_name: Option<String>,
    pub metric_descriptor: Option<MetricDescriptor>,
}

/// The subset of `google.api.MetricDescriptor` the audit reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricDescriptor {
    /// `logging.googleapis.com/user/METRIC_ID` for user-defined log-based metrics.
    #[serde(rename = "type")]
    pub metric_type: Option<String>,
    pub metric_kind: Option<String>,
    pub value_type: Option<String>,
}

impl LogMetric {
    /// The Cloud Monitoring metric type alert policies use to reference this metric
    /// (`metricDescriptor.type` when sent, else `logging.googleapis.com/user/{name}`).
    pub fn metric_type(&self) -> String {
        self.metric_descriptor
            .as_ref()
            .and_then(|d| d.metric_type.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| user_metric_type(&self.name))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ListLogMetricsResponse {
    metrics: Vec<LogMetric>,
    next_page_token: Option<String>,
}

/// Cloud Logging v2 client (read-only).
#[derive(Clone)]
pub struct LoggingClient {
    http: GoogleHttp,
    base: String,
}

impl LoggingClient {
    pub fn new(http: GoogleHttp, base: &str) -> Self {
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// The same client whose retry and pacing waits end when `token` is cancelled.
    pub fn with_cancel(&self, token: &crate::http::CancellationToken) -> Self {
        Self {
            http: self.http.clone().with_cancel(token.clone()),
            base: self.base.clone(),
        }
    }

    /// `logging.projects.metrics.list` (all pages): `GET v2/projects/{project}/metrics`.
    /// Needs `logging.logMetrics.list` on the project.
    pub async fn list_metrics(&self, project: &str) -> Result<Vec<LogMetric>> {
        let parent = format!("projects/{project}");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, format!("{}v2/{parent}/metrics", self.base))
                .query("pageSize", "100")
                .route("parent", &parent);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: ListLogMetricsResponse = self.http.send(call).await?;
            out.extend(page.metrics);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }
}
