//! `cmek audit --project P... | --organization ID | --folder ID [--crawl] [--aws-region R...]
//! [--format F] [--out FILE] [--fail-on SEVERITY]`:
//! the visual audit's scan over chosen projects or every project of an organization or folder,
//! through Cloud Asset Inventory when the identity may use it, else the crawl (one line says
//! which, and why: `inventory path: used` / `not available because …`)
//! (`Desk::start_audit_with_aws`: AWS keys of the regions given and of
//! the regions the AWS clusters' keys are in) with progress per project, the report in a table or one
//! of the export formats (`cmek_audit::export::render`), and an exit code CI can gate on:
//! 3 when FAIL findings at or above `--fail-on` exist (NOT_EVALUATED findings never count),
//! else 1 when a project could not be scanned, 130 when cancelled with Ctrl-C.
//!
//! The table and `--fail-on` count only the findings in scope ([`scope`]): about a scanned
//! project or a cluster using a key in one; the others are counted on stderr. Exports
//! (`--format`/`--out`) are the full report, as the window exports it.

mod scope;
mod show;

use scope::{severity_name, Tally};
use show::{on_event, print_findings, print_protected, print_summary};

use crate::args::{AuditArgs, AuditFormat};
use crate::cancel::cancellable;
use crate::exit::{invalid, Outcome, CANCELLED, FAILED, OK, THRESHOLD};
use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_audit::export::{render, AuditExportFormat};
use cmek_audit::{AuditReport, AuditScope, InventoryMode, ScanEvent, ScanOptions, Severity};
use cmek_core::{Error, Result};
use cmek_desk_core::{Desk, Operation};
use serde::Serialize;
use std::collections::BTreeMap;
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
    let scope = match (&args.organization, &args.folder) {
        (Some(id), _) => AuditScope::Organization(id.clone()),
        (None, Some(id)) => AuditScope::Folder(id.clone()),
        (None, None) => AuditScope::Projects,
    };
    let options = ScanOptions {
        projects: args.projects.clone(),
        kms_reads_per_minute: args.reads_per_minute,
        scope,
        inventory: if args.crawl {
            InventoryMode::Crawl
        } else {
            InventoryMode::Auto
        },
        ..ScanOptions::default()
    };
    let progress = Progress::bar(out, options.projects.len().max(1) as u64);
    progress.message("starting the scan");
    let sink = |event: ScanEvent| on_event(&progress, out, event);
    let (report, _) = cancellable(
        desk,
        Operation::Audit,
        &progress,
        desk.start_audit_with_aws(&options, &args.aws_regions, &sink),
    )
    .await;
    progress.finish();
    let report = report?;
    // The projects the scan covered (an organization or folder resolves to its projects).
    let scanned: Vec<String> = report
        .projects
        .iter()
        .map(|p| p.project_id.clone())
        .collect();
    let tally = Tally::of(&report, &scanned, !args.aws_regions.is_empty());
    let threshold = args.fail_on.map(|f| f.severity());
    let exceeded = threshold.is_some_and(|t| tally.fails.iter().any(|f| f.severity <= t));

    match (&args.out, format) {
        (Some(path), Some(format)) => {
            write_report(&report, format, path)?;
            if out.json {
                out.print_json(&Summary {
                    out: path.display().to_string(),
                    format,
                    projects: &scanned,
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
            print_protected(&report, out);
            print_summary(&report, &tally, out);
        }
    }

    out.note(report.inventory_path.line());
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
    cmek_core::files::write_private(path, render(report, format).as_bytes())
        .map_err(|e| Error::internal(format!("--out: {}", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_implies_the_format() {
        assert_eq!(format_of(Path::new("a.csv")), AuditExportFormat::Csv);
        assert_eq!(format_of(Path::new("a.HTML")), AuditExportFormat::Html);
        assert_eq!(format_of(Path::new("a.ocsf.json")), AuditExportFormat::Ocsf);
        assert_eq!(format_of(Path::new("report")), AuditExportFormat::Json);
    }
}
