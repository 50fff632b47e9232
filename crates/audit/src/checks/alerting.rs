//! Alarm checks A11 (per project holding keys) and C13 (per CockroachDB cluster, on the
//! project of each key it uses now), over the alerting inventory ([`crate::alerting`]).
//!
//! An event is *covered* in a project when an alert policy there that is not disabled
//! (`enabled` ≠ false) has either
//! - a `conditionMatchedLog` whose filter covers the event (a log-based alert), or
//! - a `conditionThreshold` / MQL / PromQL condition naming the metric type
//!   (`logging.googleapis.com/user/ID`) of a log-based metric that is not disabled and whose
//!   filter covers the event.
//!
//! A filter *covers* an event when it names Cloud KMS (`cloudkms.googleapis.com` or a
//! `cloudkms_*` resource type) and the event's method: `DestroyCryptoKeyVersion` (destroy),
//! `UpdateCryptoKeyVersion` (disable: a filter on every update covers it), `SetIamPolicy`
//! (key IAM change). Filters are matched textually, as the CIS tooling does (Steampipe,
//! CloudQuery); a `NOT` in front of a method is not understood.
//!
//! Partial data can prove coverage but not its absence: when every event is covered the check
//! passes even if one read failed; otherwise a failed read (403 without
//! `logging.logMetrics.list` / `monitoring.alertPolicies.list`) is reported as "could not
//! evaluate" ([`FindingStatus::NotEvaluated`], never silent, never a pass).
//!
//! Limitation: alert policies are read in the key's project; a policy kept in another
//! project's metrics scope is not seen (scan that project too, or keep the alert with the keys).

use super::{ev, fail, Inputs};
use crate::alerting::{AlertingInventory, LogMetricRow};
use crate::model::{Evidence, Finding, FindingStatus, ProjectRow};
use cmek_core::ErrorCode;
use std::collections::BTreeSet;

/// Remediation of A11 and C13: a counter log-based metric on the three methods and an alert
/// policy on it (threshold > 0), in the project holding the keys.
pub const A11_REMEDIATION: &str = concat!(
    "gcloud logging metrics create cmek-key-admin-activity --project=PROJECT ",
    "--description='Cloud KMS key version destroyed or disabled, or key IAM policy changed' ",
    "--log-filter='protoPayload.serviceName=\"cloudkms.googleapis.com\" AND (protoPayload.methodName:\"DestroyCryptoKeyVersion\" ",
    "OR protoPayload.methodName:\"UpdateCryptoKeyVersion\" OR protoPayload.methodName:\"SetIamPolicy\")'\n",
    "gcloud monitoring policies create --project=PROJECT --display-name='CMEK key admin activity' ",
    "--notification-channels=projects/PROJECT/notificationChannels/CHANNEL_ID ",
    "--condition-display-name='Cloud KMS destroy/disable/IAM change' ",
    "--condition-filter='metric.type=\"logging.googleapis.com/user/cmek-key-admin-activity\" AND ",
    "resource.type=one_of(\"cloudkms_cryptokey\",\"cloudkms_cryptokeyversion\",\"cloudkms_keyring\")' ",
    "--aggregation='{\"alignmentPeriod\": \"60s\", \"perSeriesAligner\": \"ALIGN_COUNT\"}' --if='> 0' --duration=0s\n",
    "(Or one log-based alert policy whose conditionMatchedLog uses the same log filter.)"
);

/// The Cloud KMS admin events A11 asks an alert for: (method token, what it means).
pub const EVENTS: [(&str, &str); 3] = [
    ("DestroyCryptoKeyVersion", "key version destroyed"),
    ("UpdateCryptoKeyVersion", "key version disabled"),
    ("SetIamPolicy", "key IAM policy changed"),
];

/// Whether a log filter covers `method` on Cloud KMS (see the module doc).
pub fn filter_covers(filter: &str, method: &str) -> bool {
    let kms = filter.contains("cloudkms.googleapis.com") || filter.contains("cloudkms_");
    kms && filter.contains(method)
}

/// Whether a condition filter or query names exactly this metric type.
fn names_metric(text: &str, metric_type: &str) -> bool {
    text.match_indices(metric_type).any(|(i, m)| {
        let next = text[i + m.len()..].chars().next();
        !next.is_some_and(|c| c.is_ascii_alphanumeric() || "_-./%".contains(c))
    })
}

/// The outcome of evaluating one project's alerting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every event has an enabled alert.
    Covered,
    /// Some events have none; evidence says what was found and why it does not count.
    Missing {
        events: Vec<&'static str>,
        evidence: Vec<Evidence>,
    },
    /// The inventory could not be read far enough to decide; the message says why.
    Unknown {
        message: String,
        evidence: Vec<Evidence>,
    },
}

fn metric_label(m: &LogMetricRow) -> String {
    format!(
        "{}{} filter: {}",
        m.name,
        if m.disabled { " (disabled)" } else { "" },
        m.filter
    )
}

fn read_error(e: &cmek_core::Error, permission: &str) -> String {
    match e.code {
        ErrorCode::PermissionDenied => {
            format!("could not evaluate: missing permission {permission}")
        }
        ErrorCode::Cancelled => {
            "could not evaluate: scan stopped before the alerting inventory was read".to_owned()
        }
        _ => format!(
            "could not evaluate: {} failed: {}",
            permission.replace(".list", " list"),
            e.message
        ),
    }
}

/// Evaluates one project's alerting inventory (`None`: not read).
pub fn evaluate(alerting: Option<&AlertingInventory>) -> Coverage {
    let Some(a) = alerting else {
        return Coverage::Unknown {
            message: "could not evaluate: metrics and alert policies were not read".into(),
            evidence: vec![],
        };
    };
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut evidence = Vec::new();
    for p in &a.alert_policies {
        let on = p.enabled != Some(false);
        for c in &p.conditions {
            for (method, _) in EVENTS {
                let hit = match c.kind.as_str() {
                    "conditionMatchedLog" => filter_covers(&c.filter, method),
                    "conditionThreshold"
                    | "conditionMonitoringQueryLanguage"
                    | "conditionPrometheusQueryLanguage" => a.metrics.iter().any(|m| {
                        !m.disabled
                            && filter_covers(&m.filter, method)
                            && names_metric(&c.filter, &m.metric_type)
                    }),
                    _ => false,
                };
                if hit && on {
                    covered.insert(method);
                } else if hit {
                    evidence.push(ev(
                        "disabledAlertPolicy",
                        format!(
                            "{} ({}) would cover {method} but enabled=false",
                            p.name,
                            p.display_name.as_deref().unwrap_or("-")
                        ),
                    ));
                }
            }
        }
    }
    for m in a
        .metrics
        .iter()
        .filter(|m| EVENTS.iter().any(|(e, _)| filter_covers(&m.filter, e)))
    {
        let used = a.alert_policies.iter().any(|p| {
            p.enabled != Some(false)
                && p.conditions
                    .iter()
                    .any(|c| names_metric(&c.filter, &m.metric_type))
        });
        if m.disabled || !used {
            let why = if m.disabled {
                "metric is disabled"
            } else {
                "no enabled alert policy uses it"
            };
            evidence.push(ev(
                "unalertedLogMetric",
                format!("{} — {why}", metric_label(m)),
            ));
        }
    }
    if covered.len() == EVENTS.len() {
        return Coverage::Covered;
    }
    let errors: Vec<String> = [
        (&a.metrics_error, "logging.logMetrics.list"),
        (&a.policies_error, "monitoring.alertPolicies.list"),
    ]
    .iter()
    .filter_map(|(e, perm)| e.as_ref().map(|e| (read_error(e, perm), e)))
    .map(|(msg, e)| {
        evidence.push(ev("readError", format!("{:?}: {}", e.code, e.message)));
        msg
    })
    .collect();
    if !errors.is_empty() {
        return Coverage::Unknown {
            message: errors.join("; "),
            evidence,
        };
    }
    let events: Vec<&'static str> = EVENTS
        .iter()
        .filter(|(m, _)| !covered.contains(m))
        .map(|(m, _)| *m)
        .collect();
    evidence.insert(0, ev("uncoveredEvents", events.join(", ")));
    evidence.push(ev("logMetrics", a.metrics.len()));
    evidence.push(ev(
        "alertPolicies",
        format!(
            "{} ({} enabled)",
            a.alert_policies.len(),
            a.alert_policies
                .iter()
                .filter(|p| p.enabled != Some(false))
                .count()
        ),
    ));
    Coverage::Missing { events, evidence }
}

fn describe(events: &[&str]) -> String {
    EVENTS
        .iter()
        .filter(|(m, _)| events.contains(m))
        .map(|(m, what)| format!("{what} ({m})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn finding(
    id: &str,
    resource: &str,
    project: &str,
    subject: &str,
    coverage: Coverage,
) -> Option<Finding> {
    match coverage {
        Coverage::Covered => None,
        Coverage::Missing { events, evidence } => Some(fail(
            id,
            resource,
            Some(project),
            format!(
                "{subject}: no enabled alert in project {project} on {}.",
                describe(&events)
            ),
            evidence,
        )),
        Coverage::Unknown {
            message,
            mut evidence,
        } => {
            evidence.insert(0, ev("reason", &message));
            Some(Finding {
                status: FindingStatus::NotEvaluated,
                ..fail(
                    id,
                    resource,
                    Some(project),
                    format!("{message} (project {project})"),
                    evidence,
                )
            })
        }
    }
}

/// A11 — Alarm on disable/destroy of key versions and on key IAM changes (GCP analogue of
/// Prowler `cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk`, ScoutSuite
/// `logs-no-alarm-cmk-deletion`, CIS AWS 4.7 / 5.7; CIS GCP §2 "Logging and Monitoring"
/// 2.4-2.11 pattern "log metric filter and alerts exist for …", which has no Cloud KMS control).
/// For each project holding at least one key: FAIL when one of `DestroyCryptoKeyVersion`,
/// `UpdateCryptoKeyVersion`, `SetIamPolicy` on Cloud KMS is not covered (module doc); "could not
/// evaluate" when a read failed and coverage is not proven. Resource `projects/P`.
pub fn a11_project_alarms(p: &ProjectRow) -> Option<Finding> {
    if p.keys.is_empty() {
        return None;
    }
    let res = format!("projects/{}", p.project_id);
    finding(
        "A11",
        &res,
        &p.project_id,
        "Cloud KMS key changes are not alerted on",
        evaluate(p.alerting.as_ref()),
    )
}

/// C13 — A11 on the project of every key a CockroachDB cluster uses now (current GCP key spec of
/// each region). One finding per (cluster, key project); resource `clusters/{id}`. A key project
/// that was not scanned is reported as "could not evaluate".
pub fn c13_cluster_alarms(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in inputs.clusters.iter().filter(|c| c.cloud_provider != "AWS") {
        let Some(info) = &c.cmek else { continue };
        let projects: BTreeSet<String> = info
            .region_infos
            .iter()
            .filter_map(|r| r.current())
            .filter(|k| k.spec.key_type == "GCP_CLOUD_KMS")
            .filter_map(|k| k.spec.uri.split('/').nth(1).map(str::to_owned))
            .collect();
        let res = format!("clusters/{}", c.id);
        for project in projects {
            let subject = format!(
                "Changes to the keys of cluster {} are not alerted on",
                c.name
            );
            let coverage = match inputs.project(&project) {
                Some(p) => evaluate(p.alerting.as_ref()),
                None => Coverage::Unknown { message: format!("could not evaluate: key project {project} was not scanned: add it to the scan"), evidence: vec![] },
            };
            out.extend(finding("C13", &res, &project, &subject, coverage));
        }
    }
    out
}

#[cfg(test)]
#[path = "alerting_tests.rs"]
mod tests;
