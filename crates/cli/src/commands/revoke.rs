//! `cmek revoke CLUSTER --lever L --confirm NAME` and `cmek recover OPERATION_ID` (Google Cloud
//! and AWS clusters alike: the core dispatches by provider).
//!
//! Revoke first reads the blast radius (`Desk::preview_revoke`) and refuses, before any
//! change, unless `--confirm` is the cluster's exact name; then it runs the revocation with
//! live steps (snapshot, remove access, REVOKE, wait, verify); Ctrl-C cancels through the Desk.
//! The operation id it prints is what `cmek recover` takes to restore exactly what the
//! snapshot removed.

use super::resolve_cluster;
use crate::args::{lever_flag, RevokeArgs};
use crate::cancel::cancellable;
use crate::exit::{invalid, Outcome, FAILED, OK};
use crate::output::{status_tone, Out, Tone};
use crate::progress::Progress;
use cmek_core::ErrorCode;
use cmek_desk_core::{Desk, Operation};
use cmek_revoke::{
    IamResource, Lever, RecoverReport, Removal, RevokeEvent, RevokePreview, RevokeReport,
    RevokeRequest, StepStatus,
};
use std::sync::Mutex;

pub async fn run(desk: &Desk, args: RevokeArgs, out: &Out) -> Outcome {
    let cluster = resolve_cluster(desk, &args.cluster).await?;
    let preview = desk.preview_revoke(&cluster.id).await?;
    let lever = choose_lever(&preview, args.lever.map(Lever::from))?;
    if args.confirm.trim() != preview.confirm_text {
        return Err(invalid(
            "--confirm",
            format!(
                "type the cluster name \"{}\" exactly to confirm (got \"{}\"); nothing was changed",
                preview.confirm_text, args.confirm
            ),
        ));
    }
    if !out.json {
        print_preview(&preview, lever, out);
    }
    let operation = Mutex::new(None::<String>);
    let progress = Progress::spinner(out, "revoking");
    let sink = |event: RevokeEvent| {
        if let RevokeEvent::OperationStarted { operation_id, .. } = &event {
            *operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(operation_id.clone());
        }
        on_event(&progress, out, event);
    };
    let request = RevokeRequest {
        cluster_id: cluster.id.clone(),
        lever,
        confirm_name: args.confirm.trim().to_owned(),
    };
    let (result, _) = cancellable(
        desk,
        Operation::Revoke,
        &progress,
        desk.revoke_cluster(&request, &sink),
    )
    .await;
    progress.finish();
    let operation = operation.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match result {
        Ok(report) => {
            print_report(&report, out);
            Ok(OK)
        }
        Err(e) => {
            if let Some(id) = operation {
                out.note(format!(
                    "Operation {id} did not finish; `cmek recover {id}` restores what it removed."
                ));
            }
            Err(e)
        }
    }
}

/// `cmek finish OPERATION_ID`: finishes a revocation a crash interrupted (the window's
/// "Finish revocation"), from what its log and the clouds say was done.
pub async fn finish(desk: &Desk, operation_id: &str, out: &Out) -> Outcome {
    let progress = Progress::spinner(out, "finishing the revocation");
    let sink = |event: RevokeEvent| on_event(&progress, out, event);
    let (result, _) = cancellable(
        desk,
        Operation::Revoke,
        &progress,
        desk.resume_revoke(operation_id.trim(), &sink),
    )
    .await;
    progress.finish();
    let report = result.map_err(|e| match e.code {
        ErrorCode::NotFound => invalid(
            "OPERATION_ID",
            format!(
                "{} (`cmek pending` lists interrupted revocations and their operation ids)",
                e.message
            ),
        ),
        _ => e,
    })?;
    print_report(&report, out);
    Ok(OK)
}

/// The lever asked for, or the cluster's cloud's default (token-creator on Google Cloud,
/// key-policy on AWS). Errors (`--lever`, nothing changed): a lever of the other cloud, naming
/// the ones that apply.
fn choose_lever(p: &RevokePreview, asked: Option<Lever>) -> Result<Lever, cmek_core::Error> {
    let offered: Vec<&str> = p.levers.iter().map(|l| lever_flag(l.lever)).collect();
    let lever = match asked {
        Some(l) => l,
        None => match p.levers.iter().find(|l| l.is_default) {
            Some(l) => l.lever,
            None => {
                return Err(invalid(
                    "--lever",
                    format!("choose one of: {}; nothing was changed", offered.join(", ")),
                ))
            }
        },
    };
    if !p.levers.iter().any(|l| l.lever == lever) {
        return Err(invalid(
            "--lever",
            format!(
                "{} does not apply to {}: its levers are {}; nothing was changed",
                lever_flag(lever),
                p.confirm_text,
                offered.join(", ")
            ),
        ));
    }
    Ok(lever)
}

pub async fn recover(desk: &Desk, operation_id: &str, out: &Out) -> Outcome {
    let progress = Progress::spinner(out, "recovering");
    let sink = |event: RevokeEvent| on_event(&progress, out, event);
    let report = desk.recover_revoke(operation_id.trim(), &sink).await;
    progress.finish();
    let report = report.map_err(|e| match e.code {
        ErrorCode::NotFound => invalid(
            "OPERATION_ID",
            format!(
                "{} (`cmek activity` lists revocations and their operation ids)",
                e.message
            ),
        ),
        _ => e,
    })?;
    print_recovery(&report, out);
    Ok(if report.verified { OK } else { FAILED })
}

fn on_event(progress: &Progress, out: &Out, event: RevokeEvent) {
    match event {
        RevokeEvent::OperationStarted {
            operation_id,
            action,
        } => progress.line(format!("{action}: operation {operation_id}")),
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
        RevokeEvent::VersionDone { result } => progress.line(format!(
            "  {}",
            serde_json::to_string(&result).unwrap_or_default()
        )),
    }
}

/// What the confirmation dialog of the window shows, on stderr.
fn print_preview(p: &RevokePreview, lever: Lever, out: &Out) {
    out.note(format!(
        "Revoking CMEK for {} ({}) in regions {}",
        p.cluster_name,
        p.cluster_id,
        p.regions.join(", ")
    ));
    for s in &p.stops_working {
        out.note(format!("  stops working: {s}"));
    }
    if let Some(info) = p.levers.iter().find(|l| l.lever == lever) {
        out.note(format!(
            "  lever: {} — {}; {}",
            info.title, info.reach_text, info.delay_text
        ));
        for w in &info.warnings {
            out.note(format!("  {} {w}", out.paint("warning:", Tone::Warn)));
        }
        for r in &info.aws_removals {
            out.note(format!(
                "  removes {} statement(s) from {}",
                r.statements.len(),
                r.policy.describe()
            ));
        }
    }
    for s in &p.sharing {
        out.note(format!(
            "  shares its service account or key: {}",
            serde_json::to_string(s).unwrap_or_default()
        ));
    }
    for w in &p.warnings {
        out.note(format!("  {} {w}", out.paint("warning:", Tone::Warn)));
    }
}

fn describe(r: &Removal) -> Vec<String> {
    let on = match &r.resource {
        IamResource::Kms { name } => name.clone(),
        IamResource::ServiceAccount { email, .. } => email.clone(),
    };
    r.grants
        .iter()
        .map(|g| format!("{} for {} on {on}", g.role, g.member))
        .collect()
}

fn print_report(r: &RevokeReport, out: &Out) {
    if out.json {
        out.print_json(r);
        return;
    }
    println!(
        "CMEK for {} is {} (operation {})",
        r.cluster_name,
        out.paint(&r.cmek_status, status_tone(&r.cmek_status)),
        r.operation_id
    );
    for line in r.removed.iter().flat_map(describe) {
        println!("  removed {line}");
    }
    for sa in &r.disabled_service_accounts {
        println!("  disabled {sa}");
    }
    print_aws(r.aws.as_ref(), "removed", out);
    for m in &r.user_messages {
        println!("  CockroachDB: {m}");
    }
    if !r.note.is_empty() {
        println!("{}", r.note);
    }
    println!("To restore access: cmek recover {}", r.operation_id);
}

fn print_recovery(r: &RecoverReport, out: &Out) {
    if out.json {
        out.print_json(r);
        return;
    }
    let verdict = if r.verified {
        out.paint("restored and verified", Tone::Good)
    } else {
        out.paint("NOT verified", Tone::Bad)
    };
    println!(
        "Recovery {} of revocation {}: {verdict}",
        r.operation_id, r.revoke_operation_id
    );
    for line in r.restored.iter().flat_map(describe) {
        println!("  restored {line}");
    }
    for sa in &r.reenabled_service_accounts {
        println!("  re-enabled {sa}");
    }
    print_aws(r.aws.as_ref(), "put back", out);
    for g in &r.missing {
        println!(
            "  {} {} for {}",
            out.paint("still missing:", Tone::Bad),
            g.role,
            g.member
        );
    }
    for sa in &r.still_disabled {
        println!("  {} {sa}", out.paint("still disabled:", Tone::Bad));
    }
    if let Some(s) = &r.support_request {
        println!("\nThe nodes need CockroachDB support to come back. Support request:");
        println!("Subject: {}\n\n{}", s.subject, s.body);
    }
}

/// The AWS part of a report: statements removed or put back, and any difference re-read.
fn print_aws(aws: Option<&cmek_revoke::aws::AwsOutcome>, verb: &str, out: &Out) {
    let Some(a) = aws else { return };
    for c in &a.changes {
        println!(
            "  {verb} {} statement(s) in {}",
            c.statements.len(),
            c.policy.describe()
        );
    }
    for p in &a.problems {
        println!("  {} {p}", out.paint("difference:", Tone::Bad));
    }
}
