//! `cmek audit --project P... [--format F] [--out FILE] [--fail-on SEVERITY]`: the visual
//! audit's scan (`Desk::start_audit`) with progress per project, the report in a table or one
//! of the export formats (`cmek_audit::export::render`), and an exit code CI can gate on:
//! 3 when FAIL findings at or above `--fail-on` exist (NOT_APPLICABLE findings never count),
//! else 1 when a project could not be scanned, 130 when cancelled with Ctrl-C.
//!
//! The scan always reads the organisation's CockroachDB clusters (to link keys to clusters),
//! so the report has findings about clusters whose keys live in other projects. The table and
//! `--fail-on` count only the findings **in scope**: about a scanned project, or about a
//! cluster that uses a key in a scanned project; the others are counted on stderr. Exports
//! (`--format`/`--out`) are the full report, as the window exports it.

use crate::args::{AuditArgs, AuditFormat};
use crate::cancel::cancellable;
use crate::exit::{invalid, Outcome, CANCELLED, FAILED, OK, THRESHOLD};
use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_audit::export::{render, AuditExportFormat};
use cmek_audit::{AuditReport, Finding, FindingStatus, ScanEvent, ScanOptions, Severity};
use cmek_core::{Error, ErrorCode, Result};
use cmek_desk_core::{Desk, Operation};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The JSON summary printed with `--json --out FILE`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    out: String,
    format: AuditExportFormat,
    projects: &'a [String],
    /// FAIL findings per severity (`CRITICAL`, `HIGH`, …).
    fail_counts: BTreeMap<Severity, usize>,
    not_applicable: usize,
    /// FAIL findings about clusters whose keys are in other projects (not counted).
    out_of_scope: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_on: Option<Severity>,
    threshold_exceeded: bool,
    /// Projects that could not be scanned, with the reason.
    project_errors: BTreeMap<String, String>,
    cancelled: bool,
}

pub async fn run(desk: &Desk, args: AuditArgs, out: &Out) -> Outcome {
    let format = resolve_format(&args, out)?;
    let options = ScanOptions {
        projects: args.projects.clone(),
        kms_reads_per_minute: args.reads_per_minute,
        ..ScanOptions::default()
    };
    let progress = Progress::bar(out, options.projects.len() as u64);
    progress.message("starting the scan");
    let sink = |event: ScanEvent| on_event(&progress, out, event);
    let (report, _) = cancellable(
        desk,
        Operation::Audit,
        &progress,
        desk.start_audit(&options, &sink),
    )
    .await;
    progress.finish();
    let report = report?;
    let tally = Tally::of(&report, &args.projects);
    let threshold = args.fail_on.map(|f| f.severity());
    let exceeded = threshold.is_some_and(|t| tally.fails.iter().any(|f| f.severity <= t));

    match (&args.out, format) {
        (Some(path), Some(format)) => {
            write_report(&report, format, path)?;
            if out.json {
                out.print_json(&Summary {
                    out: path.display().to_string(),
                    format,
                    projects: &args.projects,
                    fail_counts: tally.counts(),
                    not_applicable: tally.not_applicable,
                    out_of_scope: tally.out_of_scope,
                    fail_on: threshold,
                    threshold_exceeded: exceeded,
                    project_errors: tally.project_errors.clone(),
                    cancelled: report.cancelled,
                });
            } else {
                print_summary(&report, &tally, out);
                println!("Report written to {}", path.display());
            }
        }
        (None, Some(format)) => println!("{}", render(&report, format)),
        (_, None) => {
            print_findings(&tally, out);
            print_summary(&report, &tally, out);
        }
    }

    if tally.out_of_scope > 0 {
        out.note(format!(
            "{} FAIL findings about clusters whose keys are in other projects are not counted here (scan their projects too)",
            tally.out_of_scope
        ));
    }
    for (project, why) in &tally.project_notes {
        out.note(format!("note: {project}: {why}"));
    }
    for (project, why) in &tally.project_errors {
        out.note(format!(
            "{} {project} could not be scanned: {why}",
            out.paint("warning:", Tone::Warn)
        ));
    }
    if report.cancelled {
        out.note("The scan was cancelled; the report holds what was read.");
        return Ok(CANCELLED);
    }
    if exceeded {
        out.note(format!(
            "{} FAIL findings at or above {} exist (--fail-on)",
            out.paint("threshold:", Tone::Bad),
            severity_name(threshold.unwrap_or(Severity::Info))
        ));
        return Ok(THRESHOLD);
    }
    Ok(if tally.project_errors.is_empty() {
        OK
    } else {
        FAILED
    })
}

/// The report's findings sorted into what this command counts.
struct Tally<'a> {
    /// FAIL findings in scope, most severe first.
    fails: Vec<&'a Finding>,
    /// FAIL findings about clusters whose keys are all in other projects.
    out_of_scope: usize,
    not_applicable: usize,
    /// Projects that could not be scanned, with the reason.
    project_errors: BTreeMap<String, String>,
    /// Projects with nothing to scan (the Cloud KMS API is disabled: no keys there).
    project_notes: BTreeMap<String, String>,
}

impl<'a> Tally<'a> {
    fn of(report: &'a AuditReport, projects: &[String]) -> Self {
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
                FindingStatus::NotApplicable => not_applicable += 1,
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

    fn counts(&self) -> BTreeMap<Severity, usize> {
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

fn severity_name(s: Severity) -> String {
    format!("{s:?}").to_uppercase()
}

/// The export format, or `None` for the table: `--format`, else `--out`'s extension, else
/// `json` with `--json`, else the table.
fn resolve_format(args: &AuditArgs, out: &Out) -> Result<Option<AuditExportFormat>> {
    let export = |f: AuditFormat| match f {
        AuditFormat::Table => None,
        AuditFormat::Json => Some(AuditExportFormat::Json),
        AuditFormat::Csv => Some(AuditExportFormat::Csv),
        AuditFormat::Html => Some(AuditExportFormat::Html),
        AuditFormat::Ocsf => Some(AuditExportFormat::Ocsf),
    };
    match (args.format, &args.out) {
        (Some(AuditFormat::Table), Some(_)) => Err(invalid(
            "--format",
            "a table is printed, not written: with --out choose json, csv, html or ocsf",
        )),
        (Some(f), _) => Ok(export(f)),
        (None, Some(path)) => Ok(Some(format_of(path))),
        (None, None) if out.json => Ok(Some(AuditExportFormat::Json)),
        (None, None) => Ok(None),
    }
}

/// The format a file name implies (`.csv`, `.html`, `.ocsf.json`; anything else is JSON).
fn format_of(path: &Path) -> AuditExportFormat {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".csv") {
        AuditExportFormat::Csv
    } else if name.ends_with(".html") || name.ends_with(".htm") {
        AuditExportFormat::Html
    } else if name.ends_with(".ocsf.json") || name.ends_with(".ocsf") {
        AuditExportFormat::Ocsf
    } else {
        AuditExportFormat::Json
    }
}

fn write_report(report: &AuditReport, format: AuditExportFormat, path: &Path) -> Result<()> {
    std::fs::write(path, render(report, format))
        .map_err(|e| Error::internal(format!("--out: cannot write {}: {e}", path.display())))
}

fn on_event(progress: &Progress, out: &Out, event: ScanEvent) {
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
fn print_findings(tally: &Tally<'_>, out: &Out) {
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

fn print_summary(report: &AuditReport, tally: &Tally<'_>, out: &Out) {
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
        "Scanned {} projects, {keys} keys, {} clusters: {}{by_severity}; {} not applicable",
        report.projects.len(),
        report.clusters.len(),
        out.paint(&format!("{total} FAIL findings"), tone),
        tally.not_applicable,
    );
}
