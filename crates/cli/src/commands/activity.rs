//! `cmek activity`: the activity log the window and the command line share (every change with
//! its intent and outcome, connections, sign-ins, exports), oldest first; `--json` prints the
//! entries as the core returns them. Interrupted operations are pointed out on stderr.

use crate::exit::{Outcome, OK};
use crate::output::{Out, Tone};
use cmek_activity::EntryStatus;
use cmek_desk_core::Desk;

pub fn run(desk: &Desk, out: &Out) -> Outcome {
    let entries = desk.activity_entries()?;
    let pending = desk.pending_operations()?;
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
    for p in &pending {
        let next = if p.has_snapshot {
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
