//! The app's IPC commands: thin adapters, one module per screen's concern.
//!
//! Each command takes its arguments (a request type from `cmek_core` where there is one),
//! calls exactly one function of `cmek_setup` and returns its `Result`. Errors cross IPC as
//! `cmek_core::Error` (`{code, message, …}`); the UI switches on `code`. Logic in a command
//! is a review blocker: it belongs in `cmek-setup`.

pub mod activity;
pub mod audit;
pub mod clusters;
pub mod connection;
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
    logged_as(command, result, |value| value)
}

/// [`logged`] for a result of which the window receives a part (`sent`).
fn logged_as<T, V: serde::Serialize>(
    command: &str,
    result: cmek_core::Result<T>,
    sent: impl Fn(&T) -> &V,
) -> cmek_core::Result<T> {
    if let Err(error) = &result {
        tracing::warn!(command, code = ?error.code, message = %error.message, "command failed");
    }
    if tracing::enabled!(target: IPC_TARGET, tracing::Level::TRACE) {
        let payload = match &result {
            Ok(value) => serde_json::to_string(sent(value)),
            Err(error) => serde_json::to_string(error),
        }
        .unwrap_or_default();
        tracing::trace!(target: IPC_TARGET, command, ok = result.is_ok(), %payload, "ipc response");
    }
    result
}

/// Sends a channel message to the window, recording it like [`logged`] does.
fn send_event<T: serde::Serialize + Clone + tauri::ipc::IpcResponse>(
    channel: &tauri::ipc::Channel<T>,
    command: &str,
    event: T,
) {
    if tracing::enabled!(target: IPC_TARGET, tracing::Level::TRACE) {
        let payload = serde_json::to_string(&event).unwrap_or_default();
        tracing::trace!(target: IPC_TARGET, command, %payload, "ipc channel message");
    }
    if let Err(error) = channel.send(event) {
        tracing::warn!(command, %error, "could not deliver a channel message to the window");
    }
}
