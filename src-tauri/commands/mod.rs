//! The app's IPC commands: adapters of a few lines each, one module per screen's concern.
//!
//! Each command takes its arguments (typed by `cmek_core` and `cmek_desk_core`), calls one
//! method of the application core (`cmek_desk_core::Desk`) and returns its `Result`. Errors
//! cross IPC as `cmek_core::Error` (`{code, message, …}`); the UI switches on `code`. Logic in
//! a command is a review blocker: it belongs in the core.

pub mod activity;
pub mod audit;
pub mod aws;
pub mod changes;
pub mod clusters;
pub mod connection;
pub mod drift;
pub mod revoke;
pub mod session;
pub mod setup;
pub mod status;

/// The tracing target of IPC payloads (`CMEK_DESK_LOG=cmek_desk::ipc=trace` records every
/// response and channel message exactly as serialized for the window; the secret scan of
/// scripts/test.sh reads that record).
pub const IPC_TARGET: &str = "cmek_desk::ipc";

/// Logs a failed command at the IPC boundary (code and message only; messages are safe to
/// show by contract, and no token is ever part of an error) and passes the result through.
/// At trace level (target [`IPC_TARGET`]) it also records the response sent to the window.
fn logged<T: serde::Serialize>(
    command: &str,
    result: cmek_core::Result<T>,
) -> cmek_core::Result<T> {
    if let Err(error) = &result {
        tracing::warn!(command, code = ?error.code, message = %error.message, "command failed");
    }
    if tracing::enabled!(target: IPC_TARGET, tracing::Level::TRACE) {
        let payload = match &result {
            Ok(value) => serde_json::to_string(value),
            Err(error) => serde_json::to_string(error),
        }
        .unwrap_or_default();
        tracing::trace!(target: IPC_TARGET, command, ok = result.is_ok(), %payload, "ipc response");
    }
    result
}

/// A sink that sends each event to the window through `channel`, recording it like
/// [`logged`] does.
fn sink<T: serde::Serialize + Clone + Send + Sync + tauri::ipc::IpcResponse>(
    channel: tauri::ipc::Channel<T>,
    command: &'static str,
) -> impl Fn(T) + Send + Sync {
    move |event: T| {
        if tracing::enabled!(target: IPC_TARGET, tracing::Level::TRACE) {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            tracing::trace!(target: IPC_TARGET, command, %payload, "ipc channel message");
        }
        if let Err(error) = channel.send(event) {
            tracing::warn!(command, %error, "could not deliver a channel message to the window");
        }
    }
}
