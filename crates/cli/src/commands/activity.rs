//! `cmek activity`: the activity log the window and the command line share (every change with
//! its intent and outcome, connections, sign-ins, exports), oldest first. The table shows one
//! row per write, as the window's Activity screen does (`Desk::activity_rows`): its intent
//! paired with its outcome, the final state in STATUS, `no outcome recorded` when the app
//! stopped before one was written; an operation is one row with its finish. `--json` prints
//! every entry as written (intents and outcomes apart). Interrupted operations are pointed
//! out on stderr, and so is a log whose tamper-evident chain does not verify (issue 13): then
//! the first bad entry is named and no interrupted operation is offered to finish or roll
//! back. A log that replaced a deleted or emptied one says so on stderr on every run.

use crate::exit::{Outcome, OK};
use crate::output::{Out, Tone};
use cmek_activity::EntryKind;
use cmek_desk_core::activity_rows::RowState;
use cmek_desk_core::Desk;

pub fn run(desk: &Desk, out: &Out) -> Outcome {
    let pending = desk.pending_operations()?;
    let verification = desk.verify_activity()?;
    if out.json {
        out.print_json(&desk.activity_entries()?);
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
        for r in desk.activity_rows()? {
            let e = &r.entry;
            let tone = match r.state {
                RowState::Ok => Tone::Good,
                RowState::Failed => Tone::Bad,
                RowState::NoOutcome | RowState::Cancelled => Tone::Warn,
                RowState::Skipped | RowState::RolledBack | RowState::Recorded => Tone::Dim,
            };
            let kind = match e.kind {
                EntryKind::Intent | EntryKind::Outcome => "write",
                EntryKind::OperationStarted | EntryKind::OperationFinished => "operation",
                EntryKind::Event => "event",
            };
            // The outcome's sentence says how it ended; the intent's what was meant.
            let summary = match &r.outcome {
                Some(o) if o.summary != e.summary => format!("{} — {}", e.summary, o.summary),
                _ => e.summary.clone(),
            };
            table.add_row(vec![
                out.cell(e.id, None),
                out.cell(&e.at, None),
                out.cell(e.operation_id.as_deref().unwrap_or_default(), None),
                out.cell(kind, None),
                out.cell(&e.action, None),
                out.cell(out.fit(&e.target, 48), None),
                out.cell(r.state.label(), Some(tone)),
                out.cell(summary, None),
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
    } else if let Some(notice) = &verification.notice {
        // A log that replaced a deleted or emptied one: said on every run, nothing refused.
        out.note(format!("{} {notice}", out.paint("replaced:", Tone::Warn)));
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
