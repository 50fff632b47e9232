//! Which findings `cmek audit` counts. The scan always reads the organisation's CockroachDB
//! clusters (to link keys to clusters), so the report holds findings about clusters whose keys
//! live in projects that were not scanned. A FAIL finding is **in scope** when it is about a
//! scanned project, or about a cluster that uses a key in a scanned project; only those reach
//! the table and `--fail-on`. NOT_EVALUATED findings are counted apart and never gate.

use cmek_audit::{AuditReport, Finding, FindingStatus, Severity};
use cmek_core::ErrorCode;
use std::collections::{BTreeMap, HashMap};

/// The report's findings sorted into what this command counts.
pub struct Tally<'a> {
    /// FAIL findings in scope, most severe first.
    pub fails: Vec<&'a Finding>,
    /// FAIL findings about clusters whose keys are all in other projects.
    pub out_of_scope: usize,
    pub not_applicable: usize,
    /// Projects that could not be scanned, with the reason.
    pub project_errors: BTreeMap<String, String>,
    /// Projects with nothing to scan (the Cloud KMS API is disabled: no keys there).
    pub project_notes: BTreeMap<String, String>,
}

impl<'a> Tally<'a> {
    /// `aws`: AWS regions were asked for (`--aws-region`); otherwise findings on AWS keys and
    /// roles (`arn:aws:…`) are about resources outside the scanned projects and not counted.
    pub fn of(report: &'a AuditReport, projects: &[String], aws: bool) -> Self {
        // The projects of the keys each cluster's CMEK specs name (current and past).
        let key_projects: HashMap<&str, Vec<&str>> = report
            .clusters
            .iter()
            .map(|c| {
                let uris = c
                    .cmek
                    .iter()
                    .flat_map(|i| &i.region_infos)
                    .flat_map(|r| &r.key_infos);
                let projects = uris.filter_map(|k| project_of(&k.spec.uri)).collect();
                (c.id.as_str(), projects)
            })
            .collect();
        let scanned = |p: &str| projects.iter().any(|s| s == p);
        let in_scope = |f: &Finding| match &f.project {
            Some(p) => scanned(p),
            None if f.resource.starts_with("arn:aws:") => aws,
            None => f
                .resource
                .strip_prefix("clusters/")
                .map(|rest| rest.split('/').next().unwrap_or_default())
                .and_then(|id| key_projects.get(id))
                .is_none_or(|ps| ps.iter().any(|p| scanned(p))),
        };
        let mut fails = Vec::new();
        let (mut out_of_scope, mut not_applicable) = (0, 0);
        for f in &report.findings {
            match f.status {
                FindingStatus::NotEvaluated => not_applicable += 1,
                FindingStatus::Fail if in_scope(f) => fails.push(f),
                FindingStatus::Fail => out_of_scope += 1,
            }
        }
        fails.sort_by(|a, b| (a.severity, &a.check_id).cmp(&(b.severity, &b.check_id)));
        let (mut project_errors, mut project_notes) = (BTreeMap::new(), BTreeMap::new());
        for p in &report.projects {
            match &p.error {
                Some(e) if e.code == ErrorCode::ServiceDisabled => {
                    project_notes.insert(
                        p.project_id.clone(),
                        "the Cloud KMS API is disabled, so it holds no keys to audit".to_owned(),
                    );
                }
                Some(e) => {
                    project_errors.insert(p.project_id.clone(), e.message.clone());
                }
                None => {}
            }
        }
        Self {
            fails,
            out_of_scope,
            not_applicable,
            project_errors,
            project_notes,
        }
    }

    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut counts = BTreeMap::new();
        for f in &self.fails {
            *counts.entry(f.severity).or_insert(0) += 1;
        }
        counts
    }
}

/// `P` of `projects/P/…`.
fn project_of(resource: &str) -> Option<&str> {
    resource.strip_prefix("projects/")?.split('/').next()
}

pub fn severity_name(s: Severity) -> String {
    format!("{s:?}").to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_of_reads_resource_names() {
        assert_eq!(
            project_of("projects/p-1/locations/x/keyRings/r"),
            Some("p-1")
        );
        assert_eq!(project_of("clusters/abc"), None);
        assert_eq!(severity_name(Severity::High), "HIGH");
    }
}
