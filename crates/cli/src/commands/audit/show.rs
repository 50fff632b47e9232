//! How `cmek audit` shows a scan to people: progress per project, the in-scope FAIL findings
//! most severe first, a one-line summary, and what else the keys CockroachDB uses protect in the
//! organisation (KMS Inventory), or why that was not evaluated.

use super::scope::{severity_name, Tally};
use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_audit::{AuditReport, ScanEvent, Severity};
use cmek_core::ErrorCode;

pub fn on_event(progress: &Progress, out: &Out, event: ScanEvent) {
    match event {
        ScanEvent::Started { projects } => {
            progress.message(format!("scanning {}", projects.join(", ")))
        }
        ScanEvent::ProjectProgress {
            project,
            keys,
            versions,
            kms_calls,
            ..
        } => progress.message(format!(
            "{project}: {keys} keys, {versions} versions, {kms_calls} KMS calls"
        )),
        ScanEvent::ProjectFinished {
            project,
            keys,
            error,
        } => progress.done(match error {
            None => format!("{} {project}: {keys} keys", out.paint("✓", Tone::Good)),
            Some(e) if e.code == ErrorCode::ServiceDisabled => format!(
                "{} {project}: the Cloud KMS API is disabled (no keys)",
                out.paint("–", Tone::Dim)
            ),
            Some(e) => format!("{} {project}: {}", out.paint("✗", Tone::Bad), e.message),
        }),
        ScanEvent::ClustersRead { clusters, error } => progress.line(match error {
            None => format!(
                "{} CockroachDB: {clusters} clusters",
                out.paint("✓", Tone::Good)
            ),
            Some(e) => format!("{} CockroachDB: {}", out.paint("✗", Tone::Bad), e.message),
        }),
        ScanEvent::Finished { .. } => progress.finish(),
    }
}

fn severity_tone(s: Severity) -> Tone {
    match s {
        Severity::Critical | Severity::High => Tone::Bad,
        Severity::Medium => Tone::Warn,
        Severity::Low | Severity::Info => Tone::Dim,
    }
}

/// FAIL findings in scope, most severe first.
pub fn print_findings(tally: &Tally<'_>, out: &Out) {
    if tally.fails.is_empty() {
        println!("{}", out.paint("No FAIL findings.", Tone::Good));
        return;
    }
    let mut table = out.table(&["SEVERITY", "CHECK", "RESOURCE", "FINDING"]);
    for f in &tally.fails {
        table.add_row(vec![
            out.cell(severity_name(f.severity), Some(severity_tone(f.severity))),
            out.cell(&f.check_id, None),
            out.cell(out.fit(&f.resource, 56), None),
            out.cell(&f.message, None),
        ]);
    }
    out.print_table(&table);
}

pub fn print_summary(report: &AuditReport, tally: &Tally<'_>, out: &Out) {
    let keys: usize = report.projects.iter().map(|p| p.keys.len()).sum();
    let counts = tally.counts();
    let total: usize = counts.values().sum();
    let by_severity: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", severity_name(*s).to_lowercase()))
        .collect();
    let by_severity = if by_severity.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_severity.join(", "))
    };
    let tone = if total == 0 { Tone::Good } else { Tone::Warn };
    println!(
        "Scanned {} projects, {keys} keys, {} clusters: {}{by_severity}; {} not evaluated",
        report.projects.len(),
        report.clusters.len(),
        out.paint(&format!("{total} FAIL findings"), tone),
        tally.not_applicable,
    );
}

/// What else each key a CockroachDB cluster uses protects (`KeyRow::protected_resources`): one
/// row per resource, or one row saying "nothing else" or "not evaluated: why". Nothing when no
/// scanned key is used by a cluster.
pub fn print_protected(report: &AuditReport, out: &Out) {
    use cmek_core::protected::ProtectedResources as P;
    let keys: Vec<_> = report
        .keys()
        .filter_map(|k| Some((k, k.protected_resources.as_ref()?)))
        .collect();
    if keys.is_empty() {
        return;
    }
    println!("What else the keys CockroachDB uses protect (KMS Inventory):");
    let mut table = out.table(&["KEY", "ALSO PROTECTS", "PROJECT", "KEY VERSION"]);
    for (k, p) in keys {
        let key = out.cell(out.fit(&k.name, 56), None);
        match p {
            P::Evaluated {
                organization,
                resources,
            } if resources.is_empty() => {
                table.add_row(vec![
                    key,
                    out.cell(format!("nothing else in {organization}"), Some(Tone::Good)),
                    out.cell("", None),
                    out.cell("", None),
                ]);
            }
            P::Evaluated { resources, .. } => {
                for r in resources {
                    table.add_row(vec![
                        key.clone(),
                        out.cell(
                            format!("{} {} ({})", r.resource_type, r.name, r.location),
                            Some(Tone::Warn),
                        ),
                        out.cell(&r.project, None),
                        out.cell(r.key_versions.join(", "), None),
                    ]);
                }
            }
            P::NotEvaluated { why } => {
                table.add_row(vec![
                    key,
                    out.cell(format!("not evaluated: {why}"), Some(Tone::Dim)),
                    out.cell("", None),
                    out.cell("", None),
                ]);
            }
        }
    }
    out.print_table(&table);
}
