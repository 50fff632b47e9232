//! The Result screen: CockroachDB's current CMEK status of a cluster.

use crate::state::AppState;
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::Result;
use tauri::State;

#[tauri::command]
pub async fn cmek_status(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<CmekClusterInfo> {
    super::logged("cmek_status", state.cmek_status(&cluster_id).await)
}
