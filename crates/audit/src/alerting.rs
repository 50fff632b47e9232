//! The alerting side of the inventory (checks A11 and C13): per project, the Cloud Logging
//! log-based metrics (`logging.projects.metrics.list`) and the Cloud Monitoring alert policies
//! (`monitoring.projects.alertPolicies.list`), read next to the Cloud KMS inventory.
//!
//! These are not Cloud KMS calls: like the project IAM policy read, they bypass the per-project
//! Cloud KMS limiter (their quotas are separate), stop on cancel, and are two list calls per
//! project (paged). A failure here — typically 403 without `logging.logMetrics.list` or
//! `monitoring.alertPolicies.list` — never fails the project's key inventory: it is kept on
//! [`AlertingInventory`] as evidence and the checks report "could not evaluate".

use crate::inventory::{cancelled, until_cancelled};
use cmek_core::{Error, Result};
use cmek_gcp::monitoring::AlertPolicy;
use cmek_gcp::Google;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::AtomicBool;
use ts_rs::TS;

/// One log-based metric.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogMetricRow {
    /// Metric id (`METRIC_ID` of `projects/P/metrics/METRIC_ID`).
    pub name: String,
    /// Type alert policies reference (`logging.googleapis.com/user/METRIC_ID`).
    pub metric_type: String,
    pub filter: String,
    pub disabled: bool,
    pub description: Option<String>,
}

/// One condition of an alert policy: its kind and the filter (or MQL/PromQL query) it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AlertConditionRow {
    pub display_name: Option<String>,
    /// `conditionThreshold`, `conditionAbsent`, `conditionMatchedLog`,
    /// `conditionMonitoringQueryLanguage`, `conditionPrometheusQueryLanguage` or `unknown`.
    pub kind: String,
    pub filter: String,
}

/// One alert policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AlertPolicyRow {
    /// `projects/P/alertPolicies/ID`.
    pub name: String,
    pub display_name: Option<String>,
    /// As sent; `None` when absent (treated as enabled, the API's default on write).
    pub enabled: Option<bool>,
    pub conditions: Vec<AlertConditionRow>,
}

/// Metrics and alert policies of one project, with the error of each read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AlertingInventory {
    pub metrics: Vec<LogMetricRow>,
    pub alert_policies: Vec<AlertPolicyRow>,
    /// Error of `logging.projects.metrics.list` (e.g. 403: no `logging.logMetrics.list`).
    pub metrics_error: Option<Error>,
    /// Error of `monitoring.projects.alertPolicies.list` (e.g. 403: no `monitoring.alertPolicies.list`).
    pub policies_error: Option<Error>,
}

fn condition_row(c: &cmek_gcp::monitoring::AlertCondition) -> AlertConditionRow {
    let (kind, filter) = if let Some(f) = &c.condition_threshold {
        ("conditionThreshold", f.filter.clone())
    } else if let Some(f) = &c.condition_matched_log {
        ("conditionMatchedLog", f.filter.clone())
    } else if let Some(f) = &c.condition_absent {
        ("conditionAbsent", f.filter.clone())
    } else if let Some(q) = &c.condition_monitoring_query_language {
        ("conditionMonitoringQueryLanguage", q.query.clone())
    } else if let Some(q) = &c.condition_prometheus_query_language {
        ("conditionPrometheusQueryLanguage", q.query.clone())
    } else {
        ("unknown", String::new())
    };
    AlertConditionRow {
        display_name: c.display_name.clone(),
        kind: kind.to_owned(),
        filter,
    }
}

/// The inventory row of an alert policy (no I/O).
pub fn policy_row(p: &AlertPolicy) -> AlertPolicyRow {
    AlertPolicyRow {
        name: p.name.clone(),
        display_name: p.display_name.clone(),
        enabled: p.enabled,
        conditions: p.conditions.iter().map(condition_row).collect(),
    }
}

async fn unless_cancelled<T>(
    cancel: &AtomicBool,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(cancelled());
    }
    tokio::select! {
        r = fut => r,
        _ = until_cancelled(cancel) => Err(cancelled()),
    }
}

/// Reads both lists of `project` at once; errors are kept, never returned.
pub(crate) async fn read_alerting(
    google: &Google,
    project: &str,
    cancel: &AtomicBool,
) -> AlertingInventory {
    let (metrics, policies) = tokio::join!(
        unless_cancelled(cancel, google.logging.list_metrics(project)),
        unless_cancelled(cancel, google.monitoring.list_alert_policies(project))
    );
    let mut out = AlertingInventory::default();
    match metrics {
        Ok(ms) => {
            out.metrics = ms
                .iter()
                .map(|m| LogMetricRow {
                    name: m.name.clone(),
                    metric_type: m.metric_type(),
                    filter: m.filter.clone(),
                    disabled: m.disabled,
                    description: m.description.clone(),
                })
                .collect();
        }
        Err(e) => out.metrics_error = Some(e.with_resource(format!("projects/{project}"))),
    }
    match policies {
        Ok(ps) => out.alert_policies = ps.iter().map(policy_row).collect(),
        Err(e) => out.policies_error = Some(e.with_resource(format!("projects/{project}"))),
    }
    if out.metrics_error.is_some() || out.policies_error.is_some() {
        tracing::warn!(
            project,
            "alerting inventory incomplete (A11/C13 will say so)"
        );
    }
    out
}
