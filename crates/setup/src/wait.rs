//! The setup's waits, each a named `cmek_retry` policy scaled by [`Timing`]: IAM propagation
//! before CockroachDB can use a key (B09), eventual consistency of what this run created (B06,
//! B07), the Service Usage operation and CockroachDB's status poll. The loops themselves are
//! `cmek_retry::retry` and `cmek_retry::poll`, cancelled through the apply's token.

use crate::connection::Timing;
use cmek_core::{Error, ErrorCode};
use cmek_retry::policy::{
    CMEK_STATUS_POLL, FRESH_RESOURCE, IAM_PROPAGATION, OPERATION_POLL, RESOURCE_READY_POLL,
};
use cmek_retry::Policy;
use std::time::Duration;

/// Retrying CockroachDB's enable while IAM propagates: [`IAM_PROPAGATION`] for
/// `Timing::iam_propagation`, first wait `Timing::poll_interval`.
pub(crate) fn iam_propagation(t: &Timing) -> Policy {
    IAM_PROPAGATION
        .with_within(t.iam_propagation)
        .with_min_delay(t.poll_interval)
}

/// Retrying "not visible yet" on what this run created: [`FRESH_RESOURCE`] for
/// `Timing::fresh_resource`, first wait `Timing::poll_interval`.
pub(crate) fn fresh_resource(t: &Timing) -> Policy {
    FRESH_RESOURCE
        .with_within(t.fresh_resource)
        .with_min_delay(t.poll_interval)
}

/// Polling a new service account or key version until usable: [`RESOURCE_READY_POLL`] for
/// `Timing::fresh_resource`, every `Timing::poll_interval`.
pub(crate) fn resource_ready(t: &Timing) -> Policy {
    RESOURCE_READY_POLL
        .with_within(t.fresh_resource)
        .with_interval(t.poll_interval)
}

/// Polling a Service Usage enable operation: [`OPERATION_POLL`] for `Timing::api_enable`.
pub(crate) fn api_enable(t: &Timing) -> Policy {
    OPERATION_POLL
        .with_within(t.api_enable)
        .with_interval(t.poll_interval)
}

/// Polling `GET …/cmek` until every region settles: [`CMEK_STATUS_POLL`] for
/// `Timing::cmek_settle`.
pub(crate) fn cmek_settle(t: &Timing) -> Policy {
    CMEK_STATUS_POLL
        .with_within(t.cmek_settle)
        .with_interval(t.poll_interval)
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

    /// Production timing is exactly the named policies (their sources are documented there).
    #[test]
    fn production_timing_is_the_named_policies() {
        let t = Timing::default();
        assert_eq!(iam_propagation(&t), IAM_PROPAGATION);
        assert_eq!(fresh_resource(&t), FRESH_RESOURCE);
        assert_eq!(resource_ready(&t), RESOURCE_READY_POLL);
        assert_eq!(api_enable(&t), OPERATION_POLL);
        assert_eq!(cmek_settle(&t), CMEK_STATUS_POLL);
    }

    #[test]
    fn fast_timing_keeps_the_rules_with_smaller_numbers() {
        let t = Timing::fast();
        let p = iam_propagation(&t);
        assert_eq!(p.name, IAM_PROPAGATION.name);
        assert_eq!(p.within, Some(t.iam_propagation));
        assert_eq!(p.min_delay, t.poll_interval);
        assert_eq!(cmek_settle(&t).min_delay, t.poll_interval);
        assert_eq!(mmss(Duration::from_secs(605)), "10:05");
    }
}
