//! `cmek-sandbox` binary: serves the sandbox (the demo organisation) on 127.0.0.1 in its own
//! process until Ctrl-C or SIGTERM, e.g. for the E2E crash test (`tests/common/crash.rs`),
//! whose clouds must outlive the app it kills.
//!
//! The first line on stdout is exactly the base URL (a harness reads it); the per-service
//! endpoints and the demo credentials follow on stderr. Arguments (clap, `--help`):
//! `--port N` (0, the default: any free port), `--tests` (zero delays, the test
//! configuration) and `--spec-guard off|record|fail` (`cmek_sandbox::SpecGuard`; default
//! `record`, or `fail` with `--tests`). With `fail`, exchanges that broke the API contracts
//! and that nobody took off the list (`GET {base}/_sandbox/spec-findings` only reads them)
//! make the process exit 1 when it stops, naming each on stderr, as `cmek sandbox serve` does.
//! A bad argument exits 2 with clap's message naming the flag.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use cmek_sandbox::{Sandbox, SandboxConfig, SpecGuard, StopSignal};

/// Serves the CMEK Desk sandbox (a fake of the Google Cloud, AWS and CockroachDB Cloud APIs
/// CMEK Desk uses, seeded with a demo organisation) on 127.0.0.1 until Ctrl-C or SIGTERM.
#[derive(Debug, Parser)]
#[command(
    name = "cmek-sandbox",
    version,
    after_help = "The first line on stdout is the base URL; the endpoints and the demo \
                  credentials follow on stderr.\nWith the command line installed, `cmek sandbox \
                  serve` runs the same server (plus the audit organisation)."
)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,
    /// The test configuration: no simulated delays (IAM propagation, CMEK transitions,
    /// latency) and the spec guard on `fail`.
    #[arg(long)]
    tests: bool,
    /// Requests and answers that break the API contracts: off (not checked), record (answered
    /// as the real API would and listed at {URL}/_sandbox/spec-findings) or fail (as
    /// record, and the sandbox exits with code 1 naming them when it stops). Default: record,
    /// or fail with --tests.
    #[arg(long, value_name = "MODE")]
    spec_guard: Option<SpecGuard>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = if args.tests {
        SandboxConfig::for_tests()
    } else {
        SandboxConfig::demo()
    };
    let config = match args.spec_guard {
        Some(mode) => config.with_spec_guard_mode(mode),
        None => config,
    };
    let guard = config.spec_guard_mode();
    let port = args.port;
    let handle = match Sandbox::try_start_on(config, SocketAddr::from(([127, 0, 0, 1], port))).await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cmek-sandbox: cannot bind 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Listen for SIGTERM before telling anyone the URL: a harness may stop us at once.
    let stop = StopSignal::listen();
    println!("{}", handle.base_url());
    let _ = std::io::stdout().flush();
    let e = handle.endpoints();
    eprintln!(
        "kms={} iam={} serviceusage={} crm={} cockroach={}",
        e.kms, e.iam, e.serviceusage, e.crm, e.cockroach
    );
    eprintln!(
        "google token: {}  cockroach key: {}",
        cmek_sandbox::DEFAULT_GOOGLE_TOKEN,
        cmek_sandbox::DEFAULT_COCKROACH_KEY
    );
    eprintln!(
        "aws endpoint: {}  access key: {}  secret: {}  account: {}",
        e.aws,
        cmek_sandbox::AWS_ACCESS_KEY_ID,
        cmek_sandbox::AWS_SECRET_ACCESS_KEY,
        cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID
    );
    eprintln!("spec guard: {guard}");
    stop.wait().await;
    // Taken off the list here, so dropping the handle never panics: the exit code says it.
    let findings = handle.take_spec_findings();
    handle.shutdown();
    if guard == SpecGuard::Fail && !findings.is_empty() {
        eprintln!(
            "cmek-sandbox: spec guard: {}",
            cmek_sandbox::spec_guard::findings_message(&findings)
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
