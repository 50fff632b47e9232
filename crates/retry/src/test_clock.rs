//! Compressed time for test harnesses that run thousands of retries (the seeded fault
//! campaign, issue 13): every wait of [`crate::retry`] / [`crate::poll`], their wall-clock
//! windows, the write pacer's interval and the HTTP layers' per-attempt time-outs are divided
//! by one process-wide factor, so a 60 s back-off or a 10-minute IAM-propagation window costs
//! milliseconds while the retry logic (which errors, how many attempts, in what order, with
//! `Retry-After` as a lower bound) is exactly the production one.
//!
//! Only debug builds honour it (like every test hook, ARCHITECTURE invariant 11): in a
//! release build [`compress`] does nothing and returns false, so release binaries always wait
//! real time. The factor is 1 (no compression) until a harness calls [`compress`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static FACTOR: AtomicU32 = AtomicU32::new(1);

/// The shortest per-attempt HTTP time-out [`timeout`] hands out while compressed: a loopback
/// answer on a busy machine must not look like a time-out.
pub const MIN_COMPRESSED_TIMEOUT: Duration = Duration::from_millis(800);

/// Divides every retry wait, retry window, pacing interval and (down to
/// [`MIN_COMPRESSED_TIMEOUT`]) HTTP time-out of this process by `factor` (≥ 1) from now on.
/// Returns whether it took effect: true in debug builds, false in release builds.
#[doc(hidden)]
pub fn compress(factor: u32) -> bool {
    if cfg!(debug_assertions) {
        FACTOR.store(factor.max(1), Ordering::SeqCst);
        true
    } else {
        false
    }
}

/// The factor in force (1 = real time).
pub fn factor() -> u32 {
    if cfg!(debug_assertions) {
        FACTOR.load(Ordering::Relaxed)
    } else {
        1
    }
}

/// `d` in compressed time: `d / factor`.
pub fn scaled(d: Duration) -> Duration {
    match factor() {
        1 => d,
        k => d / k,
    }
}

/// A real elapsed time expressed in the (uncompressed) time of the policies: `real * factor`.
pub fn unscaled(real: Duration) -> Duration {
    match factor() {
        1 => real,
        k => real.saturating_mul(k),
    }
}

/// A per-attempt HTTP time-out in compressed time, never below [`MIN_COMPRESSED_TIMEOUT`]
/// (nor above `d`).
pub fn timeout(d: Duration) -> Duration {
    match factor() {
        1 => d,
        _ => scaled(d).max(MIN_COMPRESSED_TIMEOUT).min(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncompressed_time_is_real_time() {
        // The factor is process-wide; this test binary never compresses.
        assert_eq!(scaled(Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(unscaled(Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(timeout(Duration::from_secs(60)), Duration::from_secs(60));
    }
}
