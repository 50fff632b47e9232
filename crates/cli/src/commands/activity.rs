//! `cmek activity`: the activity log the window and the command line share (every change with
//! its intent and outcome, connections, sign-ins, exports), oldest first; `--json` prints the
//! entries as the core returns them. Interrupted operations are pointed out on stderr, and so
//! is a log whose tamper-evident chain does not verify (issue 13): then the first bad entry is
//! named and no interrupted operation is offered to finish or roll back.

use crate::exit::{Outcome, OK};
use crate::output::{Out, Tone};
use cmek_activity::EntryStatus;
use cmek_desk_core::Desk;

pub fn run(desk: &Desk, out: &Out) -> Outcome {
    let entries = desk.activity_entries()?;
    let pending = desk.pending_operations()?;
    let verification = desk.verify_activity()?;
    if out.json {
        out.print_json(&entries);
    } else {
        let mut table = out.table(&[
            "#",
            "TIME",
            "OPERATION",
            "KIND",
            "ACTION",
            "TARGET",
            "STATUS",
            "SUMMARY",
        ]);
        for e in &entries {
            let status = e.status.map(|s| {
                let text = serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let tone = match s {
                    EntryStatus::Ok => Tone::Good,
                    EntryStatus::Failed => Tone::Bad,
                    EntryStatus::Pending | EntryStatus::Cancelled => Tone::Warn,
                    EntryStatus::Skipped | EntryStatus::RolledBack => Tone::Dim,
                };
                (text, tone)
            });
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            table.add_row(vec![
                out.cell(e.id, None),
                out.cell(&e.at, None),
                out.cell(e.operation_id.as_deref().unwrap_or_default(), None),
                out.cell(kind, None),
                out.cell(&e.action, None),
                out.cell(out.fit(&e.target, 48), None),
                match status {
                    Some((text, tone)) => out.cell(text, Some(tone)),
                    None => out.cell("", None),
                },
                out.cell(&e.summary, None),
            ]);
        }
        out.print_table(&table);
    }
    if !verification.trustworthy {
        out.note(format!(
            "{} {} `cmek recover` and finishing a revocation are refused; `cmek activity --json` \
             and the window's export still work.",
            out.paint("untrusted:", Tone::Bad),
            verification.message,
        ));
    }
    for p in &pending {
        let next = if !p.trusted {
            "it is not offered: the activity log is not trustworthy".to_owned()
        } else if p.has_snapshot {
            format!("`cmek recover {}` rolls it back", p.operation_id)
        } else {
            "running the same command again resumes it".to_owned()
        };
        out.note(format!(
            "{} operation {} ({} on {}, started {}) was interrupted; {next}",
            out.paint("interrupted:", Tone::Warn),
            p.operation_id,
            p.action,
            p.target,
            p.started_at,
        ));
    }
    Ok(OK)
}

/// `cmek pending`: the operations a crash interrupted, as the window's start-up banner offers
/// them: a revocation (it has a recovery snapshot) is finished with `cmek finish ID` or rolled
/// back with `cmek recover ID`; a setup, rotation or new region is resumed by applying again.
/// `--json` prints the core's list (`PendingOperation`: completed steps, unresolved intents).
pub fn pending(desk: &Desk, out: &Out) -> Outcome {
    let pending = desk.pending_operations()?;
    let verification = desk.verify_activity()?;
    if out.json {
        out.print_json(&pending);
        return Ok(OK);
    }
    if pending.is_empty() {
        out.note("No interrupted operation.");
        return Ok(OK);
    }
    let mut table = out.table(&["OPERATION", "ACTION", "TARGET", "STARTED", "NEXT"]);
    if !verification.trustworthy {
        out.note(format!(
            "{} {} `cmek recover` and finishing a revocation are refused; `cmek activity --json` \
             and the window's export still work.",
            out.paint("untrusted:", Tone::Bad),
            verification.message,
        ));
    }
    for p in &pending {
        let next = if !p.trusted {
            "it is not offered: the activity log is not trustworthy".to_owned()
        } else if p.has_snapshot {
            format!("cmek finish {0}  |  cmek recover {0}", p.operation_id)
        } else {
            "apply the same change again".to_owned()
        };
        table.add_row(vec![
            out.cell(&p.operation_id, None),
            out.cell(&p.action, None),
            out.cell(&p.target, None),
            out.cell(&p.started_at, None),
            out.cell(next, None),
        ]);
    }
    out.print_table(&table);
    Ok(OK)
}
