//! The three revocation levers (cmek-procedure §12 "App design notes"; gcp-apis.md §8
//! "Fastest levers"): what each removes, whom it reaches and how long it takes to bite.
//!
//! None of them stops a running cluster by itself: the cluster keeps its unwrapped store key
//! until CockroachDB is told to REVOKE (B42), which [`crate::revoke`] always does next.

use cmek_core::iam::Grant;
use cmek_gcp::PolicyTarget;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How access is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum Lever {
    /// Remove `roles/iam.serviceAccountTokenCreator` for this cluster's CockroachDB principal
    /// (`crl-kms-user-{suffix}@{account}`) on the customer service account. This cluster only.
    TokenCreator,
    /// Remove `roles/cloudkms.cryptoKeyEncrypterDecrypter` for the service account on the key.
    /// Every cluster that uses this service account with this key.
    EncrypterDecrypter,
    /// `serviceAccounts.disable`: immediate, reversible; every cluster using the account.
    DisableServiceAccount,
    /// AWS: remove the statement granting the cluster's role the CMEK actions from the key
    /// policy (`crate::aws`). Every cluster that uses this key through that role.
    KeyPolicyStatement,
    /// AWS: remove CockroachDB's account from the role's trust policy (`crate::aws`). Every
    /// cluster that uses this role.
    RoleTrust,
}

impl Lever {
    /// The Google Cloud levers (offered for GCP clusters only).
    pub const ALL: [Lever; 3] = [
        Lever::TokenCreator,
        Lever::EncrypterDecrypter,
        Lever::DisableServiceAccount,
    ];

    /// The AWS levers (offered for AWS clusters only), the default first.
    pub const AWS: [Lever; 2] = [Lever::KeyPolicyStatement, Lever::RoleTrust];

    /// True for a lever of an AWS cluster.
    pub fn is_aws(self) -> bool {
        Self::AWS.contains(&self)
    }

    /// The lever offered first.
    pub const DEFAULT: Lever = Lever::TokenCreator;

    pub fn title(self) -> &'static str {
        match self {
            Self::TokenCreator => "Remove Token Creator for this cluster's CockroachDB principal",
            Self::EncrypterDecrypter => {
                "Remove Encrypter/Decrypter for the service account on the key"
            }
            Self::DisableServiceAccount => "Disable the service account",
            Self::KeyPolicyStatement => "Remove the role's statement from the key policy",
            Self::RoleTrust => "Remove CockroachDB's account from the role's trust",
        }
    }

    pub fn reach(self) -> Reach {
        match self {
            Self::TokenCreator => Reach::ThisCluster,
            Self::EncrypterDecrypter => Reach::ClustersUsingServiceAccountWithKey,
            Self::DisableServiceAccount => Reach::ClustersUsingServiceAccount,
            Self::KeyPolicyStatement => Reach::ClustersUsingRoleWithKey,
            Self::RoleTrust => Reach::ClustersUsingRole,
        }
    }

    /// (typical, worst known) seconds until Google enforces it. IAM policy changes: typically
    /// 2 min, 7+ min possible (gcp-apis §8); `disable` is immediate (gcp-apis §5). AWS key
    /// policy and trust changes are eventually consistent: usually within a minute, a few
    /// minutes possible (our estimate, not a documented bound).
    pub fn delay_secs(self) -> (u32, u32) {
        match self {
            Self::TokenCreator | Self::EncrypterDecrypter => (120, 420),
            Self::DisableServiceAccount => (0, 0),
            Self::KeyPolicyStatement | Self::RoleTrust => (60, 300),
        }
    }

    pub fn delay_text(self) -> &'static str {
        match self {
            Self::TokenCreator | Self::EncrypterDecrypter => {
                "IAM changes take effect in about 2 minutes, sometimes 7 minutes or more."
            }
            Self::DisableServiceAccount => {
                "Existing access tokens of the account stop working at once."
            }
            Self::KeyPolicyStatement => {
                "KMS key policy changes are eventually consistent: usually within a minute, sometimes a few minutes."
            }
            Self::RoleTrust => {
                "IAM trust changes are eventually consistent: new AssumeRole calls fail within about a minute; sessions already issued last until they expire (up to 1 hour)."
            }
        }
    }

    /// Machine name used in the activity log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenCreator => "token_creator",
            Self::EncrypterDecrypter => "encrypter_decrypter",
            Self::DisableServiceAccount => "disable_service_account",
            Self::KeyPolicyStatement => "key_policy_statement",
            Self::RoleTrust => "role_trust",
        }
    }
}

/// Who a lever cuts off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum Reach {
    ThisCluster,
    ClustersUsingServiceAccountWithKey,
    ClustersUsingServiceAccount,
    /// AWS: every cluster whose spec uses this key with this role.
    ClustersUsingRoleWithKey,
    /// AWS: every cluster whose spec uses this role.
    ClustersUsingRole,
}

/// A resource with an IAM policy, as stored in snapshots and sent over IPC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum IamResource {
    /// A Cloud KMS key (or key ring): `projects/…/cryptoKeys/…`.
    Kms { name: String },
    /// A service account's own policy.
    ServiceAccount { project: String, email: String },
}

impl IamResource {
    /// The policy target for `cmek_gcp::edit_policy`.
    pub fn target(&self) -> PolicyTarget {
        match self {
            Self::Kms { name } => PolicyTarget::Kms(name.clone()),
            Self::ServiceAccount { project, email } => PolicyTarget::ServiceAccount {
                project: project.clone(),
                email: email.clone(),
            },
        }
    }

    /// The full resource name (also the activity log's `target`).
    pub fn name(&self) -> String {
        self.target().to_string()
    }

    /// The service account resource for an email `{id}@{project}.iam.gserviceaccount.com`.
    pub fn service_account(email: &str) -> Self {
        Self::ServiceAccount {
            project: service_account_project(email),
            email: email.to_owned(),
        }
    }
}

/// The project of a user-managed service account email (`{id}@{project}.iam.gserviceaccount.com`).
pub fn service_account_project(email: &str) -> String {
    email
        .split_once('@')
        .map(|(_, d)| d.trim_end_matches(".iam.gserviceaccount.com").to_owned())
        .unwrap_or_default()
}

/// The exact grants a lever removes from one policy (as found in it: conditional bindings of
/// the same role and member included), and so exactly what recovery adds back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Removal {
    pub resource: IamResource,
    pub grants: Vec<Grant>,
}

/// One lever as the confirmation shows it, computed for one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LeverInfo {
    pub lever: Lever,
    pub title: String,
    pub reach: Reach,
    /// One sentence: who is cut off.
    pub reach_text: String,
    pub delay_text: String,
    /// Typical seconds until enforced (0 = immediate).
    pub typical_delay_secs: u32,
    /// Worst known seconds until enforced.
    pub max_delay_secs: u32,
    pub is_default: bool,
    /// IAM grants it would remove (empty for [`Lever::DisableServiceAccount`]).
    pub removals: Vec<Removal>,
    /// Service accounts it would disable (emails).
    pub disables: Vec<String>,
    /// Every cluster it cuts off (ids), this one first.
    pub affected_clusters: Vec<String>,
    /// E.g. "no direct grant found: access may be inherited from the key ring or project".
    pub warnings: Vec<String>,
    /// AWS levers: the policy statements it would remove (empty for the GCP levers).
    #[serde(default)]
    pub aws_removals: Vec<crate::aws::AwsRemoval>,
}
