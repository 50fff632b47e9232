//! The operations registry: one `CancellationToken` per running operation, by kind, so "Stop"
//! in the window or Ctrl-C in the command line reaches exactly the operation it means.
//!
//! Starting an operation of a kind replaces the token of the previous one of that kind (the
//! window runs one of each at a time); [`Operations::cancel`] cancels the current one and is
//! a no-op when none runs. [`Running`] ends the registration when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// What kind of long-running work an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// Applying a setup plan.
    Apply,
    /// A revocation, recovery or key emergency action.
    Revoke,
    /// An audit scan.
    Audit,
}

/// The running operations.
#[derive(Default, Clone)]
pub struct Operations {
    running: Arc<Mutex<HashMap<OperationKind, (u64, CancellationToken)>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

/// A registered operation. Dropping it ends the operation: it is unregistered (a later cancel
/// no longer reaches it) and its token is cancelled, which releases whatever waits on it.
pub struct Running {
    ops: Operations,
    kind: OperationKind,
    serial: u64,
    /// Cancelled by [`Operations::cancel`] (or by the caller).
    pub token: CancellationToken,
}

impl Operations {
    /// Registers a new operation of `kind` and returns its token.
    pub fn start(&self, kind: OperationKind) -> Running {
        let serial = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = CancellationToken::new();
        self.lock().insert(kind, (serial, token.clone()));
        Running {
            ops: self.clone(),
            kind,
            serial,
            token,
        }
    }

    /// Cancels the running operation of `kind`; false when none runs.
    pub fn cancel(&self, kind: OperationKind) -> bool {
        match self.lock().get(&kind) {
            Some((_, token)) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// True while an operation of `kind` is registered.
    pub fn is_running(&self, kind: OperationKind) -> bool {
        self.lock().contains_key(&kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OperationKind, (u64, CancellationToken)>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self.ops.lock();
        if running
            .get(&self.kind)
            .is_some_and(|(s, _)| *s == self.serial)
        {
            running.remove(&self.kind);
        }
        self.token.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_only_the_current_operation_of_its_kind() {
        let ops = Operations::default();
        assert!(!ops.cancel(OperationKind::Apply));
        let first = ops.start(OperationKind::Apply);
        let audit = ops.start(OperationKind::Audit);
        let second = ops.start(OperationKind::Apply);
        assert!(ops.cancel(OperationKind::Apply));
        assert!(second.token.is_cancelled());
        assert!(!first.token.is_cancelled());
        assert!(!audit.token.is_cancelled());
        drop(first); // an older operation ending does not unregister the newer one
        assert!(ops.is_running(OperationKind::Apply));
        drop(second);
        assert!(!ops.is_running(OperationKind::Apply));
        assert!(ops.is_running(OperationKind::Audit));
    }
}
