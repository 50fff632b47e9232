//! The freeze record: what "disable every enabled version" saves in the activity database
//! before its first change (the snapshot of its `key.disable_versions` operation, kind
//! [`FREEZE_SNAPSHOT_KIND`]), and how "restore after freeze" finds the freeze to undo.
//!
//! A freeze run again before it was undone (e.g. resumed after a stop, when the schedule is
//! already cleared and some versions are already disabled) carries the earlier record over,
//! so the values restored are always those from before the first freeze.

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::kms::{version_state, CryptoKeyVersion};
use cmek_core::Result;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::schedule::RotationSchedule;

/// Snapshot kind of a freeze in the activity database.
pub const FREEZE_SNAPSHOT_KIND: &str = "key_freeze";
/// Activity action of "disable every enabled version".
pub(crate) const FREEZE_ACTION: &str = "key.disable_versions";
/// Activity action of "restore after freeze".
pub(crate) const UNFREEZE_ACTION: &str = "key.unfreeze";

/// What a freeze recorded before changing anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FreezeSnapshot {
    /// The `key.disable_versions` operation that saved it.
    pub operation_id: String,
    pub key: String,
    /// RFC 3339 UTC.
    pub taken_at: String,
    /// The automatic rotation schedule the freeze cleared; absent when none was set.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<RotationSchedule>,
    /// Versions (full names) that were ENABLED before the freeze: what restoring re-enables.
    pub enabled_versions: Vec<String>,
    /// An earlier freeze of the same key, not undone, whose values this one carries over.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
}

impl FreezeSnapshot {
    /// The record of freeze `operation_id` of `key`, read as `current` schedule and `versions`,
    /// carrying over `previous` (the latest freeze not undone).
    pub(crate) fn new(
        operation_id: &str,
        key: &str,
        current: RotationSchedule,
        versions: &[CryptoKeyVersion],
        previous: Option<FreezeSnapshot>,
    ) -> Self {
        let mut enabled: Vec<String> = previous
            .as_ref()
            .map(|p| p.enabled_versions.clone())
            .unwrap_or_default();
        for v in versions {
            if v.state.as_deref() == Some(version_state::ENABLED) && !enabled.contains(&v.name) {
                enabled.push(v.name.clone());
            }
        }
        let schedule = if current.is_set() {
            Some(current)
        } else {
            previous.as_ref().and_then(|p| p.schedule.clone())
        };
        Self {
            operation_id: operation_id.to_owned(),
            key: key.to_owned(),
            taken_at: crate::now(),
            schedule,
            enabled_versions: enabled,
            continues: previous.map(|p| p.operation_id),
        }
    }
}

/// The latest freeze of `key` that saved a record, unless a "restore after freeze" of it
/// finished `ok` (then nothing is left to undo).
pub fn latest_freeze(log: &ActivityLog, key: &str) -> Result<Option<FreezeSnapshot>> {
    let mut last = None;
    for op in log.operations(FREEZE_ACTION, key)?.iter().rev() {
        if let Some(s) = log.snapshot::<FreezeSnapshot>(op)? {
            last = Some(s);
            break;
        }
    }
    let Some(snap) = last else {
        return Ok(None);
    };
    for op in log.operations(UNFREEZE_ACTION, key)? {
        let entries = log.operation_entries(&op)?;
        let undoes = entries.iter().any(|e| {
            e.kind == EntryKind::OperationStarted
                && e.before
                    .as_ref()
                    .and_then(|b| b["freezeOperationId"].as_str())
                    == Some(snap.operation_id.as_str())
        });
        let ok = entries
            .iter()
            .any(|e| e.kind == EntryKind::OperationFinished && e.status == Some(EntryStatus::Ok));
        if undoes && ok {
            return Ok(None);
        }
    }
    Ok(Some(snap))
}
