//! The sandbox's fault model (issue 13): a [`FaultPlan`] is a schedule of failures the router
//! applies to the requests it serves, set per test with [`crate::SandboxHandle::set_fault_plan`]
//! or drawn from a `u64` seed with [`FaultPlan::random`] (rand's `StdRng`, so one seed always
//! gives the same plan). Every request is still authenticated and validated against the API
//! specs first, faulted or not; a faulted request is recorded in the request log like any other
//! (status 0 when no answer was sent), and each injected fault is listed by
//! [`crate::SandboxHandle::injected_faults`].
//!
//! Kinds ([`FaultKind`]):
//! - latency before the request is handled;
//! - 429 `RESOURCE_EXHAUSTED` with `Retry-After`, 500 `INTERNAL`, 503 `UNAVAILABLE` (in the
//!   service's own error format; CockroachDB's `Status`, AWS's error types);
//! - a connection reset or a time-out *before* the request is applied (nothing changes) or
//!   *after* it (the change is made, the client sees a transport failure or a time-out);
//! - another writer between our read and our write: right before a `setIamPolicy` is handled,
//!   an unrelated binding is added to the same policy (new etag, so the write gets 409 ABORTED);
//! - a new service account, key ring or key that answers 404 or 403 for a few requests after
//!   its creation (field reports B06, B07);
//! - plan-wide: an IAM propagation delay (B09) and CockroachDB transitions that end in
//!   `ENABLE_FAILED` / `ROTATE_FAILED` / `REVOKE_FAILED`.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// What goes wrong with a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// The request waits this long (real time) before it is handled.
    Latency { millis: u64 },
    /// 429 (`RESOURCE_EXHAUSTED`, AWS `ThrottlingException`) with `Retry-After` in seconds.
    Throttle { retry_after_secs: u64 },
    /// 500 or 503 without a change.
    ServerError { status: u16 },
    /// The connection is dropped before the request is applied.
    ResetBeforeApply,
    /// The request is applied, then the connection is dropped without an answer.
    ResetAfterApply,
    /// No answer until [`FaultPlan::stall`] has passed, and the request is never applied.
    TimeoutBeforeApply,
    /// The request is applied; its answer is held back for [`FaultPlan::stall`].
    TimeoutAfterApply,
    /// Another writer adds an unrelated binding to the policy right before this
    /// `setIamPolicy` is handled (only `*setIamPolicy` requests match); on AWS, armed by a
    /// `GetKeyPolicy` / `PutKeyPolicy` / `GetRole` / `UpdateAssumeRolePolicy`, an unrelated
    /// statement lands right before the next read of that policy.
    ConcurrentWriter,
    /// A resource created by a matching create (`serviceAccounts.create`,
    /// `cryptoKeys.create`, `keyRings.create`) answers `status` (404 or 403) to the next
    /// `misses` requests that name it (B06, B07: new resources are eventually consistent).
    FreshResource { status: u16, misses: u32 },
}

impl FaultKind {
    /// Short stable name for summaries (`reset_after_apply`, `http_503`, …).
    pub fn name(&self) -> String {
        match self {
            FaultKind::Latency { .. } => "latency".into(),
            FaultKind::Throttle { .. } => "http_429_retry_after".into(),
            FaultKind::ServerError { status } => format!("http_{status}"),
            FaultKind::ResetBeforeApply => "reset_before_apply".into(),
            FaultKind::ResetAfterApply => "reset_after_apply".into(),
            FaultKind::TimeoutBeforeApply => "timeout_before_apply".into(),
            FaultKind::TimeoutAfterApply => "timeout_after_apply".into(),
            FaultKind::ConcurrentWriter => "concurrent_writer".into(),
            FaultKind::FreshResource { status, .. } => format!("fresh_resource_{status}"),
        }
    }
}

/// Which requests a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Any mutating request.
    AnyWrite,
    /// Any read.
    AnyRead,
    /// Requests whose operation id (as in `RecordedRequest::operation`) ends with this text,
    /// e.g. `setIamPolicy`, `serviceAccounts.create`, `UpdateCMEKStatus`, `PutKeyPolicy`.
    Operation(String),
}

impl Target {
    pub(crate) fn matches(&self, operation: &str, is_write: bool) -> bool {
        match self {
            Target::AnyWrite => is_write,
            Target::AnyRead => !is_write,
            Target::Operation(suffix) => operation.ends_with(suffix.as_str()),
        }
    }
}

/// One fault of a plan: the `skip`+1-th request matching `target` (and the `times - 1`
/// matching ones after it) gets `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultRule {
    pub kind: FaultKind,
    pub target: Target,
    /// Matching requests let through first.
    pub skip: u32,
    /// Matching requests faulted after the skipped ones.
    pub times: u32,
}

/// A schedule of faults for one sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FaultPlan {
    /// The seed it was drawn from (0 for hand-made plans), for replay messages.
    pub seed: u64,
    pub rules: Vec<FaultRule>,
    /// IAM propagation delay in force while the plan is (B09); `None` keeps the config's.
    pub iam_propagation: Option<Duration>,
    /// The next this many CockroachDB CMEK transitions end in `*_FAILED`.
    pub cmek_failures: u32,
    /// How long a time-out fault holds the answer back (longer than the client's time-out).
    pub stall: Duration,
}

/// One fault the router injected, in order (for summaries and assertions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedFault {
    /// [`FaultKind::name`].
    pub kind: String,
    /// Operation id of the faulted request.
    pub operation: String,
    /// Whether the request's change was applied despite the fault.
    pub applied: bool,
}

/// Knobs of [`FaultPlan::random`].
#[derive(Debug, Clone)]
pub struct RandomPlan<'a> {
    /// Operation suffixes worth aiming at (the scenario's writes), besides any write / read.
    pub operations: &'a [&'a str],
    /// Most rules per plan (at least one is drawn).
    pub max_rules: u32,
    /// Whether time-out faults may be drawn (they cost [`FaultPlan::stall`] of real time).
    pub timeouts: bool,
    /// Whether plan-wide CockroachDB `*_FAILED` transitions may be drawn.
    pub cmek_failures: bool,
    /// IAM propagation delay drawn for about one plan in four.
    pub iam_propagation: Duration,
    /// [`FaultPlan::stall`].
    pub stall: Duration,
}

impl FaultPlan {
    /// A plan without faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// One rule: the next `times` requests matching `target` get `kind`.
    pub fn single(kind: FaultKind, target: Target, times: u32) -> Self {
        Self {
            rules: vec![FaultRule {
                kind,
                target,
                skip: 0,
                times,
            }],
            ..Self::default()
        }
    }

    /// Draws a plan from `seed` (rand's `StdRng`): 1..=`max_rules` rules, each a kind, a
    /// target (any write, any read, or one of `operations`), 0..6 requests skipped first and
    /// 1..=2 faulted; plus, now and then, an IAM propagation delay and a `*_FAILED` transition.
    pub fn random(seed: u64, knobs: &RandomPlan<'_>) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = rng.random_range(1..=knobs.max_rules.max(1));
        let mut rules = Vec::new();
        for _ in 0..n {
            let kind = match rng.random_range(0..if knobs.timeouts { 11 } else { 9 }) {
                0 => FaultKind::Latency {
                    millis: rng.random_range(1..=5),
                },
                1 => FaultKind::Throttle {
                    retry_after_secs: rng.random_range(1..=30),
                },
                2 => FaultKind::ServerError { status: 500 },
                3 => FaultKind::ServerError { status: 503 },
                4 => FaultKind::ResetBeforeApply,
                5 => FaultKind::ResetAfterApply,
                6 => FaultKind::ConcurrentWriter,
                7 => FaultKind::FreshResource {
                    status: if rng.random_bool(0.5) { 404 } else { 403 },
                    misses: rng.random_range(1..=3),
                },
                8 => FaultKind::ConcurrentWriter,
                9 => FaultKind::TimeoutBeforeApply,
                _ => FaultKind::TimeoutAfterApply,
            };
            let target = match kind {
                FaultKind::ConcurrentWriter => Target::Operation("setIamPolicy".into()),
                FaultKind::FreshResource { .. } => Target::Operation(
                    if rng.random_bool(0.5) {
                        "serviceAccounts.create"
                    } else {
                        "cryptoKeys.create"
                    }
                    .into(),
                ),
                _ => match rng.random_range(0..4) {
                    0 => Target::AnyWrite,
                    1 => Target::AnyRead,
                    _ if !knobs.operations.is_empty() => {
                        let i = rng.random_range(0..knobs.operations.len());
                        Target::Operation(knobs.operations[i].to_owned())
                    }
                    _ => Target::AnyWrite,
                },
            };
            rules.push(FaultRule {
                kind,
                target,
                skip: rng.random_range(0..6),
                times: rng.random_range(1..=2),
            });
        }
        let iam_propagation = rng.random_bool(0.25).then_some(knobs.iam_propagation);
        let cmek_failures = u32::from(knobs.cmek_failures && rng.random_bool(0.15));
        Self {
            seed,
            rules,
            iam_propagation,
            cmek_failures,
            stall: knobs.stall,
        }
    }

    /// Whether the plan has nothing to inject.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.iam_propagation.is_none() && self.cmek_failures == 0
    }
}

/// A plan being applied: the rules with their remaining skip/times counters.
#[derive(Debug, Default)]
pub(crate) struct ActivePlan {
    pub(crate) rules: Vec<FaultRule>,
    pub(crate) stall: Duration,
}

impl ActivePlan {
    /// The fault for this request, if a rule matches and is due (counters are used up).
    /// `ConcurrentWriter` only matches `setIamPolicy`.
    pub(crate) fn decide(&mut self, operation: &str, is_write: bool) -> Option<FaultKind> {
        for rule in &mut self.rules {
            if rule.times == 0 || !rule.target.matches(operation, is_write) {
                continue;
            }
            if rule.kind == FaultKind::ConcurrentWriter
                && !operation.ends_with("setIamPolicy")
                && !crate::aws::concurrent::is_policy_action(operation)
            {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            rule.times -= 1;
            return Some(rule.kind);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs() -> RandomPlan<'static> {
        RandomPlan {
            operations: &["setIamPolicy", "UpdateCMEKStatus"],
            max_rules: 3,
            timeouts: true,
            cmek_failures: true,
            iam_propagation: Duration::from_millis(5),
            stall: Duration::from_millis(900),
        }
    }

    #[test]
    fn one_seed_draws_one_plan() {
        assert_eq!(
            FaultPlan::random(42, &knobs()),
            FaultPlan::random(42, &knobs())
        );
        let distinct: std::collections::BTreeSet<String> = (0..50)
            .map(|s| format!("{:?}", FaultPlan::random(s, &knobs()).rules))
            .collect();
        assert!(
            distinct.len() > 40,
            "{} distinct plans of 50",
            distinct.len()
        );
    }

    #[test]
    fn a_rule_skips_then_faults_then_is_spent() {
        let mut p = ActivePlan {
            rules: vec![FaultRule {
                kind: FaultKind::ResetAfterApply,
                target: Target::AnyWrite,
                skip: 1,
                times: 2,
            }],
            stall: Duration::ZERO,
        };
        assert_eq!(p.decide("kms.get", false), None);
        assert_eq!(p.decide("kms.create", true), None);
        assert_eq!(
            p.decide("kms.create", true),
            Some(FaultKind::ResetAfterApply)
        );
        assert_eq!(
            p.decide("kms.update", true),
            Some(FaultKind::ResetAfterApply)
        );
        assert_eq!(p.decide("kms.update", true), None);
    }

    #[test]
    fn a_concurrent_writer_waits_for_a_set_iam_policy() {
        let mut p = ActivePlan {
            rules: vec![FaultRule {
                kind: FaultKind::ConcurrentWriter,
                target: Target::AnyWrite,
                skip: 0,
                times: 1,
            }],
            stall: Duration::ZERO,
        };
        assert_eq!(p.decide("cloudkms.keyRings.create", true), None);
        assert_eq!(
            p.decide("cloudkms.projects.locations.keyRings.setIamPolicy", true),
            Some(FaultKind::ConcurrentWriter)
        );
    }
}
