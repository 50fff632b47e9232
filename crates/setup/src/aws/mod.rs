//! The guided AWS CMEK setup for a cluster whose `cloud_provider` is `AWS` (cmek-procedure.md
//! §5, §7, §9-§12, §16): a cross-account role CockroachDB's account assumes with
//! `ExternalId` = the organization id and no permissions of its own, and symmetric KMS keys
//! whose policy grants that role exactly the five CMEK actions.
//!
//! [`plan_aws`] only reads (cluster, organization, caller, role, keys by alias, key policies)
//! and returns an [`AwsPlan`]; [`apply_aws`] runs it step by step, each check → act → verify,
//! with the same [`ApplyEvent`](cmek_core::plan::ApplyEvent)s and cancellation as the GCP setup:
//! re-applying a finished plan writes nothing, an interrupted one resumes (a key created just
//! before an interruption is found again by its description before its alias exists).
//!
//! Field reports: B26 (a key policy naming a role this run created is retried while KMS cannot
//! see it yet, `cmek_retry::policy::AWS_NEW_PRINCIPAL`), B27 (every principal of a key policy is
//! looked up before the write; one the app did not create and cannot find fails at once, naming
//! it), B29 (the trust carries the ExternalId; an enable failure caused by the trust is reported
//! as such).

mod apply;
mod cmek;
mod key_policy;
mod keys;
mod plan;
mod plan_keys;
mod role;

pub use apply::apply_aws;
pub use plan::{plan_aws, suggest_aws_request};

use cmek_core::aws::plan::AwsPlan;

/// Description of every key CMEK Desk creates; the alias in it finds a key again after an
/// interruption between `CreateKey` and `CreateAlias`.
pub(crate) fn key_description(plan: &AwsPlan, alias: &str) -> String {
    format!(
        "CockroachDB CMEK for cluster {} ({alias}); {CREATED_BY}",
        plan.cluster.name
    )
}

/// The end of [`key_description`].
pub(crate) const CREATED_BY: &str = "created by CMEK Desk";
