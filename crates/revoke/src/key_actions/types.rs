//! The data of the key-level emergency actions, as the confirmation and the result screens
//! show them: versions, the destroy guard, the preview (with the rotation schedule and the
//! freeze that "restore after freeze" would undo), per-version results and the report.

use cmek_core::kms::CryptoKeyVersion;
use cmek_core::Error;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::freeze::FreezeSnapshot;
use super::schedule::{RotationSchedule, ScheduleChange};
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
