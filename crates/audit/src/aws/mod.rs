//! The AWS side of the audit (issue #9; audit-checks.md rows A02, A05, A09, A10, A12, A13, A14
//! and C01-C08 for clusters on AWS; cmek-procedure.md §5; field report B29).
//!
//! [`inventory::scan`] reads, with a [`cmek_aws::AwsClient`], every customer-managed KMS key of
//! the regions asked for (and of the regions CockroachDB's key ARNs name), their aliases, key
//! policies and rotation status, and the account's IAM roles with their trust policies and
//! permission policies (inline and customer-managed). [`checks::run`] evaluates the AWS rows on
//! that inventory (pure functions), and [`graph::access_graph`] draws an AWS cluster's chain
//! principal (CockroachDB's account) → role → key → region. Without an AWS client the rows stay
//! "not evaluated" ([`crate::checks::not_applicable`]).

pub mod checks;
pub mod cluster_checks;
pub mod graph;
pub mod inventory;
pub mod report;
pub mod sources;

use cmek_aws::AwsClient;
use cmek_core::aws::model::{IamRole, KeyMetadata};
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::Error;
use serde::Serialize;

/// The check ids the AWS audit evaluates (their "not evaluated" rows are dropped once it ran).
pub const AWS_ROWS: &[&str] = &["A02", "A05", "A12", "A13", "C05"];

/// What the AWS side of a scan reads from.
#[derive(Clone, Copy)]
pub struct AwsScan<'a> {
    pub client: &'a AwsClient,
    /// KMS regions to list keys in (the regions of the CockroachDB key ARNs are always added).
    pub regions: &'a [String],
}

/// One customer-managed KMS key with what the checks read about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsKey {
    /// `DescribeKey` (state with `DeletionDate`, spec, usage, origin, multi-Region, replicas).
    pub meta: KeyMetadata,
    /// `alias/…` names pointing at the key.
    pub aliases: Vec<String>,
    /// `GetKeyPolicy` (`default`); `None` when it could not be read (see `error`).
    pub policy: Option<PolicyDocument>,
    /// `GetKeyRotationStatus`; `None` when not asked (not Enabled) or unreadable.
    pub rotation_enabled: Option<bool>,
    pub error: Option<Error>,
}

/// A permission policy of a role: inline (by name) or attached customer-managed (by ARN).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePolicy {
    /// Inline policy name or managed policy ARN.
    pub name: String,
    pub inline: bool,
    pub document: PolicyDocument,
}

/// An IAM role with its trust and permission policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsRole {
    pub role: IamRole,
    /// Inline and customer-managed attached policies (AWS-managed ones are not read).
    pub policies: Vec<RolePolicy>,
    /// AWS-managed policy ARNs attached (listed, not judged).
    pub aws_managed: Vec<String>,
    pub error: Option<Error>,
}

/// The AWS inventory of one scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsInventory {
    /// Regions whose keys were listed.
    pub regions: Vec<String>,
    pub keys: Vec<AwsKey>,
    pub roles: Vec<AwsRole>,
    /// Role ARNs CockroachDB clusters name that IAM does not know (deleted or never created).
    pub missing_roles: Vec<String>,
    /// CockroachDB organization id (the `sts:ExternalId` the trust must require, C05).
    pub org_id: Option<String>,
    /// Errors of whole reads (a region's `ListKeys`, `ListRoles`, the organization).
    pub errors: Vec<Error>,
}

impl AwsInventory {
    /// The key with this ARN (or key id).
    pub fn key(&self, arn: &str) -> Option<&AwsKey> {
        self.keys
            .iter()
            .find(|k| k.meta.arn == arn || k.meta.key_id == arn)
    }

    /// The role with this ARN.
    pub fn role(&self, arn: &str) -> Option<&AwsRole> {
        self.roles.iter().find(|r| r.role.arn == arn)
    }
}

#[cfg(test)]
mod tests;
