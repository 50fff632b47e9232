//! Cloud Monitoring v3 client (`https://monitoring.googleapis.com/`), read-only: the alert
//! policies of a project (`monitoring.projects.alertPolicies.list`), which the audit reads to
//! find alerts on Cloud KMS admin activity (checks A11 and C13).
//!
//! Field names follow the public `AlertPolicy` reference of the Monitoring v3 REST API: `name`
//! (`projects/P/alertPolicies/ID`), `displayName`, `enabled` (always populated on list;
//! unset means enabled on write), `combiner`, and `conditions[]` with exactly one of
//! `conditionThreshold` / `conditionAbsent` (`filter` on a metric type), `conditionMatchedLog`
//! (`filter` on log entries), `conditionMonitoringQueryLanguage` /
//! `conditionPrometheusQueryLanguage` (`query`). Unknown fields are ignored.

use crate::http::{Call, GoogleHttp};
use cmek_core::Result;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// An alert policy (`google.monitoring.v3.AlertPolicy`), the fields the audit reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertPolicy {
    /// `projects/P/alertPolicies/ID`.
    pub name: String,
    pub display_name: Option<String>,
    /// `None` when not sent (the API populates it on list).
    pub enabled: Option<bool>,
    pub combiner: Option<String>,
    pub conditions: Vec<AlertCondition>,
    pub notification_channels: Vec<String>,
}

/// One condition of an alert policy (one of the `condition*` fields is set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertCondition {
    pub name: Option<String>,
    pub display_name: Option<String>,
    /// `MetricThreshold`: `filter` selects the time series (e.g. `metric.type="…"`).
    pub condition_threshold: Option<FilterCondition>,
    /// `MetricAbsence`: fires when data stops (not an alarm on events).
    pub condition_absent: Option<FilterCondition>,
    /// `LogMatch`: a log-based alert on entries matching `filter`.
    pub condition_matched_log: Option<FilterCondition>,
    pub condition_monitoring_query_language: Option<QueryCondition>,
    pub condition_prometheus_query_language: Option<QueryCondition>,
}

/// The `filter` of a threshold, absence or log-match condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FilterCondition {
    pub filter: String,
}

/// The `query` of an MQL or PromQL condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryCondition {
    pub query: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ListAlertPoliciesResponse {
    alert_policies: Vec<AlertPolicy>,
    next_page_token: Option<String>,
}

/// Cloud Monitoring v3 client (read-only).
#[derive(Clone)]
pub struct MonitoringClient {
    http: GoogleHttp,
    base: String,
}

impl MonitoringClient {
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

    /// `monitoring.projects.alertPolicies.list` (all pages): `GET v3/projects/{project}/alertPolicies`.
    /// Needs `monitoring.alertPolicies.list` on the project.
    pub async fn list_alert_policies(&self, project: &str) -> Result<Vec<AlertPolicy>> {
        let name = format!("projects/{project}");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, format!("{}v3/{name}/alertPolicies", self.base))
                .query("pageSize", "100")
                .route("name", &name);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: ListAlertPoliciesResponse = self.http.send(call).await?;
            out.extend(page.alert_policies);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }
}
