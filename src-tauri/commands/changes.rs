//! Day two on a CMEK cluster: what the state machine allows, rotate to a new key, add a region.
//! Rotation and new-region plans are applied by id through `apply_setup`, like a first setup.

use crate::state::AppState;
use cmek_core::change::{AddRegionRequest, RotationRequest};
use cmek_core::input::{labels, ClusterUuid};
use cmek_core::lifecycle::ActionAvailability;
use cmek_core::plan::Plan;
use cmek_core::Result;
use tauri::State;

/// What the officer may do on a cluster now, and why not otherwise.
#[tauri::command]
pub async fn allowed_actions(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<Vec<ActionAvailability>> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.allowed_actions(id.as_str()).await
    };
    super::logged("allowed_actions", result.await)
}

/// A rotation prefilled for a CMEK cluster (same project and service account, a new key id).
#[tauri::command]
pub async fn suggest_rotation(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<RotationRequest> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.suggest_rotation(id.as_str()).await
    };
    super::logged("suggest_rotation", result.await)
}

/// Plans moving a cluster to a new key (reads only); the plan is held by id.
#[tauri::command]
pub async fn plan_rotation(request: RotationRequest, state: State<'_, AppState>) -> Result<Plan> {
    super::logged("plan_rotation", state.plan_rotation(request).await)
}

/// Plans adding a region with its key (reads only); the plan is held by id.
#[tauri::command]
pub async fn plan_add_region(
    request: AddRegionRequest,
    state: State<'_, AppState>,
) -> Result<Plan> {
    super::logged("plan_add_region", state.plan_add_region(request).await)
}
