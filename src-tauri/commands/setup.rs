//! The Plan and Apply screens: suggest a request, plan it, apply the reviewed plan.

use crate::state::AppState;
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan, SetupRequest};
use cmek_core::Result;
use tauri::ipc::Channel;
use tauri::State;

/// Prefills the Plan form for a cluster (names derived from the cluster, one key per region…).
#[tauri::command]
pub async fn suggest_setup(cluster_id: String, state: State<'_, AppState>) -> Result<SetupRequest> {
    let connection = state.connection().await?;
    super::logged(
        "suggest_setup",
        cmek_setup::suggest_request(&connection, &cluster_id).await,
    )
}

/// Reads the current state and returns what applying would do. Makes no write call.
#[tauri::command]
pub async fn plan_setup(request: SetupRequest, state: State<'_, AppState>) -> Result<Plan> {
    let connection = state.connection().await?;
    super::logged("plan_setup", cmek_setup::plan(&connection, request).await)
}

/// Executes a reviewed plan, reporting every step through `on_event` in order.
#[tauri::command]
pub async fn apply_setup(
    plan: Plan,
    on_event: Channel<ApplyEvent>,
    state: State<'_, AppState>,
) -> Result<ApplyResult> {
    let connection = state.connection().await?;
    let control = state.start_apply().await;
    tracing::info!(cluster = %plan.cluster.id, steps = plan.steps.len(), "applying setup plan");
    let send = move |event: ApplyEvent| super::send_event(&on_event, "apply_setup", event);
    super::logged(
        "apply_setup",
        cmek_setup::apply(&connection, &plan, &control, &send).await,
    )
}

/// Asks the running apply to stop before its next step or poll; what is done stays done and
/// applying again continues from there. A no-op when nothing runs.
#[tauri::command]
pub async fn cancel_apply(state: State<'_, AppState>) -> Result<()> {
    tracing::info!("apply cancellation requested");
    state.cancel_apply().await;
    Ok(())
}
