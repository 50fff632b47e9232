//! The one place that paces writes, so stacked retry loops cannot multiply them past a quota.
//!
//! Every write attempt — the first and each retry, from whichever loop — waits for a token of a
//! [`WritePacer`] before it is sent. The pacer is keyed (per service and project, see
//! [`pacing_key`]) and uses GCRA (`governor`): a small burst passes at once, after which
//! writes are spaced by the pacing interval. However many loops are nested (etag conflicts
//! inside "not visible yet" inside a step retry), the writes that reach one project's API stay
//! within its per-minute quota.

use crate::run::cancelled;
use cmek_core::Result;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A pace: one write every `interval`, after an initial `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Short name for logs.
    pub name: &'static str,
    /// Writes allowed back to back before pacing starts.
    pub burst: u32,
    /// Spacing of later writes (one token is regained per interval).
    pub interval: Duration,
}

/// Google writes per service and project: a burst of 10, then one every 1.2 s, so that any
/// 60-second window holds at most 10 + 50 = 60 writes.
///
/// Source: the Cloud KMS write quota of 60 requests per minute per project
/// (`WriteRequestsPerMinutePerProject`: create, patch, setIamPolicy, updatePrimaryVersion,
/// destroy, restore; gcp-apis.md §0 and §4) and field report B24 (disabling many versions one by
/// one ran into it). IAM's 600 writes/min (gcp-apis.md §5) is looser, so one pace fits all.
pub const GOOGLE_WRITES: Pacing = Pacing {
    name: "google-writes",
    burst: 10,
    interval: Duration::from_millis(1200),
};

/// CockroachDB Cloud writes per API key: a burst of 10, then ten per second.
///
/// Source: "10 requests per second per user" (cmek-procedure.md §8), which reads share.
pub const COCKROACH_WRITES: Pacing = Pacing {
    name: "cockroach-writes",
    burst: 10,
    interval: Duration::from_millis(100),
};

/// A shared write pacer. Clones share their state (one per connection; share it further by
/// cloning it into every client that writes to the same quota).
#[derive(Clone)]
pub struct WritePacer {
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    pacing: Option<Pacing>,
}

impl std::fmt::Debug for WritePacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WritePacer")
            .field("pacing", &self.pacing)
            .finish()
    }
}

impl WritePacer {
    /// A pacer for `pacing`.
    pub fn new(pacing: Pacing) -> Self {
        let burst = NonZeroU32::new(pacing.burst).unwrap_or(NonZeroU32::MIN);
        match Quota::with_period(crate::test_clock::scaled(pacing.interval)) {
            Some(q) => Self {
                limiter: Some(Arc::new(RateLimiter::keyed(q.allow_burst(burst)))),
                pacing: Some(pacing),
            },
            // A zero interval means no pacing.
            None => Self::unlimited(),
        }
    }

    /// A pacer that never waits (tests that count nothing but attempts).
    pub fn unlimited() -> Self {
        Self {
            limiter: None,
            pacing: None,
        }
    }

    /// The pace in force (`None` when unlimited).
    pub fn pacing(&self) -> Option<Pacing> {
        self.pacing
    }

    /// Waits until a write under `key` may be sent. Returns [`cancelled`]'s error if `cancel` is
    /// cancelled while waiting; a write that may go at once goes even when cancelled (the caller
    /// decided to send it).
    pub async fn until_ready(&self, key: &str, cancel: &CancellationToken) -> Result<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let key = key.to_owned();
        if limiter.check_key(&key).is_ok() {
            return Ok(());
        }
        tracing::debug!(key = %key, "pacing a write");
        tokio::select! {
            biased;
            _ = limiter.until_key_ready(&key) => Ok(()),
            () = cancel.cancelled() => Err(cancelled()),
        }
    }
}

/// The quota unit of a Google URL: everything up to and including `projects/{id}` (service
/// root, API version and project), or the origin when the URL names no project. The query is
/// ignored.
///
/// `https://cloudkms.googleapis.com/v1/projects/p/locations/l/keyRings?keyRingId=r` →
/// `https://cloudkms.googleapis.com/v1/projects/p`.
pub fn pacing_key(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if let Some(i) = path.find("/projects/") {
        let after = i + "/projects/".len();
        let id_len = path[after..].find(['/', ':']).unwrap_or(path.len() - after);
        return path[..after + id_len].to_owned();
    }
    let origin_end = path
        .find("://")
        .map(|s| s + 3)
        .and_then(|s| path[s..].find('/').map(|e| s + e))
        .unwrap_or(path.len());
    path[..origin_end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_service_and_project() {
        let rows = [
            (
                "https://cloudkms.googleapis.com/v1/projects/p/locations/l/keyRings?keyRingId=r",
                "https://cloudkms.googleapis.com/v1/projects/p",
            ),
            (
                "http://127.0.0.1:9/kms/v1/projects/p/locations/l/keyRings/r/cryptoKeys/k:setIamPolicy",
                "http://127.0.0.1:9/kms/v1/projects/p",
            ),
            (
                "https://cloudresourcemanager.googleapis.com/v3/projects/p:setIamPolicy",
                "https://cloudresourcemanager.googleapis.com/v3/projects/p",
            ),
            (
                "https://iam.googleapis.com/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com:setIamPolicy",
                "https://iam.googleapis.com/v1/projects/p",
            ),
            (
                "https://serviceusage.googleapis.com/v1/operations/x",
                "https://serviceusage.googleapis.com",
            ),
        ];
        for (url, key) in rows {
            assert_eq!(pacing_key(url), key, "{url}");
        }
    }

    #[tokio::test]
    async fn a_burst_passes_then_writes_are_spaced_per_key() {
        let pacer = WritePacer::new(Pacing {
            name: "test",
            burst: 2,
            interval: Duration::from_millis(100),
        });
        let c = CancellationToken::new();
        let start = std::time::Instant::now();
        pacer.until_ready("a", &c).await.unwrap();
        pacer.until_ready("a", &c).await.unwrap();
        pacer.until_ready("b", &c).await.unwrap();
        assert!(
            start.elapsed() < Duration::from_millis(80),
            "burst and other key pass"
        );
        pacer.until_ready("a", &c).await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(80),
            "third write on a waits"
        );
    }

    #[tokio::test]
    async fn a_paced_wait_is_cancellable_and_unlimited_never_waits() {
        let pacer = WritePacer::new(Pacing {
            name: "test",
            burst: 1,
            interval: Duration::from_secs(60),
        });
        let c = CancellationToken::new();
        pacer.until_ready("k", &c).await.unwrap();
        let c2 = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            c2.cancel();
        });
        let e = pacer.until_ready("k", &c).await.unwrap_err();
        assert_eq!(e.code, cmek_core::ErrorCode::Cancelled);
        let free = WritePacer::unlimited();
        for _ in 0..100 {
            free.until_ready("k", &c).await.unwrap();
        }
        assert!(WritePacer::new(GOOGLE_WRITES).pacing().is_some());
    }
}
