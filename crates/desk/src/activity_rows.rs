//! The activity log as the officer reads it (issue 11): one row per write with its final
//! state, the window's Activity table and `cmek activity` alike. The log itself stays as
//! written (an intent before each write, an outcome after it; `cmek_activity`): here each
//! intent is paired with its outcome by the outcome's `intent_id`, and each operation's start
//! with its finish by `operation_id`. An intent (or an operation) with nothing recorded after
//! it stays a row of its own in the state [`RowState::NoOutcome`]: the write was sent or about
//! to be sent when the app stopped, the result is unknown (what crash recovery shows).
//! Exports and `cmek activity --json` keep every entry as written.

use cmek_activity::{ActivityEntry, EntryKind, EntryStatus};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

/// The final state of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RowState {
    /// The write (or operation) succeeded.
    Ok,
    /// Nothing needed doing: already in the wanted state.
    Skipped,
    Failed,
    /// Stopped by the officer.
    Cancelled,
    /// An interrupted operation was rolled back instead of finished.
    RolledBack,
    /// An intent or an operation start with no outcome or finish recorded: sent (or about to
    /// be) when the app stopped; re-read the resource before deciding.
    NoOutcome,
    /// A single fact recorded without a status: nothing to pair (facts the app records, e.g.
    /// connect or export, carry their own status `ok`).
    Recorded,
}

impl RowState {
    fn of(status: Option<EntryStatus>) -> Self {
        match status {
            Some(EntryStatus::Ok) => Self::Ok,
            Some(EntryStatus::Skipped) => Self::Skipped,
            Some(EntryStatus::Failed) => Self::Failed,
            Some(EntryStatus::Cancelled) => Self::Cancelled,
            Some(EntryStatus::RolledBack) => Self::RolledBack,
            Some(EntryStatus::Pending) | None => Self::NoOutcome,
        }
    }

    /// The state in words, as both faces show it (`no outcome recorded`, `ok`…).
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Cancelled => "stopped",
            Self::RolledBack => "rolled back",
            Self::NoOutcome => "no outcome recorded",
            Self::Recorded => "recorded",
        }
    }
}

/// One row of the Activity table: a write (its intent and outcome), an operation (its start
/// and finish) or a single fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityRow {
    /// The entry the row stands for: the write's intent (`before`: the state it was decided
    /// on), the operation's start, or the fact.
    pub entry: ActivityEntry,
    /// The entry that closed it: the write's outcome (`after`, `error`) or the operation's
    /// finish; absent when none was recorded.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ActivityEntry>,
    pub state: RowState,
}

/// Pairs `entries` (oldest first, as `ActivityLog::entries` returns them) into rows, oldest
/// first, each at its first entry's place. An outcome whose intent is not in `entries` (or an
/// operation finish without its start) is a row of its own, so nothing written is hidden.
pub fn pair(entries: &[ActivityEntry]) -> Vec<ActivityRow> {
    let intents: HashSet<i64> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .map(|e| e.id)
        .collect();
    let started: HashSet<&str> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::OperationStarted)
        .filter_map(|e| e.operation_id.as_deref())
        .collect();
    // The last outcome of each intent and the last finish of each operation win.
    let mut outcomes: HashMap<i64, &ActivityEntry> = HashMap::new();
    let mut finishes: HashMap<&str, &ActivityEntry> = HashMap::new();
    for e in entries {
        match (e.kind, e.intent_id, e.operation_id.as_deref()) {
            (EntryKind::Outcome, Some(intent), _) if intents.contains(&intent) => {
                outcomes.insert(intent, e);
            }
            (EntryKind::OperationFinished, _, Some(op)) if started.contains(op) => {
                finishes.insert(op, e);
            }
            _ => {}
        }
    }
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let closing = match e.kind {
            EntryKind::Intent => Some(outcomes.get(&e.id)),
            EntryKind::OperationStarted => {
                Some(e.operation_id.as_deref().and_then(|op| finishes.get(op)))
            }
            EntryKind::Outcome if e.intent_id.is_some_and(|i| intents.contains(&i)) => continue,
            EntryKind::OperationFinished
                if e.operation_id
                    .as_deref()
                    .is_some_and(|op| started.contains(op)) =>
            {
                continue
            }
            _ => None,
        };
        rows.push(match closing {
            Some(outcome) => ActivityRow {
                entry: e.clone(),
                outcome: outcome.map(|o| (*o).clone()),
                state: RowState::of(outcome.and_then(|o| o.status)),
            },
            None => ActivityRow {
                entry: e.clone(),
                outcome: None,
                state: match (e.kind, e.status) {
                    (EntryKind::Event, None) => RowState::Recorded,
                    (_, status) => RowState::of(status),
                },
            },
        });
    }
    rows
}

#[cfg(test)]
mod tests;
