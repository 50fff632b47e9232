//! Running the sandbox as a server process (the `cmek-sandbox` binary, `cmek sandbox serve`):
//! [`StopSignal`], the Ctrl-C or SIGTERM that stops it, listened for before the base URL is
//! printed so that a harness may stop the process as soon as it has read the URL.

/// Ctrl-C, or SIGTERM on Unix (listened for from [`StopSignal::listen`] on).
pub struct StopSignal {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl StopSignal {
    /// Starts listening for SIGTERM (Unix; Ctrl-C is listened for by [`StopSignal::wait`]).
    /// Call it before printing the URL: a SIGTERM that comes earlier kills the process.
    /// Must be called inside a tokio runtime.
    pub fn listen() -> Self {
        Self {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Waits for Ctrl-C, or for SIGTERM when [`StopSignal::listen`] could register it.
    pub async fn wait(self) {
        #[cfg(unix)]
        if let Some(mut term) = self.term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
