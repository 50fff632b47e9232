//! `cmek drift list` and `cmek drift fix FINDING_ID --confirm RESOURCE` (issue #10).
//!
//! `list` reads the drift of every key and service account the clusters' CMEK specs name, now
//! (`Desk::scan_drift`: no project list needed), and prints each finding with its id; it exits 3
//! when drift exists, so CI can gate on it. `fix` hands only the id and the typed confirmation
//! to `Desk::remediate_drift`, which re-reads the live state, removes exactly that binding (or
//! adds a missing one back) through the etag-safe edit and logs it; a wrong confirmation or an
//! id the live state no longer shows exits 2 with nothing written.

use crate::args::{DriftCommand, DriftFixArgs};
use crate::exit::{invalid, Outcome, FAILED, OK, THRESHOLD};
use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_audit::drift::scan::DriftScan;
use cmek_audit::drift::DriftKind;
use cmek_core::ErrorCode;
use cmek_desk_core::Desk;
use cmek_revoke::{DriftFixReport, DriftFixRequest, RevokeEvent, StepStatus};

pub async fn run(desk: &Desk, command: DriftCommand, out: &Out) -> Outcome {
    match command {
        DriftCommand::List => list(desk, out).await,
        DriftCommand::Fix(args) => fix(desk, args, out).await,
    }
}

async fn list(desk: &Desk, out: &Out) -> Outcome {
    let progress = Progress::spinner(
        out,
        "reading the keys and service accounts CockroachDB uses",
    );
    let scan = desk.scan_drift().await;
    progress.finish();
    let scan = scan?;
    if out.json {
        out.print_json(&scan);
    } else {
        print_scan(&scan, out);
    }
    Ok(if scan.findings.is_empty() {
        OK
    } else {
        THRESHOLD
    })
}

fn print_scan(scan: &DriftScan, out: &Out) {
    for u in &scan.unread {
        out.note(format!(
            "{} {}: {}",
            out.paint("not read:", Tone::Warn),
            u.resource,
            u.error.message
        ));
    }
    if scan.findings.is_empty() {
        println!("{}", out.paint("No drift.", Tone::Good));
        return;
    }
    let mut table = out.table(&[
        "ID", "KIND", "LEVEL", "RESOURCE", "MEMBER", "ROLE", "CONFIRM",
    ]);
    for f in &scan.findings {
        let (kind, tone) = match f.kind {
            DriftKind::Extra => ("extra", Tone::Warn),
            DriftKind::Missing => ("missing", Tone::Bad),
        };
        let role = match &f.condition {
            Some(c) => format!("{} (if {})", f.role, c.expression),
            None => f.role.clone(),
        };
        table.add_row(vec![
            out.cell(&f.id, None),
            out.cell(kind, Some(tone)),
            out.cell(format!("{:?}", f.level), None),
            out.cell(out.fit(&f.resource, 56), None),
            out.cell(&f.member, None),
            out.cell(role, None),
            out.cell(&f.confirm_text, None),
        ]);
    }
    out.print_table(&table);
    println!(
        "{} drift finding(s). Fix one: cmek drift fix ID --confirm CONFIRM",
        scan.findings.len()
    );
}

async fn fix(desk: &Desk, args: DriftFixArgs, out: &Out) -> Outcome {
    let request = DriftFixRequest {
        finding_id: args.finding_id.trim().to_owned(),
        confirm: args.confirm.trim().to_owned(),
    };
    let progress = Progress::spinner(out, "fixing");
    let sink = |event: RevokeEvent| on_event(&progress, out, event);
    let report = desk.remediate_drift(&request, &sink).await;
    progress.finish();
    let report = report.map_err(|e| match e.code {
        ErrorCode::InvalidInput => invalid(
            "--confirm",
            format!(
                "{}; nothing was changed",
                e.message.trim_start_matches("confirm: ")
            ),
        ),
        ErrorCode::NotFound => invalid(
            "FINDING_ID",
            format!("{} (`cmek drift list` shows the current ids)", e.message),
        ),
        _ => e,
    })?;
    print_report(&report, out);
    Ok(if report.verified { OK } else { FAILED })
}

fn on_event(progress: &Progress, out: &Out, event: RevokeEvent) {
    match event {
        RevokeEvent::OperationStarted { operation_id, .. } => {
            progress.line(format!("drift fix: operation {operation_id}"))
        }
        RevokeEvent::StepStarted { title, .. } => progress.message(title),
        RevokeEvent::StepProgress { message, .. } => progress.message(message),
        RevokeEvent::StepFinished {
            status, message, ..
        } => {
            let (mark, tone) = match status {
                StepStatus::Done => ("✓", Tone::Good),
                StepStatus::Skipped => ("=", Tone::Dim),
                StepStatus::Failed => ("✗", Tone::Bad),
                StepStatus::Cancelled => ("■", Tone::Warn),
            };
            progress.line(format!("{} {message}", out.paint(mark, tone)));
        }
        RevokeEvent::VersionDone { .. } => {}
    }
}

fn print_report(r: &DriftFixReport, out: &Out) {
    if out.json {
        out.print_json(r);
        return;
    }
    let g = &r.fix.grant;
    let verb = match r.fix.action {
        cmek_revoke::DriftFixAction::RemoveBinding => "removed",
        cmek_revoke::DriftFixAction::AddBinding => "granted",
    };
    let verdict = match (r.changed, r.verified) {
        (_, false) => out.paint("NOT verified by the re-read", Tone::Bad),
        (true, true) => out.paint(&format!("{verb} and verified"), Tone::Good),
        (false, true) => out.paint("already as wanted (nothing written)", Tone::Dim),
    };
    println!(
        "{} {} on {}: {verdict} (operation {})",
        g.member,
        g.role,
        r.fix.resource.name(),
        r.operation_id
    );
}
