//! `cmek`: CMEK Desk's command line. The same application core as the desktop window
//! (`cmek_desk_core::Desk`): the same session and OS keychain entries, the same activity log,
//! the same held-plan and cancellation rules; no Tauri, no WebKit.
//!
//! This file parses the arguments, sets up logging and the runtime, runs one command
//! ([`commands::run`]) and turns its outcome into a documented exit code ([`exit`]).
//!
//! A reader that goes away (`cmek clusters | head -1`): the process ends quietly with exit code
//! 141, the code a shell gives a tool ended by `SIGPIPE` (128 + 13) as `cat` or `git` are, so
//! `set -o pipefail` still sees that the output was cut. Rust ignores `SIGPIPE`, which turned the
//! next `println!` into a panic message (issue #11); [`quiet_on_broken_pipe`] turns exactly that
//! failure (`EPIPE` writing stdout) into the exit. An `apply` cut this way stops where it was and
//! resumes like any interrupted run (check → act → verify, the activity log's intent entries).

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
    quiet_on_broken_pipe();
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

/// Exit code when the output's reader went away: what a shell reports for `SIGPIPE`.
const BROKEN_PIPE: i32 = 141;

/// Replaces the panic of a write to a closed pipe (`println!`: "failed printing to stdout:
/// Broken pipe (os error 32)", clap_complete's generator alike) with a quiet exit
/// [`BROKEN_PIPE`]; every other panic is reported as before.
fn quiet_on_broken_pipe() {
    #[cfg(unix)]
    {
        let error = std::io::Error::from_raw_os_error(rustix::io::Errno::PIPE.raw_os_error());
        // `println!` formats the error with `Display`, `expect` (clap_complete) with `Debug`.
        let epipe = [error.to_string(), format!("{error:?}")];
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if epipe.iter().any(|e| text.contains(e.as_str())) {
                std::process::exit(BROKEN_PIPE);
            }
            report(info);
        }));
    }
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
