//! Sandbox mode: the in-process fake of Google Cloud and CockroachDB Cloud (`cmek-sandbox`),
//! started on 127.0.0.1 the first time the user picks "Sandbox" and kept for the app's life.
//! Nothing here talks to a real cloud.

use cmek_core::{Error, ErrorCode, Result};
use std::net::SocketAddr;
use cmek_setup::Endpoints;
use tokio::sync::Mutex;

/// The Google bearer token the demo sandbox accepts (not a real credential).
pub const GOOGLE_TOKEN: &str = cmek_sandbox::DEFAULT_GOOGLE_TOKEN;
/// The CockroachDB Cloud API key the demo sandbox accepts (not a real credential).
pub const COCKROACH_KEY: &str = cmek_sandbox::DEFAULT_COCKROACH_KEY;

/// A running sandbox; dropping it stops the servers.
pub struct Running {
    handle: cmek_sandbox::SandboxHandle,
}

impl Running {
    fn endpoints(&self) -> Endpoints {
        let e = self.handle.endpoints();
        Endpoints {
            kms: e.kms,
            iam: e.iam,
            serviceusage: e.serviceusage,
            crm: e.crm,
            cockroach: e.cockroach,
        }
    }
}

/// Starts the demo sandbox unless it already runs (reconnecting keeps its state), and returns
/// its base URLs.
pub async fn ensure_started(slot: &Mutex<Option<Running>>) -> Result<Endpoints> {
    let mut slot = slot.lock().await;
    if let Some(running) = slot.as_ref() {
        return Ok(running.endpoints());
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = cmek_sandbox::Sandbox::try_start_on(cmek_sandbox::SandboxConfig::demo(), loopback)
        .await
        .map_err(|e| Error::new(ErrorCode::Unavailable, format!("The sandbox could not start on 127.0.0.1: {e}")))?;
    tracing::info!("sandbox started on 127.0.0.1");
    Ok(slot.insert(Running { handle }).endpoints())
}
