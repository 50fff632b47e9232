//! A cancellation signal the UI's "Cancel" button fires and the sign-in wait observes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Clone it, hand one clone to [`crate::PendingSignIn::wait`], call [`Cancellation::cancel`]
/// on another. Once cancelled it stays cancelled.
#[derive(Debug, Clone, Default)]
pub struct Cancellation {
    inner: Arc<(AtomicBool, Notify)>,
}

impl Cancellation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal; every current and future waiter returns.
    pub fn cancel(&self) {
        self.inner.0.store(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Completes once [`Cancellation::cancel`] has been called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
