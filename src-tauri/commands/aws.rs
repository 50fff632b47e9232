//! The Plan and Apply screens for an AWS cluster: suggest a request, plan it (role, trust and
//! key policies before/after), apply the plan the backend holds by its id.

use crate::state::AppState;
use cmek_core::aws::plan::{AwsPlan, AwsSetupRequest};
use cmek_core::input::{labels, ClusterUuid, RecordId};
use cmek_core::plan::{ApplyEvent, ApplyResult};
use cmek_core::Result;
use tauri::ipc::Channel;
use tauri::State;

/// Prefills the AWS plan form for a cluster (role and alias derived from the cluster).
#[tauri::command]
pub async fn suggest_aws_setup(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<AwsSetupRequest> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.suggest_aws_setup(id.as_str()).await
    };
    super::logged("suggest_aws_setup", result.await)
}

/// Reads the current state and returns what applying would do, with its id and digest.
#[tauri::command]
pub async fn plan_aws_setup(
    request: AwsSetupRequest,
    state: State<'_, AppState>,
) -> Result<AwsPlan> {
    super::logged("plan_aws_setup", state.plan_aws_setup(request).await)
}

/// Applies the AWS plan the backend holds as `plan_id`, reporting every step through `on_event`.
#[tauri::command]
pub async fn apply_aws_setup(
    plan_id: String,
    on_event: Channel<ApplyEvent>,
    state: State<'_, AppState>,
) -> Result<ApplyResult> {
    let send = super::sink(on_event, "apply_aws_setup");
    let result = async {
        let id = RecordId::parse(labels::PLAN_ID, &plan_id)?;
        state.apply_aws_setup(id.as_str(), &send).await
    };
    super::logged("apply_aws_setup", result.await)
}
