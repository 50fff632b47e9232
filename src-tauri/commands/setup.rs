//! The Plan and Apply screens: suggest a request, plan it, apply the reviewed plan by its id.

use crate::state::AppState;
use cmek_core::input::{labels, ClusterUuid, RecordId};
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan, SetupRequest};
use cmek_core::Result;
use cmek_desk_core::Operation;
use tauri::ipc::Channel;
use tauri::State;

/// Prefills the Plan form for a cluster (names derived from the cluster, one key per region…).
#[tauri::command]
pub async fn suggest_setup(cluster_id: String, state: State<'_, AppState>) -> Result<SetupRequest> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.suggest_setup(id.as_str()).await
    };
    super::logged("suggest_setup", result.await)
}

/// Reads the current state and returns what applying would do, with its id and digest.
#[tauri::command]
pub async fn plan_setup(request: SetupRequest, state: State<'_, AppState>) -> Result<Plan> {
    super::logged("plan_setup", state.plan_setup(request).await)
}

/// Applies the plan the backend holds as `plan_id`, reporting every step through `on_event`.
#[tauri::command]
pub async fn apply_setup(
    plan_id: String,
    on_event: Channel<ApplyEvent>,
    state: State<'_, AppState>,
) -> Result<ApplyResult> {
    let send = super::sink(on_event, "apply_setup");
    let result = async {
        let id = RecordId::parse(labels::PLAN_ID, &plan_id)?;
        state.apply_setup(id.as_str(), &send).await
    };
    super::logged("apply_setup", result.await)
}

/// Asks the running apply to stop before its next step or poll (no-op when nothing runs).
#[tauri::command]
pub async fn cancel_apply(state: State<'_, AppState>) -> Result<()> {
    state.cancel(Operation::Apply);
    Ok(())
}
