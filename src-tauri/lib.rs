//! CMEK Desk's desktop shell: the Tauri app, its state and its commands.
//!
//! What lives here: window and logging setup ([`run`]), the command registration shared by the
//! real app and `tauri::test`'s MockRuntime ([`with_handlers`]), the app state ([`state`], the
//! application core itself) and one thin adapter per command ([`commands`]). What does not:
//! any decision; every command calls one method of `cmek_desk_core::Desk` (the core the `cmek`
//! command line uses too) and returns its result.

pub mod commands;
pub mod state;

/// The core's session, settings and IPC types, re-exported for the shell's tests.
pub use cmek_desk_core::{session, settings, wire};

use std::sync::Arc;
use tauri::Manager;
use tauri_plugin_opener::OpenerExt;
use tracing_subscriber::EnvFilter;

/// Registers the default app state (settings from the environment, the OS keychain) and every
/// command on any runtime (Wry for the app, MockRuntime for tests).
pub fn with_handlers<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    with_state(builder, state::AppState::default())
}

/// Like [`with_handlers`] with a given state (tests: an `InMemoryStore` keychain).
/// Keep the command list in sync with `COMMANDS` in `build.rs`.
pub fn with_state<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: state::AppState,
) -> tauri::Builder<R> {
    builder
        // Opens the system browser from Rust; the webview is granted none of its commands.
        .plugin(tauri_plugin_opener::init())
        // The native file picker for the key file on Connect (`dialog:allow-open` only).
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            let state = app.state::<state::AppState>();
            state
                .session()
                .set_opener(Arc::new(SystemBrowser(app.handle().clone())));
            if let Ok(dir) = app.path().app_config_dir() {
                state.session().set_config_dir(dir);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session::session_status,
            commands::session::sign_in_google,
            commands::session::cancel_sign_in,
            commands::session::use_google_credentials,
            commands::session::save_cockroach_key,
            commands::session::forget_cockroach_key,
            commands::session::sign_out,
            commands::session::connect_live,
            commands::connection::connect_sandbox,
            commands::connection::disconnect,
            commands::connection::open_docs,
            commands::clusters::list_clusters,
            commands::setup::suggest_setup,
            commands::setup::plan_setup,
            commands::setup::apply_setup,
            commands::setup::cancel_apply,
            commands::aws::suggest_aws_setup,
            commands::aws::plan_aws_setup,
            commands::aws::apply_aws_setup,
            commands::status::cmek_status,
            commands::changes::allowed_actions,
            commands::changes::suggest_rotation,
            commands::changes::plan_rotation,
            commands::changes::plan_add_region,
            commands::revoke::preview_revoke,
            commands::revoke::revoke_cluster,
            commands::revoke::resume_revoke,
            commands::revoke::recover_revoke,
            commands::revoke::cancel_revoke,
            commands::revoke::preview_key,
            commands::revoke::disable_key_versions,
            commands::revoke::restore_key_versions,
            commands::activity::activity_entries,
            commands::activity::activity_rows,
            commands::activity::pending_operations,
            commands::activity::verify_activity,
            commands::activity::export_activity,
            commands::audit::start_audit,
            commands::audit::cancel_audit,
            commands::audit::export_audit,
            commands::drift::remediate_drift,
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

/// Opens URLs in the system browser through tauri-plugin-opener (cmek-auth's `BrowserOpener`).
struct SystemBrowser<R: tauri::Runtime>(tauri::AppHandle<R>);

impl<R: tauri::Runtime> cmek_auth::BrowserOpener for SystemBrowser<R> {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0
            .opener()
            .open_url(url, None::<&str>)
            .map_err(|e| format!("The system browser could not be opened ({e})."))
    }
}

/// Logs to stderr (and to `CMEK_DESK_LOG_FILE` when set), filtered by `CMEK_DESK_LOG` or
/// `RUST_LOG` (default: info for our crates, warn otherwise). Tokens never reach a log: they
/// are `cmek_core::Secret`, whose `Debug`/`Display` redact.
fn init_logging() {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let settings = settings::Settings::from_environment();
    let filter = settings
        .log_filter()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| {
            EnvFilter::new("warn,cmek_desk=info,cmek_setup=info,cmek_sandbox=info,cmek_auth=info")
        });
    // 0600: the log names identities and resources (issue 13).
    let file = settings
        .log_file()
        .and_then(|path| cmek_activity::files::append_private(&path).ok());
    // A second init (e.g. in tests) is harmless; ignore "already set".
    let _ = match file {
        Some(file) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::io::stderr.and(std::sync::Mutex::new(file)))
            .try_init(),
        None => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    };
}
