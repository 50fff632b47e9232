//! Sandbox mode: the in-process fake of Google Cloud and CockroachDB Cloud (`cmek-sandbox`),
//! started on 127.0.0.1 the first time the user picks "Sandbox" and kept for the app's life
//! (reconnecting keeps its state). Nothing here talks to a real cloud, and the credentials are
//! the sandbox's fixed demo values, not real ones. [`connect_external`] reaches a sandbox that
//! another process runs (the command line's `cmek sandbox serve`), on loopback only.

use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, SpecGuard, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_TOKEN,
};
use cmek_setup::{Connection, Endpoints};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::Mutex;

/// Where the app keeps the running sandbox; dropping the handle stops its server.
pub type Slot = Mutex<Option<SandboxHandle>>;

/// How the app starts its sandbox: the spec guard mode (`CMEK_DESK_SANDBOX_SPEC_GUARD`) and
/// the file its base URL is written to (`CMEK_DESK_SANDBOX_URL_FILE`, tests).
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub spec_guard: SpecGuard,
    pub url_file: Option<PathBuf>,
}

impl Start {
    /// From the app's settings.
    pub fn from_settings(settings: &crate::settings::Settings) -> Self {
        Self {
            spec_guard: settings.sandbox_spec_guard(),
            url_file: settings.sandbox_url_file(),
        }
    }
}

/// Starts the demo sandbox (with the audit organisation, `seed_audit`) unless it already runs,
/// and connects to it.
pub async fn connect(slot: &Slot, start: &Start) -> Result<Connection> {
    let endpoints = ensure_started(slot, start).await?;
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

async fn ensure_started(slot: &Slot, start: &Start) -> Result<Endpoints> {
    let mut slot = slot.lock().await;
    if let Some(handle) = slot.as_ref() {
        return Ok(endpoints(handle));
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    // The demo keeps the guard recording (a warning in the log) unless a test asks for more.
    let config = SandboxConfig::demo()
        .with_audit_seed()
        .with_spec_guard_mode(start.spec_guard);
    let handle = Sandbox::try_start_on(config, loopback).await.map_err(|e| {
        Error::new(
            ErrorCode::Unavailable,
            format!("The sandbox could not start on 127.0.0.1: {e}"),
        )
    })?;
    tracing::info!(url = %handle.base_url(), spec_guard = %start.spec_guard, "sandbox started");
    if let Some(file) = &start.url_file {
        if let Err(e) = std::fs::write(file, handle.base_url()) {
            tracing::warn!(file = %file.display(), error = %e, "cannot write the sandbox URL");
        }
    }
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
