//! The Audit screen's drift fix: one finding, by its id and the typed confirmation; the core
//! re-reads the live state and edits the policy etag-safely, logged.

use crate::state::AppState;
use cmek_core::Result;
use cmek_revoke::{DriftFixReport, DriftFixRequest, RevokeEvent};
use tauri::ipc::Channel;
use tauri::State;

/// Removes exactly the extra binding (or restores the missing one) of drift finding
/// `request.findingId` once `request.confirm` equals its confirmation text.
#[tauri::command]
pub async fn remediate_drift(
    request: DriftFixRequest,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<DriftFixReport> {
    let send = super::sink(on_event, "remediate_drift");
    super::logged(
        "remediate_drift",
        async {
            cmek_desk_core::input::check_drift_fix_request(&request)?;
            state.remediate_drift(&request, &send).await
        }
        .await,
    )
}
