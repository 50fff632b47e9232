//! Ctrl-C during a long operation: the first press asks the Desk to cancel the running
//! operation (`Desk::cancel`), which stops before its next change and returns what it has;
//! a second press quits at once with exit code 130.
//!
//! The request is repeated until the operation has registered with the Desk's operations
//! registry, so a Ctrl-C that lands while the operation is still reading (before it registers
//! its cancellation token) is not lost.

use crate::exit::CANCELLED;
use crate::progress::Progress;
use cmek_desk_core::{Desk, Operation};
use std::future::Future;
use std::time::Duration;

/// Runs `work`, turning Ctrl-C into `desk.cancel(kind)` (noted above `progress`). Returns the
/// work's output and whether the user asked to cancel.
pub async fn cancellable<T>(
    desk: &Desk,
    kind: Operation,
    progress: &Progress,
    work: impl Future<Output = T>,
) -> (T, bool) {
    tokio::pin!(work);
    let mut cancelled = false;
    let mut resend = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut work => return (out, cancelled),
            _ = tokio::signal::ctrl_c() => {
                if cancelled {
                    eprintln!("\nstopped");
                    std::process::exit(i32::from(CANCELLED));
                }
                cancelled = true;
                progress.note("cancelling… (press Ctrl-C again to quit at once)");
                desk.cancel(kind);
            }
            _ = resend.tick(), if cancelled => desk.cancel(kind),
        }
    }
}

/// Runs `work` (which has no operation to cancel); Ctrl-C ends the process with 130.
pub async fn interruptible<T>(work: impl Future<Output = T>) -> T {
    tokio::select! {
        out = work => out,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nstopped");
            std::process::exit(i32::from(CANCELLED));
        }
    }
}
