//! CMEK Desk's desktop shell: the Tauri app, its state and its commands.
//!
//! What lives here: window and logging setup ([`run`]), the command registration shared by the
//! real app and `tauri::test`'s MockRuntime ([`with_handlers`]), the app state ([`state`]) and
//! one thin adapter per command ([`commands`]). What does not: any CMEK logic; every command
//! calls exactly one function of `cmek_setup` (or starts the sandbox) and returns its result.

pub mod commands;
pub mod sandbox;
pub mod state;

use tracing_subscriber::EnvFilter;

/// Registers the app state and every command on any runtime (Wry for the app, MockRuntime
/// for tests). Keep the list in sync with `COMMANDS` in `build.rs`.
pub fn with_handlers<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(state::AppState::default())
        .invoke_handler(tauri::generate_handler![
            commands::connection::connect_sandbox,
            commands::clusters::list_clusters,
            commands::setup::suggest_setup,
            commands::setup::plan_setup,
            commands::setup::apply_setup,
            commands::setup::cancel_apply,
            commands::status::cmek_status,
        ])
}

/// Starts the app. With no account configured it starts in sandbox mode: the Connect screen
/// offers the built-in sandbox, which is only started when the user picks it.
pub fn run() {
    init_logging();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting CMEK Desk");
    with_handlers(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("error while running the CMEK Desk window");
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info for our crates, warn otherwise).
/// Tokens never reach a log: they are `cmek_core::Secret`, whose `Debug`/`Display` redact.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("warn,cmek_desk=info,cmek_setup=info,cmek_sandbox=info")
    });
    // A second init (e.g. in tests) is harmless; ignore "already set".
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
