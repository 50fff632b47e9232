//! Sandbox mode: the in-process fake of Google Cloud and CockroachDB Cloud (`cmek-sandbox`),
//! started on 127.0.0.1 the first time the user picks "Sandbox" and kept for the app's life
//! (reconnecting keeps its state). Nothing here talks to a real cloud, and the credentials are
//! the sandbox's fixed demo values, not real ones. [`connect_external`] reaches a sandbox that
//! another process runs (the command line's `cmek sandbox serve`), on loopback only.

use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_TOKEN,
};
use cmek_setup::{Connection, Endpoints};
use std::net::SocketAddr;
use tokio::sync::Mutex;

/// Where the app keeps the running sandbox; dropping the handle stops its server.
pub type Slot = Mutex<Option<SandboxHandle>>;

/// Starts the demo sandbox (with the audit organisation, `seed_audit`) unless it already runs,
/// and connects to it.
pub async fn connect(slot: &Slot) -> Result<Connection> {
    let endpoints = ensure_started(slot).await?;
    let google = Secret::new(DEFAULT_GOOGLE_TOKEN);
    let cockroach = Secret::new(DEFAULT_COCKROACH_KEY);
    Connection::with_static_tokens(endpoints, google, cockroach, ConnectionMode::Sandbox).await
}

/// Connects to a sandbox another process runs at `base` (`cmek sandbox serve`, `cmek-sandbox`),
/// with the sandbox's fixed demo credentials. Errors: `INVALID_INPUT` when `base` is not an
/// `http://127.0.0.1` or `http://[::1]` URL (a sandbox is loopback-only; the demo credentials
/// are never sent elsewhere), `UNAVAILABLE` when nothing answers there.
pub async fn connect_external(base: &str) -> Result<Connection> {
    let base = base.trim().trim_end_matches('/');
    let rest = base.strip_prefix("http://").unwrap_or_default();
    let host = rest.split('/').next().unwrap_or_default();
    let loopback = host.starts_with("127.0.0.1:") || host.starts_with("[::1]:");
    if !loopback {
        return Err(Error::invalid_input(
            "sandbox URL",
            format!("must be http://127.0.0.1:PORT or http://[::1]:PORT (got \"{base}\")"),
        ));
    }
    let endpoints = Endpoints {
        kms: format!("{base}/kms/"),
        iam: format!("{base}/iam/"),
        serviceusage: format!("{base}/serviceusage/"),
        crm: format!("{base}/crm/"),
        logging: format!("{base}/logging/"),
        monitoring: format!("{base}/monitoring/"),
        cockroach: format!("{base}/cockroach/"),
    };
    let google = Secret::new(DEFAULT_GOOGLE_TOKEN);
    let cockroach = Secret::new(DEFAULT_COCKROACH_KEY);
    Connection::with_static_tokens(endpoints, google, cockroach, ConnectionMode::Sandbox).await
}

async fn ensure_started(slot: &Slot) -> Result<Endpoints> {
    let mut slot = slot.lock().await;
    if let Some(handle) = slot.as_ref() {
        return Ok(endpoints(handle));
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = Sandbox::try_start_on(SandboxConfig::demo().with_audit_seed(), loopback)
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Unavailable,
                format!("The sandbox could not start on 127.0.0.1: {e}"),
            )
        })?;
    tracing::info!(url = %handle.base_url(), "sandbox started");
    Ok(endpoints(slot.insert(handle)))
}

fn endpoints(handle: &SandboxHandle) -> Endpoints {
    let e = handle.endpoints();
    Endpoints {
        kms: e.kms,
        iam: e.iam,
        serviceusage: e.serviceusage,
        crm: e.crm,
        logging: e.logging,
        monitoring: e.monitoring,
        cockroach: e.cockroach,
    }
}
