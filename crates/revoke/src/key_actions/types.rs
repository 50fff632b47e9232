//! The data of the key-level emergency actions, as the confirmation and the result screens
//! show them: versions, the destroy guard, the preview (with the rotation schedule and the
//! freeze that "restore after freeze" would undo), per-version results, the rotation schedule
//! and its changes, and the report.

use cmek_core::kms::{CryptoKey, CryptoKeyVersion};
use cmek_core::Error;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::freeze::FreezeSnapshot;
use crate::blast_radius::ClusterKeyUse;

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionView {
    pub name: String,
    pub version_id: String,
    pub state: String,
    /// Restore deadline (RFC 3339), only for DESTROY_SCHEDULED.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_time: Option<String>,
}

impl From<&CryptoKeyVersion> for VersionView {
    fn from(v: &CryptoKeyVersion) -> Self {
        Self {
            name: v.name.clone(),
            version_id: v.version_id().to_owned(),
            state: v.state.clone().unwrap_or_default(),
            destroy_time: v.destroy_time.clone(),
        }
    }
}

/// Whether the key may be offered for destruction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DestroyGuard {
    pub key: String,
    pub allowed: bool,
    /// Every current or past CockroachDB use of the key.
    pub in_use_by: Vec<ClusterKeyUse>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// The confirmation data of the key actions (reads only). `confirm_text` is the key id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyPreview {
    pub key: String,
    pub confirm_text: String,
    /// google-duration, e.g. `"2592000s"` (30 days, the default).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_scheduled_duration: Option<String>,
    pub versions: Vec<VersionView>,
    /// Versions "disable all" would disable (ENABLED).
    pub to_disable: Vec<String>,
    /// Versions it skips, with their states (B04).
    pub skipped: Vec<VersionView>,
    /// Versions that can be restored (DESTROY_SCHEDULED), with their deadlines.
    pub restorable: Vec<VersionView>,
    pub guard: DestroyGuard,
    /// The key's automatic rotation schedule now; "disable all" clears it (and records it) so
    /// Cloud KMS cannot create a new ENABLED primary at `nextRotationTime`.
    #[serde(default)]
    pub rotation: RotationSchedule,
    /// The latest freeze ("disable all") not yet undone: what "restore after freeze" would
    /// re-enable and the schedule it would put back. Absent when there is none.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze: Option<FreezeSnapshot>,
    /// What else the key protects in its organisation (KMS Inventory), or why that could not be
    /// checked: the data "disable all" (and a destroy) would also cut off. Filled by the caller
    /// (`cmek_desk_core::Desk::preview_key` reads it with `cmek_audit::protected::for_key`);
    /// absent when not read.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_resources: Option<cmek_core::protected::ProtectedResources>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum VersionOutcome {
    Disabled,
    /// Restored (DISABLED) and, if asked, enabled.
    Restored,
    /// Enabled again by "restore after freeze" (it was ENABLED before the freeze).
    Enabled,
    Skipped,
    Failed,
}

/// One version's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionResult {
    pub name: String,
    pub state_before: String,
    pub state_after: String,
    pub outcome: VersionOutcome,
    /// Why it was skipped or failed.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// The result of a key action, with the versions re-read at the end (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyActionReport {
    pub operation_id: String,
    pub key: String,
    pub results: Vec<VersionResult>,
    /// True when cancelled part-way: run again to resume (done versions are skipped).
    pub cancelled: bool,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy_scheduled_duration: Option<String>,
    pub observed_versions: Vec<VersionView>,
    /// Automatic rotation: what "disable all" cleared, or what "restore after freeze" put
    /// back, with the schedule re-read at the end. Absent for the other actions.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<ScheduleChange>,
}

/// A key's automatic rotation schedule, exactly as Cloud KMS reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationSchedule {
    /// google-duration as sent by KMS, e.g. `"2592000s"` (30 days); absent: no period.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_period: Option<String>,
    /// RFC 3339 UTC time of the next automatic rotation; absent: none scheduled.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation_time: Option<String>,
}

impl RotationSchedule {
    /// The schedule of a key as read.
    pub fn of(key: &CryptoKey) -> Self {
        Self {
            rotation_period: key.rotation_period.clone(),
            next_rotation_time: key.next_rotation_time.clone(),
        }
    }

    /// True when either field is set (KMS may create a version at `nextRotationTime`).
    pub fn is_set(&self) -> bool {
        self.rotation_period.is_some() || self.next_rotation_time.is_some()
    }

    /// One line for the activity log.
    pub(crate) fn describe(&self) -> String {
        match (&self.rotation_period, &self.next_rotation_time) {
            (None, None) => "no automatic rotation".into(),
            (p, t) => format!(
                "rotationPeriod {}, nextRotationTime {}",
                p.as_deref().unwrap_or("<absent>"),
                t.as_deref().unwrap_or("<absent>")
            ),
        }
    }
}

/// What happened to the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ScheduleOutcome {
    /// Automatic rotation stopped (both fields cleared).
    Cleared,
    /// The recorded schedule was put back.
    Restored,
    /// Nothing to write: the key already had the wanted schedule.
    Skipped,
    /// The patch failed (`error`); the schedule is as `after` shows.
    Failed,
}

/// One change of a key's rotation schedule, with the values before, sent and re-read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScheduleChange {
    /// As read before the change (for a freeze: the exact values it cleared).
    pub before: RotationSchedule,
    /// What was written (or would have been).
    pub requested: RotationSchedule,
    /// As KMS reported it at the end (B05: what is, not what was intended).
    pub after: RotationSchedule,
    pub outcome: ScheduleOutcome,
    /// Why `requested` differs from the recorded schedule (a `nextRotationTime` in the past).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}
