//! `cmek sandbox serve`: runs the local sandbox (the demo organisation plus the audit
//! organisation, like the app's sandbox mode) on 127.0.0.1 until Ctrl-C or SIGTERM. The first
//! line on stdout is exactly its base URL, for `--sandbox-url` / `CMEK_SANDBOX_URL`.
//!
//! `--spec-guard off|record|fail` (default `record`, `cmek_sandbox::SpecGuard`): with `fail`
//! (the command-line tests' harness), a request or an answer that broke the API contracts
//! and that nobody took off the list makes the process exit with code 1 when it stops,
//! naming each on stderr (ARCHITECTURE invariant 8).

use crate::args::SandboxCommand;
use crate::exit::{Outcome, FAILED, OK};
use crate::output::Out;
use cmek_core::{Error, ErrorCode};
use cmek_sandbox::{Sandbox, SandboxConfig, SpecGuard, StopSignal};
use std::io::Write;
use std::net::SocketAddr;

pub async fn run(cmd: SandboxCommand, out: &Out) -> Outcome {
    let SandboxCommand::Serve {
        port,
        fast,
        spec_guard,
    } = cmd;
    let config = if fast {
        SandboxConfig::for_tests()
    } else {
        SandboxConfig::demo()
    }
    .with_audit_seed()
    .with_spec_guard_mode(spec_guard);
    let handle = Sandbox::try_start_on(config, SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Unavailable,
                format!("the sandbox cannot listen on 127.0.0.1:{port}: {e}"),
            )
        })?;
    // Listen for SIGTERM before telling anyone the URL: a harness may stop us at once.
    let stop = StopSignal::listen();
    let url = handle.base_url();
    println!("{url}");
    let _ = std::io::stdout().flush();
    if !out.json {
        out.note(format!(
            "Sandbox running (no real cloud is touched). Use it with:\n  cmek --sandbox-url {url} clusters\n  export CMEK_SANDBOX_URL={url}\nIts CockroachDB API key is {} (for CMEK_DESK_COCKROACH_API_BASE={url}/cockroach/). Ctrl-C stops it.",
            cmek_sandbox::DEFAULT_COCKROACH_KEY
        ));
    }
    stop.wait().await;
    // Taken off the list here, so dropping the handle never panics: the exit code says it.
    let findings = handle.take_spec_findings();
    handle.shutdown();
    if spec_guard == SpecGuard::Fail && !findings.is_empty() {
        eprintln!(
            "cmek sandbox: spec guard: {}",
            cmek_sandbox::spec_guard::findings_message(&findings)
        );
        return Ok(FAILED);
    }
    Ok(OK)
}
