//! The checks, one module per group, each check a function whose docstring states its exact
//! condition and source ids (the same text is in [`catalogue`]). Checks are pure: they read the
//! inventory and the scan time and return [`Finding`]s, only for failed conditions and for
//! checks that cannot run on this inventory ([`FindingStatus::NotEvaluated`], never silent).
//!
//! Groups: [`gcp_keys`] (per key: A01 A03 A04 A08 A09 A10 A14 A16), [`gcp_iam`] (A06 A07 A15),
//! [`cockroach`] (C01-C04, C06-C12), [`alerting`] (A11 per project, C13 per cluster),
//! [`not_applicable`] (AWS-only rows: A02 A05 A12 A13 C05), [`day_two`] (C14 per key; C15/C16
//! drift on the keys and service accounts CockroachDB uses).

pub mod alerting;
pub mod catalogue;
pub mod cockroach;
pub mod day_two;
pub mod gcp_iam;
pub mod gcp_keys;
pub mod not_applicable;

use crate::model::{
    ClusterRow, Evidence, Finding, FindingStatus, KeyRow, ProjectRow, ServiceAccountRow, Severity,
};
use time::OffsetDateTime;

pub use catalogue::catalogue;

/// What the checks read.
pub struct Inputs<'a> {
    pub projects: &'a [ProjectRow],
    pub service_accounts: &'a [ServiceAccountRow],
    pub clusters: &'a [ClusterRow],
    /// The scan time ("now" for rotation deadlines).
    pub now: OffsetDateTime,
}

impl Inputs<'_> {
    /// Every inventoried key.
    pub fn keys(&self) -> impl Iterator<Item = &KeyRow> {
        self.projects.iter().flat_map(|p| p.keys.iter())
    }

    /// The inventoried key with this name (version suffix and trailing `/` ignored).
    pub fn key(&self, uri: &str) -> Option<&KeyRow> {
        let uri = uri.trim_end_matches('/');
        let uri = uri.split("/cryptoKeyVersions/").next().unwrap_or(uri);
        self.keys().find(|k| k.name == uri)
    }

    /// The project row with this id.
    pub fn project(&self, id: &str) -> Option<&ProjectRow> {
        self.projects.iter().find(|p| p.project_id == id)
    }
}

/// Builds a failed finding of check `id` with its catalogue severity.
pub fn fail(
    id: &str,
    resource: &str,
    project: Option<&str>,
    message: impl Into<String>,
    evidence: Vec<Evidence>,
) -> Finding {
    let info = catalogue::info(id);
    Finding {
        check_id: info.id.clone(),
        title: info.title.clone(),
        severity: info.severity,
        status: FindingStatus::Fail,
        resource: resource.to_owned(),
        project: project.map(str::to_owned),
        message: message.into(),
        evidence,
        remediation: info.remediation.clone(),
        sources: info.sources.clone(),
    }
}

/// Same as [`fail`] with another severity (checks with two levels, e.g. C03, C04).
pub fn fail_at(
    severity: Severity,
    id: &str,
    resource: &str,
    project: Option<&str>,
    message: impl Into<String>,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        severity,
        ..fail(id, resource, project, message, evidence)
    }
}

/// One evidence row.
pub fn ev(field: &str, value: impl ToString) -> Evidence {
    Evidence {
        field: field.to_owned(),
        value: value.to_string(),
    }
}

/// Optional field as evidence text (`<absent>` when missing).
pub fn opt(v: Option<&str>) -> String {
    v.map_or_else(|| "<absent>".to_owned(), str::to_owned)
}

/// Runs every check; findings sorted by severity, check id, resource.
pub fn run_all(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in inputs.keys() {
        out.extend(gcp_keys::check_key(key, inputs.now));
        out.extend(gcp_iam::a06_separation_of_duties(key));
        out.extend(day_two::c14_schedule_undoes_freeze(key));
    }
    for p in inputs.projects {
        out.extend(gcp_iam::a07_project_owner(p));
        out.extend(gcp_iam::a15_project_wide_token_creator(p));
        out.extend(alerting::a11_project_alarms(p));
    }
    out.extend(cockroach::check_clusters(inputs));
    out.extend(alerting::c13_cluster_alarms(inputs));
    out.extend(not_applicable::rows(inputs));
    out.extend(day_two::drift_findings(&day_two::drift(inputs)));
    out.sort_by(|a, b| {
        (a.severity, &a.check_id, &a.resource).cmp(&(b.severity, &b.check_id, &b.resource))
    });
    out
}
