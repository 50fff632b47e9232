//! The app's IPC commands: thin adapters, one module per screen's concern.
//!
//! Each command takes its arguments (a request type from `cmek_core` where there is one),
//! calls exactly one function of `cmek_setup` and returns its `Result`. Errors cross IPC as
//! `cmek_core::Error` (`{code, message, …}`); the UI switches on `code`. Logic in a command
//! is a review blocker: it belongs in `cmek-setup`.

pub mod clusters;
pub mod connection;
pub mod setup;
pub mod status;

/// Logs a failed command at the IPC boundary (code and message only; messages are safe to
/// show by contract, and no token is ever part of an error) and passes the result through.
fn logged<T>(command: &str, result: cmek_core::Result<T>) -> cmek_core::Result<T> {
    if let Err(error) = &result {
        tracing::warn!(command, code = ?error.code, message = %error.message, "command failed");
    }
    result
}
