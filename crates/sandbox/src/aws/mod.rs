//! AWS in the sandbox: KMS, IAM and STS on ONE endpoint `{base}/aws` (as moto's server mode
//! does), speaking the real wire protocols so the official AWS SDK for Rust works unchanged
//! with `endpoint_url` set:
//!
//! - **KMS**: JSON 1.1 — `POST /` with `X-Amz-Target: TrentService.<Op>` and
//!   `Content-Type: application/x-amz-json-1.1`; errors `{"__type": "...Exception", "message"}`.
//! - **IAM** and **STS**: the AWS Query protocol — form-encoded `Action=...&Version=...`, XML
//!   responses with `<ResponseMetadata><RequestId>`, errors as
//!   `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…`.
//!
//! Services are told apart by `X-Amz-Target` (KMS) or by the service of the SigV4
//! `Authorization` credential scope (`…/us-east-1/iam/aws4_request`, `sts`); the region comes
//! from the scope. Signatures are NOT verified, but the access key id must be a known sandbox
//! key ([`AWS_ACCESS_KEY_ID`], [`AWS_AUDIT_ACCESS_KEY_ID`]); an unknown one gets the service's
//! own auth error (KMS `UnrecognizedClientException` 400, IAM/STS `InvalidClientTokenId` 403).
//! The caller is the administrator of its account: its own IAM permissions are not evaluated.
//!
//! State is per account (roles, managed policies) and per account + region (keys, aliases).
//! Behaviours that matter for CMEK: principals in key policies must exist (B27) and a role is
//! invisible to KMS for `SandboxConfig::aws_iam_propagation` after it is created (B26); see
//! [`kms_policy`]. The CockroachDB side of AWS CMEK is in [`crdb`]; seeds in [`seed`].

pub(crate) mod concurrent;
pub(crate) mod crdb;
mod dispatch;
mod handle_ext;
mod iam;
mod iam_policies;
mod kms;
mod kms_keys;
mod kms_policy;
pub(crate) mod policy;
pub mod seed;
mod wire;

use std::collections::BTreeMap;
use std::time::Instant;

use time::OffsetDateTime;

pub use concurrent::AwsForeignStatement;
pub(crate) use dispatch::dispatch;

/// Access key id of the demo customer's officer (account [`AWS_CUSTOMER_ACCOUNT_ID`]).
pub const AWS_ACCESS_KEY_ID: &str = "SANDBOX-DEMO-OFFICER";
/// Secret of [`AWS_ACCESS_KEY_ID`] (never checked: signatures are not verified).
pub const AWS_SECRET_ACCESS_KEY: &str = "sandbox/K7MDENG/bPxRfiCYSANDBOXSECRETKEY";
/// The demo customer's AWS account (where the CMEK role and key of the AWS cluster belong).
pub const AWS_CUSTOMER_ACCOUNT_ID: &str = "111122223333";
/// The officer [`AWS_ACCESS_KEY_ID`] authenticates as (`GetCallerIdentity`).
pub const AWS_CALLER_ARN: &str = "arn:aws:iam::111122223333:user/cmek-officer";
/// `UserId` of [`AWS_CALLER_ARN`].
pub const AWS_CALLER_USER_ID: &str = "AIDAYSANDBOXOFFICER1";
/// Default region of the demo (the AWS cluster's region).
pub const AWS_REGION: &str = "us-east-1";
/// Access key id of the audit organisation's AWS account ([`AWS_AUDIT_ACCOUNT_ID`]).
pub const AWS_AUDIT_ACCESS_KEY_ID: &str = "SANDBOX-DEMO-AUDITOR";
/// Secret of [`AWS_AUDIT_ACCESS_KEY_ID`].
pub const AWS_AUDIT_SECRET_ACCESS_KEY: &str = "sandbox/K7MDENG/bPxRfiCYAUDITORSECRETKEY";
/// The audit organisation's AWS account (seeded only with the audit seed).
pub const AWS_AUDIT_ACCOUNT_ID: &str = "123456789012";
/// The auditor [`AWS_AUDIT_ACCESS_KEY_ID`] authenticates as.
pub const AWS_AUDIT_CALLER_ARN: &str = "arn:aws:iam::123456789012:user/cmek-auditor";

/// Who an access key authenticates as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub path: String,
    /// Unique id `AROA…`.
    pub id: String,
    pub arn: String,
    pub created: OffsetDateTime,
    /// Trust policy exactly as written.
    pub trust: String,
    pub description: Option<String>,
    pub max_session: i64,
    /// Inline policies: name -> document as written.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    pub tags: Vec<(String, String)>,
    /// When the role was created through the API (None when seeded): KMS sees it only
    /// `aws_iam_propagation` later (B26).
    pub created_at: Option<Instant>,
}

/// A customer managed IAM policy (one version, `v1`).
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: OffsetDateTime,
    pub document: String,
    pub description: Option<String>,
}

/// A KMS key in one region (a multi-Region replica is its own `Key` with the same id).
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub arn: String,
    pub region: String,
    pub account: String,
    pub description: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub state: String,
    pub created: OffsetDateTime,
    pub deletion_date: Option<OffsetDateTime>,
    pub pending_window: Option<i64>,
    pub spec: String,
    pub usage: String,
    pub multi_region: bool,
    /// Region of the primary key (multi-Region keys only).
    pub primary_region: Option<String>,
    /// The key policy exactly as written (returned verbatim by GetKeyPolicy).
    pub policy: String,
    /// Rotation period in days when automatic rotation is on.
    pub rotation: Option<i64>,
    pub tags: Vec<(String, String)>,
}

/// A KMS alias (`alias/…`) in one region.
#[derive(Debug, Clone)]
pub struct Alias {
    pub name: String,
    pub target: String,
    pub created: OffsetDateTime,
}

/// One AWS account of the sandbox.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// By role name.
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies by ARN.
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// (region, key id) -> key.
    pub keys: BTreeMap<(String, String), Key>,
    /// (region, alias name) -> alias.
    pub aliases: BTreeMap<(String, String), Alias>,
}

/// Test switch applied to a key policy right after the next PutKeyPolicy stored it.
pub type PolicyTamper = Box<dyn FnOnce(&mut serde_json::Value) + Send>;

/// The AWS part of the sandbox state.
#[derive(Default)]
pub struct AwsState {
    pub accounts: BTreeMap<String, Account>,
    /// Access key id -> caller.
    pub access_keys: BTreeMap<String, Caller>,
    /// Applied (once) to the document stored by the next successful PutKeyPolicy.
    pub(crate) tamper_next_put: Option<PolicyTamper>,
}

impl AwsState {
    /// The two sandbox identities (customer officer, auditor) with empty accounts.
    pub(crate) fn new() -> Self {
        let mut s = Self::default();
        s.add_caller(
            AWS_ACCESS_KEY_ID,
            AWS_CUSTOMER_ACCOUNT_ID,
            AWS_CALLER_ARN,
            AWS_CALLER_USER_ID,
        );
        s.add_caller(
            AWS_AUDIT_ACCESS_KEY_ID,
            AWS_AUDIT_ACCOUNT_ID,
            AWS_AUDIT_CALLER_ARN,
            "AIDAYSANDBOXAUDITOR1",
        );
        s
    }

    /// Registers an access key (and its account).
    pub fn add_caller(&mut self, key: &str, account: &str, arn: &str, user_id: &str) {
        self.access_keys.insert(
            key.into(),
            Caller {
                account: account.into(),
                arn: arn.into(),
                user_id: user_id.into(),
            },
        );
        self.accounts.entry(account.into()).or_default();
    }

    /// Finds a key by id or ARN (any account/region when a bare id is given).
    pub fn find_key_mut(&mut self, id_or_arn: &str) -> Option<&mut Key> {
        self.accounts
            .values_mut()
            .flat_map(|a| a.keys.values_mut())
            .find(|k| k.arn == id_or_arn || k.id == id_or_arn)
    }

    /// Finds a key by id or ARN.
    pub fn find_key(&self, id_or_arn: &str) -> Option<&Key> {
        self.accounts
            .values()
            .flat_map(|a| a.keys.values())
            .find(|k| k.arn == id_or_arn || k.id == id_or_arn)
    }

    /// A role by ARN (`arn:aws:iam::ACCOUNT:role/path/name`).
    pub fn role_by_arn(&self, arn: &str) -> Option<&Role> {
        let (account, name) = policy::parse_role_arn(arn)?;
        self.accounts.get(&account)?.roles.get(&name)
    }
}
