//! `cmek`: CMEK Desk's command line. The same application core as the desktop window
//! (`cmek_desk_core::Desk`): the same session and OS keychain entries, the same activity log,
//! the same held-plan and cancellation rules; no Tauri, no WebKit.
//!
//! This file parses the arguments, sets up logging and the runtime, runs one command
//! ([`commands::run`]) and turns its outcome into a documented exit code ([`exit`]).

mod args;
mod cancel;
mod commands;
mod exit;
mod help;
#[cfg(all(debug_assertions, unix))]
mod kill_point;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `CMEK_DESK_NAME=value` arguments are settings (read by the core), not clap arguments.
    let argv = std::env::args_os().filter(|a| !is_setting(&a.to_string_lossy()));
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    init_logging();
    #[cfg(all(debug_assertions, unix))]
    if let Err(rule) = kill_point::install_from_env() {
        eprintln!("error: {rule}");
        return ExitCode::from(exit::USAGE);
    }
    let out = output::Out::detect(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let code = match runtime.block_on(commands::run(cli, &out)) {
        Ok(code) => code,
        Err(error) => {
            let error = exit::in_user_terms(error);
            out.error(&error);
            exit::code_of(&error)
        }
    };
    // Do not wait for background tasks (a sandbox server, a cancelled poll) to wind down.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// True for a `CMEK_DESK_NAME=value` setting argument.
fn is_setting(arg: &str) -> bool {
    arg.split_once('=')
        .is_some_and(|(k, _)| k.starts_with(cmek_desk_core::settings::PREFIX))
}

/// Logs to stderr: `CMEK_DESK_LOG`, else `RUST_LOG`, else errors only (the commands print
/// what went wrong themselves; `CMEK_DESK_LOG=warn` or `info` shows more).
fn init_logging() {
    let filter = std::env::var("CMEK_DESK_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "error".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}
