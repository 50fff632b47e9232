//! The retry engine: [`retry`] repeats a failing operation and [`poll`] repeats a check until a
//! condition holds, both under a named [`Policy`], with backoff and jitter (backon), the server's
//! `Retry-After` as a lower bound, and a [`CancellationToken`] that stops them at once.
//!
//! Cancellation is observed between attempts: a cancelled token ends the current wait at once
//! and no further attempt starts, and the call returns a `Cancelled` error ([`cancelled`]). An
//! attempt already under way — the first one included — runs to its end, so the outcome of a
//! write that was sent is always known (the activity log records it).

use crate::policy::Policy;
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use cmek_core::{Error, Result};
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One wait about to start, for progress notes and logs.
#[derive(Debug)]
pub struct Wait<'a> {
    /// [`Policy::name`] of the policy in force.
    pub policy: &'static str,
    /// The attempt that just failed (1 = the first).
    pub attempt: u32,
    /// Wall-clock time since the first attempt started.
    pub elapsed: Duration,
    /// Why: the error of the failed attempt (for [`poll`], the "not yet" error).
    pub error: &'a Error,
    /// How long the wait will be (after jitter and `Retry-After`).
    pub delay: Duration,
}

/// An `on_wait` for callers with nothing to report.
pub fn quietly(_: &Wait<'_>) {}

/// The error [`retry`] and [`poll`] return when their token is cancelled.
pub fn cancelled() -> Error {
    Error::cancelled("Stopped on request; no further attempt was made.")
}

/// The outcome of one check of [`poll`].
#[derive(Debug)]
pub enum Check<T> {
    /// The condition holds: polling ends with this value.
    Ready(T),
    /// Not yet. The error says what is still awaited; it is returned if the policy runs out
    /// (typically code `Timeout`, naming what was observed last).
    NotYet(Error),
}

/// Runs `op` until it succeeds, fails with an error `when` rejects, or `policy` runs out (then
/// its last error is returned). Before each wait `on_wait` is called with what happened and how
/// long the wait will be; pass [`quietly`] for nothing.
///
/// Waits follow the policy's backoff with jitter and are never shorter than the error's
/// `Retry-After`; a `Retry-After` beyond [`Policy::max_delay`] ends the retries. When `cancel` is
/// cancelled the current wait ends at once and [`cancelled`] is returned.
///
/// `when` decides which errors are worth another attempt: [`crate::may_retry`] at the HTTP
/// layer, a narrower domain predicate elsewhere (IAM propagation, stale etag, not visible yet).
pub async fn retry<T, Op, Fut, W, N>(
    policy: &Policy,
    cancel: &CancellationToken,
    mut when: W,
    on_wait: N,
    op: Op,
) -> Result<T>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
    W: FnMut(&Error) -> bool,
    N: FnMut(&Wait<'_>),
{
    engine(policy, cancel, |e: &Error| when(e), |e| e, on_wait, op).await
}

/// Calls `check` until it answers [`Check::Ready`], fails, or `policy` runs out (then the last
/// [`Check::NotYet`] error is returned), waiting the policy's interval in between. An error from
/// `check` ends polling at once. Cancellation as in [`retry`].
pub async fn poll<T, F, Fut, N>(
    policy: &Policy,
    cancel: &CancellationToken,
    on_wait: N,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<T>>>,
    N: FnMut(&Wait<'_>),
{
    let op = || {
        let fut = check();
        async move {
            match fut.await {
                Ok(Check::Ready(v)) => Ok(v),
                Ok(Check::NotYet(e)) => Err(Polled::NotYet(e)),
                Err(e) => Err(Polled::Failed(e)),
            }
        }
    };
    engine(
        policy,
        cancel,
        |e: &Polled| matches!(e, Polled::NotYet(_)),
        Polled::error,
        on_wait,
        op,
    )
    .await
    .map_err(Polled::into_error)
}

/// A failed check of [`poll`]: still waiting, or a real failure.
enum Polled {
    NotYet(Error),
    Failed(Error),
}

impl Polled {
    fn error(&self) -> &Error {
        match self {
            Self::NotYet(e) | Self::Failed(e) => e,
        }
    }
    fn into_error(self) -> Error {
        match self {
            Self::NotYet(e) | Self::Failed(e) => e,
        }
    }
}

/// Why the engine stopped without a value.
enum Stop<E> {
    Failed(E),
    Cancelled,
}

/// The loop behind [`retry`] and [`poll`], generic over the operation's error type.
async fn engine<T, E, Op, Fut, W, N>(
    policy: &Policy,
    cancel: &CancellationToken,
    mut when: W,
    view: fn(&E) -> &Error,
    mut on_wait: N,
    mut op: Op,
) -> Result<T, E>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: FnMut(&E) -> bool,
    N: FnMut(&Wait<'_>),
    E: From<Error>,
{
    let start = Instant::now();
    let attempts = AtomicU32::new(0);
    let attempt = || {
        let n = attempts.fetch_add(1, Ordering::Relaxed) + 1;
        // The first attempt always runs; later ones only while not cancelled.
        let fut = (n == 1 || !cancel.is_cancelled()).then(&mut op);
        async move {
            match fut {
                Some(f) => f.await.map_err(Stop::Failed),
                None => Err(Stop::Cancelled),
            }
        }
    };
    let token = cancel.clone();
    let sleep = move |d: Duration| {
        let token = token.clone();
        async move {
            tokio::select! {
                () = tokio::time::sleep(crate::test_clock::scaled(d)) => {}
                () = token.cancelled() => {}
            }
        }
    };
    let outcome = attempt
        .retry(backoff(policy))
        .sleep(sleep)
        .when(|s: &Stop<E>| match s {
            Stop::Failed(e) => when(e),
            Stop::Cancelled => false,
        })
        .adjust(|s: &Stop<E>, next: Option<Duration>| {
            let Stop::Failed(e) = s else { return None };
            let mut d = next?;
            if let Some(after) = view(e).retry_after() {
                if after > policy.max_delay {
                    return None;
                }
                d = d.max(after);
            }
            match policy.within {
                Some(w) if crate::test_clock::unscaled(start.elapsed()) + d > w => None,
                _ => Some(d),
            }
        })
        .notify(|s: &Stop<E>, d: Duration| {
            if let Stop::Failed(e) = s {
                let error = view(e);
                let w = Wait {
                    policy: policy.name,
                    attempt: attempts.load(Ordering::Relaxed),
                    elapsed: crate::test_clock::unscaled(start.elapsed()),
                    error,
                    delay: d,
                };
                tracing::debug!(
                    policy = w.policy,
                    attempt = w.attempt,
                    code = ?error.code,
                    status = ?error.http_status,
                    wait_ms = d.as_millis() as u64,
                    "retrying"
                );
                on_wait(&w);
            }
        })
        .await;
    match outcome {
        Ok(v) => Ok(v),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Cancelled) => Err(E::from(cancelled())),
    }
}

impl From<Error> for Polled {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

/// backon's exponential backoff for `policy` (the window is enforced by the engine).
fn backoff(policy: &Policy) -> impl backon::Backoff {
    let mut b = ExponentialBuilder::new()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_factor(policy.factor);
    b = match policy.max_attempts {
        Some(n) => b.with_max_times(n.saturating_sub(1) as usize),
        None => b.without_max_times(),
    };
    if policy.jitter {
        b = b.with_jitter();
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ETAG_CONFLICT, HTTP_TRANSIENT, OPERATION_POLL};
    use cmek_core::ErrorCode;
    use std::sync::Mutex;

    fn fast() -> Policy {
        HTTP_TRANSIENT
            .with_min_delay(Duration::from_millis(1))
            .with_max_delay(Duration::from_millis(5))
    }

    fn unavailable() -> Error {
        Error::new(ErrorCode::Unavailable, "busy").with_status(503)
    }

    #[tokio::test]
    async fn retries_until_success_and_reports_each_wait() {
        let calls = AtomicU32::new(0);
        let waits = Mutex::new(Vec::new());
        let r = retry(
            &fast(),
            &CancellationToken::new(),
            |_| true,
            |w| waits.lock().unwrap().push(w.attempt),
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err(unavailable()),
                    n => Ok(n),
                }
            },
        )
        .await;
        assert_eq!(r.unwrap(), 2);
        assert_eq!(*waits.lock().unwrap(), vec![1, 2]);
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_the_last_error_is_returned() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(
            &fast(),
            &CancellationToken::new(),
            |_| true,
            quietly,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(unavailable()) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().http_status, Some(503));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            6,
            "HTTP_TRANSIENT allows 6 attempts"
        );
    }

    #[tokio::test]
    async fn an_error_when_rejects_is_returned_after_one_attempt() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(
            &ETAG_CONFLICT,
            &CancellationToken::new(),
            |e| e.code == ErrorCode::Conflict,
            quietly,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::new(ErrorCode::InvalidArgument, "bad")) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_a_lower_bound_of_the_wait() {
        let waits = Mutex::new(Vec::new());
        let calls = AtomicU32::new(0);
        let p = fast().with_max_delay(Duration::from_secs(10));
        let r = retry(
            &p,
            &CancellationToken::new(),
            |_| true,
            |w| waits.lock().unwrap().push(w.delay),
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(unavailable().with_retry_after(Some(Duration::from_secs(3))))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        assert!(r.is_ok());
        let waits = waits.lock().unwrap();
        assert_eq!(waits.len(), 1);
        assert!(waits[0] >= Duration::from_secs(3), "{waits:?}");
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_longest_wait_is_surfaced() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(
            &fast(),
            &CancellationToken::new(),
            |_| true,
            quietly,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(unavailable().with_retry_after(Some(Duration::from_secs(3)))) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_window_bounds_a_policy_without_an_attempt_limit() {
        let p = OPERATION_POLL
            .with_interval(Duration::from_millis(10))
            .with_within(Duration::from_millis(60));
        let start = std::time::Instant::now();
        let r: Result<()> = retry(
            &p,
            &CancellationToken::new(),
            |_| true,
            quietly,
            || async { Err(unavailable()) },
        )
        .await;
        assert!(r.is_err());
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn cancelling_during_a_wait_returns_cancelled_at_once() {
        let cancel = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let slow = HTTP_TRANSIENT.with_min_delay(Duration::from_secs(30));
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.cancel();
        });
        let start = std::time::Instant::now();
        let r: Result<()> = retry(
            &slow,
            &cancel,
            |_| true,
            quietly,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(unavailable()) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().code, ErrorCode::Cancelled);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "no attempt after the cancel"
        );
    }

    #[tokio::test]
    async fn the_first_attempt_runs_even_when_already_cancelled_but_no_retry_follows() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(
            &fast(),
            &cancel,
            |_| true,
            quietly,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(unavailable()) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().code, ErrorCode::Cancelled);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn poll_returns_when_ready_the_last_not_yet_at_the_deadline_and_errors_at_once() {
        let p = OPERATION_POLL
            .with_interval(Duration::from_millis(5))
            .with_within(Duration::from_secs(5));
        let n = AtomicU32::new(0);
        let v = poll(&p, &CancellationToken::new(), quietly, || async {
            Ok(match n.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Check::NotYet(Error::new(ErrorCode::Timeout, "not yet")),
                k => Check::Ready(k),
            })
        })
        .await;
        assert_eq!(v.unwrap(), 3);

        let short = p.with_within(Duration::from_millis(30));
        let n = AtomicU32::new(0);
        let e = poll(&short, &CancellationToken::new(), quietly, || async {
            let k = n.fetch_add(1, Ordering::SeqCst);
            Ok::<Check<()>, Error>(Check::NotYet(Error::new(
                ErrorCode::Timeout,
                format!("still waiting after check {k}"),
            )))
        })
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Timeout);
        assert!(e.message.starts_with("still waiting"));

        let n = AtomicU32::new(0);
        let e = poll(&p, &CancellationToken::new(), quietly, || async {
            n.fetch_add(1, Ordering::SeqCst);
            Err::<Check<()>, Error>(Error::new(ErrorCode::NotFound, "gone"))
        })
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cancelling_a_poll_returns_cancelled_promptly() {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.cancel();
        });
        let start = std::time::Instant::now();
        let e = poll(&OPERATION_POLL, &cancel, quietly, || async {
            Ok::<Check<()>, Error>(Check::NotYet(Error::new(ErrorCode::Timeout, "x")))
        })
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Cancelled);
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    /// The entry points must stay usable from Tauri's async commands (`Send` futures).
    #[allow(dead_code)]
    fn futures_are_send() {
        fn is_send<T: Send>(_: T) {}
        let c = CancellationToken::new();
        is_send(retry(
            &HTTP_TRANSIENT,
            &c,
            |_| true,
            quietly,
            || async { Ok(()) },
        ));
        is_send(poll(&OPERATION_POLL, &c, quietly, || async {
            Ok(Check::Ready(()))
        }));
    }
}
