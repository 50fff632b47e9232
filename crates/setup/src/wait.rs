//! Bounded retries with backoff, for the waits Google and CockroachDB impose on us:
//! IAM propagation (B09), eventual consistency of new resources (B06, B07), operations.

use cmek_core::{Error, ErrorCode, Result};
use std::future::Future;
use std::time::{Duration, Instant};

/// The longest single wait between attempts.
const MAX_STEP: Duration = Duration::from_secs(30);

/// Calls `f` until it succeeds, fails with an error `retryable` rejects, or `within` has passed
/// since the first attempt. Waits start at `interval`, double up to 30 s, and are never shorter
/// than the error's `Retry-After`. Before each wait `note(attempt, elapsed, &error, wait)` runs
/// (to show progress). The last error is returned when time runs out.
pub(crate) async fn retry_for<T, F, Fut>(
    within: Duration,
    interval: Duration,
    retryable: impl Fn(&Error) -> bool,
    mut note: impl FnMut(u32, Duration, &Error, Duration),
    mut f: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let start = Instant::now();
    let mut wait = interval;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e) && start.elapsed() + wait <= within => {
                let w = e.retry_after().map_or(wait, |r| r.max(wait));
                note(attempt, start.elapsed(), &e, w);
                tokio::time::sleep(w).await;
                wait = (wait * 2).min(MAX_STEP);
            }
            Err(e) => return Err(e),
        }
    }
}

/// `m:ss` for progress messages.
pub(crate) fn mmss(d: Duration) -> String {
    format!("{}:{:02}", d.as_secs() / 60, d.as_secs() % 60)
}

/// True for errors that mean "not visible yet" on something this run just created.
pub(crate) fn not_visible_yet(e: &Error) -> bool {
    matches!(
        e.code,
        ErrorCode::NotFound | ErrorCode::PermissionDenied | ErrorCode::MemberNotFound
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn retries_until_success_and_reports_each_wait() {
        let calls = AtomicU32::new(0);
        let mut notes = Vec::new();
        let r: Result<u32> = retry_for(
            Duration::from_secs(5),
            Duration::from_millis(1),
            |e| e.code == ErrorCode::PermissionDenied,
            |a, _, _, _| notes.push(a),
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 2 {
                    Err(Error::new(ErrorCode::PermissionDenied, "not yet"))
                } else {
                    Ok(n)
                }
            },
        )
        .await;
        assert_eq!(r.unwrap(), 2);
        assert_eq!(notes, vec![1, 2]);
    }

    #[tokio::test]
    async fn stops_at_the_bound_with_the_last_error_and_never_retries_others() {
        let r: Result<()> = retry_for(
            Duration::from_millis(20),
            Duration::from_millis(5),
            |_| true,
            |_, _, _, _| {},
            || async { Err(Error::new(ErrorCode::PermissionDenied, "still denied")) },
        )
        .await;
        assert_eq!(r.unwrap_err().message, "still denied");
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry_for(
            Duration::from_secs(5),
            Duration::from_millis(1),
            |e| e.code == ErrorCode::Unavailable,
            |_, _, _, _| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::new(ErrorCode::InvalidArgument, "bad"))
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
