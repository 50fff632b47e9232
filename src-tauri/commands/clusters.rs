//! The Cluster screen: every cluster of the organisation with its CMEK eligibility.

use crate::state::AppState;
use cmek_core::plan::ClusterSummary;
use cmek_core::Result;
use tauri::State;

#[tauri::command]
pub async fn list_clusters(state: State<'_, AppState>) -> Result<Vec<ClusterSummary>> {
    super::logged("list_clusters", state.list_clusters().await)
}
