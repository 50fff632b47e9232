//! Types of the guided AWS setup (cmek-procedure.md §5, §7, §9-§10): what the user asks for
//! ([`AwsSetupRequest`]), what CMEK Desk will do ([`AwsPlan`]). Progress and the result reuse
//! the GCP setup's [`crate::plan::ApplyEvent`] and [`crate::plan::ApplyResult`].
//!
//! These types cross the IPC boundary (TypeScript bindings by ts-rs in `ui/src/lib/bindings`).
//! Policies are carried as indented JSON text (`…_before` / `…_after`), exactly as they would be
//! written. They hold no secrets.

use crate::cockroach::{Cluster, CmekRegionSpec};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How keys map to the cluster's regions (CockroachDB accepts any mapping, §7; the docs
/// recommend serving the key in each cluster region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum AwsKeyLayout {
    /// One single-Region key in each cluster region, each with the same alias.
    KeyPerRegion,
    /// One multi-Region primary key in `primary_region` and a replica (`ReplicateKey`) in every
    /// other cluster region; all share the key id (`mrk-…`) and the alias.
    #[serde(rename_all = "camelCase")]
    MultiRegion { primary_region: String },
}

/// What the user chose. Every field is checked before any call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsSetupRequest {
    /// Full cluster UUID of a cluster whose `cloud_provider` is `AWS`.
    pub cluster_id: String,
    /// IAM role CockroachDB assumes (1-64 of `A-Z a-z 0-9 + = , . @ _ -`), created in the
    /// account of the AWS credentials in use, e.g. `crdb-cmek-25ebef5ed2aa`.
    pub role_name: String,
    /// KMS alias of the key(s), with or without `alias/`, e.g. `alias/crdb-cmek-25ebef5ed2aa`.
    pub key_alias: String,
    pub layout: AwsKeyLayout,
    /// Automatic yearly rotation of the key material (`EnableKeyRotation`); default on.
    pub rotation: bool,
    /// Consent to rewrite an existing role's trust policy when it lacks CockroachDB's account
    /// or the `sts:ExternalId` condition (read-modify-write; other statements stay).
    #[serde(default)]
    pub fix_trust: bool,
}

/// The role the plan creates or adopts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPlannedRole {
    pub name: String,
    /// `arn:aws:iam::{your account}:role/{name}`: CockroachDB's `auth_principal`.
    pub arn: String,
    pub exists: bool,
    /// The trust policy now (indented JSON), when the role exists.
    #[ts(optional)]
    pub trust_policy_before: Option<String>,
    /// The trust policy after applying (indented JSON).
    pub trust_policy_after: String,
    /// What is wrong with an existing role's trust (missing ExternalId…); fixed only with
    /// `fix_trust`.
    #[ts(optional)]
    pub trust_issue: Option<String>,
    /// Permission policies attached to or inline in an existing role (the docs: none needed).
    pub permission_policies: Vec<String>,
}

/// Whether a key is single-Region, a multi-Region primary or one of its replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AwsKeyKind {
    SingleRegion,
    Primary,
    Replica,
}

/// One key (in one region) the plan creates, replicates or adopts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPlannedKey {
    /// `alias/…`.
    pub alias: String,
    /// The AWS region the key lives in.
    pub region: String,
    /// Cluster regions that use this key.
    pub regions: Vec<String>,
    pub kind: AwsKeyKind,
    /// True when the key already exists (found by its alias, or as a replica) and is adopted.
    pub exists: bool,
    /// The key ARN (the CMEK `uri`), once the key exists.
    #[ts(optional)]
    pub arn: Option<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`…, for an existing key.
    #[ts(optional)]
    pub key_state: Option<String>,
    /// Automatic rotation of an existing key (replicas follow their primary).
    #[ts(optional)]
    pub rotation_enabled: Option<bool>,
    /// The key policy now (indented JSON), for an existing key.
    #[ts(optional)]
    pub key_policy_before: Option<String>,
    /// The key policy after applying (indented JSON; for a new key, KMS's default policy plus
    /// CockroachDB's statement).
    pub key_policy_after: String,
}

/// The kind of an AWS setup step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AwsStepKind {
    /// `GetCallerIdentity`: the credentials still belong to the planned account.
    CheckIdentity,
    /// Create the role with CockroachDB's trust, or adopt it (and fix its trust with consent).
    CreateRole,
    /// Create a symmetric key with its alias, or adopt the key the alias names.
    CreateKey,
    /// Turn on automatic rotation (single-Region keys and multi-Region primaries).
    EnableKeyRotation,
    /// `ReplicateKey` the primary into another region, with the alias there.
    ReplicateKey,
    /// Add the role's statement to the key policy (read-modify-write), then read it back.
    WriteKeyPolicy,
    EnableCmek,
    WaitForCmek,
}

/// One step of an AWS plan, in execution order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPlanStep {
    /// Stable id, e.g. `createKey:us-east-1/alias/crdb-cmek-…` (no generated ids, so an
    /// interrupted apply resumes under the same plan).
    pub id: String,
    pub kind: AwsStepKind,
    pub title: String,
    /// The resource the step acts on (role ARN, `region/alias`, cluster id).
    pub resource: String,
    /// True when the plan found this step already done (it will only be verified).
    pub already_done: bool,
}

/// Everything the Plan screen shows and the Apply step executes for an AWS cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsPlan {
    /// The id the app core holds this plan under; empty until handed out.
    #[serde(default)]
    pub plan_id: String,
    /// `sha256:…` of the plan's intent; empty until handed out.
    #[serde(default)]
    pub digest: String,
    pub request: AwsSetupRequest,
    pub cluster: Cluster,
    /// CockroachDB Cloud organization id (`GET /api/v1/organization`): the ExternalId.
    pub organization_id: String,
    /// The AWS account the role and keys are made in (the credentials' account).
    pub account_id: String,
    /// Who the AWS calls are made as (`GetCallerIdentity` ARN).
    pub caller_arn: String,
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    pub role: AwsPlannedRole,
    pub keys: Vec<AwsPlannedKey>,
    pub steps: Vec<AwsPlanStep>,
    /// The body of `POST /api/v1/clusters/{id}/cmek` (`AWS_KMS`, key ARN, role ARN). For a key
    /// not created yet, `uri` says so; the apply sends the real ARN.
    pub region_specs: Vec<CmekRegionSpec>,
    /// Equivalent `aws` CLI and `curl` commands.
    pub commands: Vec<String>,
    pub warnings: Vec<String>,
}

impl AwsPlan {
    /// The key serving `region`, if any.
    pub fn key_for_region(&self, region: &str) -> Option<&AwsPlannedKey> {
        self.keys
            .iter()
            .find(|k| k.regions.iter().any(|r| r == region))
    }
}

/// `uri` of a region spec whose key does not exist yet.
pub fn pending_key_uri(alias: &str, region: &str) -> String {
    format!("(ARN of the key {alias} in {region}, once created)")
}
