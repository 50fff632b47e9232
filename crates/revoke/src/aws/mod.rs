//! Revocation and recovery for AWS clusters (issue #9; cmek-procedure.md §5, §12): the two AWS
//! levers, [`Lever::KeyPolicyStatement`] (remove the statement granting the cluster's role the
//! CMEK actions from the key policy: every cluster using that key through that role) and
//! [`Lever::RoleTrust`] (remove the statement letting CockroachDB's account assume the role:
//! every cluster using the role).
//!
//! The public entry points are the provider-neutral ones ([`crate::preview_revoke`],
//! [`crate::revoke`], [`crate::resume_revoke`], [`crate::recover`]); they hand AWS clusters and
//! AWS snapshots to [`preview`], [`revoke`] and [`recover`] here, which need
//! [`crate::RevokeContext::aws`].
//!
//! Policy writes are read-modify-write of whole statements ([`edit`]): AWS has no etag, so the
//! policy is re-read right before the write and compared with the read the change was computed
//! from (any difference: nothing written, `CONFLICT`), and read back after it and compared with
//! what was meant (any difference: the operation fails naming it). Every other statement,
//! condition and unknown field passes through as read.

pub mod edit;
pub mod preview;
pub mod recover;
pub mod revoke;

use cmek_aws::AwsClient;
use cmek_core::aws::arn::KeyArn;
use cmek_core::aws::arn::RoleArn;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lever::Lever;
use crate::RevokeContext;

/// Which AWS policy a lever edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum AwsPolicyKind {
    /// The `default` key policy of a KMS key.
    KeyPolicy,
    /// The trust (assume-role) policy of an IAM role.
    TrustPolicy,
}

/// One AWS policy: a key's (by key ARN) or a role's trust (by role ARN).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPolicyRef {
    pub kind: AwsPolicyKind,
    pub arn: String,
}

impl AwsPolicyRef {
    pub fn key(arn: &str) -> Self {
        Self {
            kind: AwsPolicyKind::KeyPolicy,
            arn: arn.to_owned(),
        }
    }

    pub fn trust(arn: &str) -> Self {
        Self {
            kind: AwsPolicyKind::TrustPolicy,
            arn: arn.to_owned(),
        }
    }

    /// "the key policy of arn:…" / "the trust policy of arn:…" (also the activity log target).
    pub fn describe(&self) -> String {
        match self.kind {
            AwsPolicyKind::KeyPolicy => format!("the key policy of {}", self.arn),
            AwsPolicyKind::TrustPolicy => format!("the trust policy of {}", self.arn),
        }
    }

    /// `GetKeyPolicy` / `GetRole`. Errors: `NOT_FOUND` when the role is gone; client errors.
    pub async fn read(&self, aws: &AwsClient) -> Result<PolicyDocument> {
        match self.kind {
            AwsPolicyKind::KeyPolicy => {
                let k = KeyArn::parse("key", &self.arn)?;
                aws.get_key_policy(&k.region, &self.arn).await
            }
            AwsPolicyKind::TrustPolicy => {
                let r = RoleArn::parse("role", &self.arn)?;
                aws.get_role(&r.name)
                    .await?
                    .map(|role| role.trust_policy)
                    .ok_or_else(|| {
                        Error::new(ErrorCode::NotFound, format!("role {} not found", self.arn))
                            .with_resource(self.arn.clone())
                    })
            }
        }
    }

    /// `PutKeyPolicy` / `UpdateAssumeRolePolicy` with the whole document.
    pub async fn write(&self, aws: &AwsClient, doc: &PolicyDocument) -> Result<()> {
        match self.kind {
            AwsPolicyKind::KeyPolicy => {
                let k = KeyArn::parse("key", &self.arn)?;
                aws.put_key_policy(&k.region, &self.arn, doc).await
            }
            AwsPolicyKind::TrustPolicy => {
                let r = RoleArn::parse("role", &self.arn)?;
                aws.update_trust_policy(&r.name, doc).await
            }
        }
    }
}

/// One statement a lever removes, as found: its position and its exact JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemovedStatement {
    /// Index in the policy's statement list when it was found (restored there).
    pub index: u32,
    /// The statement exactly as read (unknown members included).
    #[ts(type = "unknown")]
    pub statement: serde_json::Value,
}

/// The statements a lever removes from one policy, and so exactly what recovery puts back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsRemoval {
    pub policy: AwsPolicyRef,
    pub statements: Vec<RemovedStatement>,
}

/// A policy as read at one moment (snapshot before, observed state after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPolicyRecord {
    pub policy: AwsPolicyRef,
    /// The document as compact JSON.
    pub json: String,
}

impl AwsPolicyRecord {
    pub fn of(policy: &AwsPolicyRef, doc: &PolicyDocument) -> Self {
        Self {
            policy: policy.clone(),
            json: doc.to_json(),
        }
    }

    /// The recorded document. Errors: `INTERNAL` when the record is not a policy.
    pub fn document(&self) -> Result<PolicyDocument> {
        PolicyDocument::parse(&self.policy.describe(), &self.json)
    }
}

/// The AWS part of a revoke or recover report, from what was re-read at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsOutcome {
    /// What was removed (revoke) or put back (recover).
    pub changes: Vec<AwsRemoval>,
    /// The policies as re-read at the end.
    pub policies: Vec<AwsPolicyRecord>,
    /// Differences from what was meant (removed statements still present, restored ones
    /// missing); empty when verified.
    pub problems: Vec<String>,
}

/// The recovery snapshot of an AWS revocation (saved under the operation; `provider` tells it
/// from the GCP [`crate::RecoverySnapshot`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsRevokeSnapshot {
    /// Always `"AWS"`.
    pub provider: String,
    pub operation_id: String,
    pub taken_at: String,
    pub actor: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub organization_id: String,
    pub regions: Vec<String>,
    pub lever: Lever,
    pub removals: Vec<AwsRemoval>,
    /// The exact policies before any change.
    pub policies: Vec<AwsPolicyRecord>,
    pub cmek: CmekClusterInfo,
}

/// The value of `provider` in an [`AwsRevokeSnapshot`].
pub const AWS_PROVIDER: &str = "AWS";

/// True when a saved snapshot is an AWS one.
pub(crate) fn is_aws_snapshot(v: &serde_json::Value) -> bool {
    v.get("provider").and_then(|p| p.as_str()) == Some(AWS_PROVIDER)
}

/// The AWS client of the context. Errors: `FAILED_PRECONDITION` when the session has none.
pub(crate) fn client(ctx: &RevokeContext) -> Result<&AwsClient> {
    ctx.aws.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::FailedPrecondition,
            "This is an AWS cluster and the session has no AWS credentials: connect to AWS first.",
        )
    })
}
