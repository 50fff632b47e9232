//! The Result screen: CockroachDB's current CMEK status of a cluster.

use crate::state::AppState;
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::input::{labels, ClusterUuid};
use cmek_core::Result;
use tauri::State;

#[tauri::command]
pub async fn cmek_status(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<CmekClusterInfo> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.cmek_status(id.as_str()).await
    };
    super::logged("cmek_status", result.await)
}
