//! Named retry and polling policies: how often, how long, and why.
//!
//! Every bounded repetition in CMEK Desk uses one of these constants (or a copy with shorter
//! numbers for tests and the sandbox, made with the `with_*` methods), and each names the
//! source it follows. A policy is bounded by attempts, by a wall-clock window, or both; it is
//! never unbounded.

use std::time::Duration;

/// How often and how long a failed attempt (or an unfinished condition) is tried again.
///
/// Waits grow from `min_delay` by `factor` per attempt up to `max_delay`; with `jitter` each
/// wait gets a random extra of up to its own length (backon's full jitter), so clients that
/// failed together do not retry together. A server's `Retry-After` is a lower bound on the wait;
/// one longer than `max_delay` ends the retries (the error keeps `retry_after_secs` to show).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Short name for logs and progress (`"http-transient"`, `"iam-propagation"`…).
    pub name: &'static str,
    /// Attempts in all, the first included (`None`: bounded by `within` only).
    pub max_attempts: Option<u32>,
    /// Wall-clock window from the first attempt; no wait is started that would end after it
    /// (`None`: bounded by `max_attempts` only).
    pub within: Option<Duration>,
    /// First wait.
    pub min_delay: Duration,
    /// Longest single wait (before jitter).
    pub max_delay: Duration,
    /// Growth per attempt: 2.0 doubles, 1.0 polls at a fixed interval.
    pub factor: f32,
    /// Adds random jitter to each wait.
    pub jitter: bool,
}

impl Policy {
    /// The same policy with another attempt bound (`attempts` ≥ 1, the first included).
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The same policy with another wall-clock window.
    pub const fn with_within(mut self, within: Duration) -> Self {
        self.within = Some(within);
        self
    }

    /// The same policy with another first wait.
    pub const fn with_min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The same policy with another longest wait.
    pub const fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The same policy waiting a fixed `interval` between attempts, without jitter.
    pub const fn with_interval(mut self, interval: Duration) -> Self {
        self.min_delay = interval;
        self.max_delay = interval;
        self.factor = 1.0;
        self.jitter = false;
        self
    }

    /// The same policy without jitter (deterministic waits, for tests).
    pub const fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }
}

/// Transient HTTP failures, at the HTTP layer of both clients (which failures: [`crate::may_retry`]).
///
/// 6 attempts, waits from 1 s doubling to at most 60 s, with jitter (about 31 s in all before
/// jitter). Source: gcp-apis.md §2, Google's retry guidance for Service Usage ("exponential
/// backoff with jitter; minimum … 1 s for 500/503"), and the `Retry-After` CockroachDB sends when
/// over its 10 requests/s per user (cmek-procedure.md §8), honoured as a lower bound.
pub const HTTP_TRANSIENT: Policy = Policy {
    name: "http-transient",
    max_attempts: Some(6),
    within: None,
    min_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(60),
    factor: 2.0,
    jitter: true,
};

/// IAM propagation before CockroachDB can use a key: the enable call's 400 (key access) / 401 /
/// 403 answers right after our grants.
///
/// Up to 10 min from the first attempt, waits from 5 s doubling to 30 s. Source: field report
/// B09; Terraform's CockroachDB provider `retryEnableCMEKSpec` with `iamPropagationTimeout`
/// = 10 min (CHANGELOG CC-34016, cmek-procedure.md §10 and §16); gcp-apis.md §8 (IAM changes
/// typically take 2 min, can take 7+).
pub const IAM_PROPAGATION: Policy = Policy {
    name: "iam-propagation",
    max_attempts: None,
    within: Some(Duration::from_secs(600)),
    min_delay: Duration::from_secs(5),
    max_delay: Duration::from_secs(30),
    factor: 2.0,
    jitter: false,
};

/// A resource this run just created is not visible yet (403/404, "service account … does not
/// exist"); only ever used on what the same run created.
///
/// Up to 2 min, waits from 5 s doubling to 30 s. Source: field reports B06 (a key used right
/// after creation answers 403, hashicorp/terraform-provider-google#10310) and B07 (a new service
/// account answers 404/403, terraform-provider-google#15042; Terraform waits for 3 consecutive
/// successful reads, gcp-apis.md §5); gcp-apis.md §8 (typically 2 min).
pub const FRESH_RESOURCE: Policy = Policy {
    name: "fresh-resource",
    max_attempts: None,
    within: Some(Duration::from_secs(120)),
    min_delay: Duration::from_secs(5),
    max_delay: Duration::from_secs(30),
    factor: 2.0,
    jitter: false,
};

/// KMS refuses a key policy (`CreateKey`/`PutKeyPolicy`) with `MalformedPolicyDocumentException`
/// "invalid principals" because an IAM role this run just created is not visible to KMS yet;
/// only ever used for principals the same run created (a principal it did not create fails at
/// once, B27).
///
/// Up to 2 min, waits from 2 s doubling to 20 s. Source: field report B26
/// (hashicorp/terraform-provider-aws#24696 and #245: KMS rejected a policy naming a just-created
/// role; the provider retries key-policy writes for about 2 minutes).
pub const AWS_NEW_PRINCIPAL: Policy = Policy {
    name: "aws-new-principal",
    max_attempts: None,
    within: Some(Duration::from_secs(120)),
    min_delay: Duration::from_secs(2),
    max_delay: Duration::from_secs(20),
    factor: 2.0,
    jitter: false,
};

/// A `setIamPolicy` refused with 409 `ABORTED` (the etag is stale): redo the whole
/// read-modify-write from a fresh `getIamPolicy`.
///
/// 6 attempts, waits from 200 ms doubling to 10 s, with jitter. Source: gcp-apis.md §8 step 3
/// and Google's own message ("Please retry the whole read-modify-write with exponential
/// backoff"); field reports B10, B11 (retries that resent the stale etag kept failing).
pub const ETAG_CONFLICT: Policy = Policy {
    name: "etag-conflict",
    max_attempts: Some(6),
    within: None,
    min_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(10),
    factor: 2.0,
    jitter: true,
};

/// Polling a Service Usage long-running operation (`services.enable`) until `done`.
///
/// Every 5 s for up to 5 min. Source: gcp-apis.md §7 ("poll with backoff until `done`, then
/// check `error`"; never poll `operations/noop.DONE_OPERATION`), field report B19.
pub const OPERATION_POLL: Policy = Policy {
    name: "operation-poll",
    max_attempts: None,
    within: Some(Duration::from_secs(300)),
    min_delay: Duration::from_secs(5),
    max_delay: Duration::from_secs(5),
    factor: 1.0,
    jitter: false,
};

/// Polling CockroachDB's `GET …/cmek` until every region reaches a terminal status (ENABLED,
/// REVOKED, `*_FAILED`…).
///
/// Every 5 s for up to 2 h. Source: cmek-procedure.md §10 (the status table, and Terraform's
/// `clusterUpdateTimeout` of 2 h for CMEK waits, §16).
pub const CMEK_STATUS_POLL: Policy = Policy {
    name: "cmek-status-poll",
    max_attempts: None,
    within: Some(Duration::from_secs(7200)),
    min_delay: Duration::from_secs(5),
    max_delay: Duration::from_secs(5),
    factor: 1.0,
    jitter: false,
};

/// Polling a new resource until it is usable: a new service account readable (B07), an HSM key
/// version leaving `PENDING_GENERATION` before the primary counts as ENABLED (B23).
///
/// Every 5 s for up to 2 min, the [`FRESH_RESOURCE`] window. Source: field reports B07 and
/// B23 (the key must end with an ENABLED primary); gcp-apis.md §5 (Terraform waits for 3
/// consecutive successful reads of a new account).
pub const RESOURCE_READY_POLL: Policy = Policy {
    name: "resource-ready-poll",
    max_attempts: None,
    within: Some(Duration::from_secs(120)),
    min_delay: Duration::from_secs(5),
    max_delay: Duration::from_secs(5),
    factor: 1.0,
    jitter: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_policy_is_bounded_and_sane() {
        for p in [
            HTTP_TRANSIENT,
            IAM_PROPAGATION,
            FRESH_RESOURCE,
            AWS_NEW_PRINCIPAL,
            ETAG_CONFLICT,
            OPERATION_POLL,
            CMEK_STATUS_POLL,
            RESOURCE_READY_POLL,
        ] {
            assert!(
                p.max_attempts.is_some() || p.within.is_some(),
                "{} unbounded",
                p.name
            );
            assert!(p.min_delay <= p.max_delay, "{}", p.name);
            assert!(p.factor >= 1.0, "{}", p.name);
        }
        assert_eq!(IAM_PROPAGATION.within, Some(Duration::from_secs(600)));
        assert_eq!(ETAG_CONFLICT.max_attempts, Some(6));
    }

    #[test]
    fn builders_change_only_what_they_name() {
        let p = IAM_PROPAGATION
            .with_within(Duration::from_secs(30))
            .with_min_delay(Duration::from_millis(50));
        assert_eq!(p.within, Some(Duration::from_secs(30)));
        assert_eq!(p.min_delay, Duration::from_millis(50));
        assert_eq!(p.max_delay, IAM_PROPAGATION.max_delay);
        let q = CMEK_STATUS_POLL.with_interval(Duration::from_millis(20));
        assert_eq!(
            (q.min_delay, q.max_delay, q.factor),
            (q.min_delay, q.min_delay, 1.0)
        );
        assert!(!HTTP_TRANSIENT.without_jitter().jitter);
    }
}
