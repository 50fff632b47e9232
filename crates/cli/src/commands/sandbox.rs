//! `cmek sandbox serve`: runs the local sandbox (the demo organisation plus the audit
//! organisation, like the app's sandbox mode) on 127.0.0.1 until Ctrl-C or SIGTERM. The first
//! line on stdout is exactly its base URL, for `--sandbox-url` / `CMEK_SANDBOX_URL`.

use crate::args::SandboxCommand;
use crate::exit::{Outcome, OK};
use crate::output::Out;
use cmek_core::{Error, ErrorCode};
use cmek_sandbox::{Sandbox, SandboxConfig};
use std::io::Write;
use std::net::SocketAddr;

pub async fn run(cmd: SandboxCommand, out: &Out) -> Outcome {
    let SandboxCommand::Serve { port, fast } = cmd;
    let config = if fast {
        SandboxConfig::for_tests()
    } else {
        SandboxConfig::demo()
    }
    .with_audit_seed();
    let handle = Sandbox::try_start_on(config, SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Unavailable,
                format!("the sandbox cannot listen on 127.0.0.1:{port}: {e}"),
            )
        })?;
    let url = handle.base_url();
    println!("{url}");
    let _ = std::io::stdout().flush();
    if !out.json {
        out.note(format!(
            "Sandbox running (no real cloud is touched). Use it with:\n  cmek --sandbox-url {url} clusters\n  export CMEK_SANDBOX_URL={url}\nIts CockroachDB API key is {} (for CMEK_DESK_COCKROACH_API_BASE={url}/cockroach/). Ctrl-C stops it.",
            cmek_sandbox::DEFAULT_COCKROACH_KEY
        ));
    }
    wait_for_stop().await;
    handle.shutdown();
    Ok(OK)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
