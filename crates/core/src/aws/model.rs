//! What the AWS clients (`cmek-aws`) return: the caller, roles, keys and aliases, in CMEK
//! Desk's words (field names follow the AWS APIs: STS `GetCallerIdentity`, IAM `Role`, KMS
//! `KeyMetadata` and `AliasListEntry`). No I/O.

use super::policy::PolicyDocument;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `GetCallerIdentity`: who the AWS calls are made as.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CallerIdentity {
    /// 12-digit account id.
    pub account: String,
    /// e.g. `arn:aws:iam::123456789012:user/officer` or an assumed-role session.
    pub arn: String,
    pub user_id: String,
}

/// An IAM role with its trust policy (decoded from IAM's URL-encoded text).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    /// `AROA…`: stays the same only while the role is not deleted and re-created.
    pub role_id: String,
    pub path: String,
    pub trust_policy: PolicyDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

/// The permission policies of a role (the CMEK role should have none).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePolicies {
    /// ARNs of attached managed policies.
    pub attached: Vec<String>,
    /// Names of inline policies.
    pub inline: Vec<String>,
}

/// KMS `KeyMetadata` (the fields CMEK Desk reads).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyMetadata {
    pub key_id: String,
    pub arn: String,
    pub region: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `PendingReplicaDeletion`,
    /// `Unavailable`, `Creating`, `Updating`.
    pub key_state: String,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, …
    pub key_spec: String,
    /// `ENCRYPT_DECRYPT`, `SIGN_VERIFY`, …
    pub key_usage: String,
    /// `CUSTOMER` or `AWS`.
    pub key_manager: String,
    /// `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: String,
    pub description: String,
    pub multi_region: bool,
    /// `PRIMARY` or `REPLICA` for a multi-Region key.
    #[ts(optional)]
    pub multi_region_key_type: Option<String>,
    /// The primary key's ARN (multi-Region keys).
    #[ts(optional)]
    pub primary_arn: Option<String>,
    /// The replicas' ARNs (multi-Region keys).
    pub replica_arns: Vec<String>,
    /// When a `PendingDeletion` key will be deleted (RFC 3339).
    #[ts(optional)]
    pub deletion_date: Option<String>,
    /// RFC 3339.
    #[ts(optional)]
    pub creation_date: Option<String>,
}

impl KeyMetadata {
    /// True for a key CockroachDB can use: customer managed, symmetric, encrypt/decrypt, enabled.
    pub fn usable_for_cmek(&self) -> Result<(), String> {
        let mut why = Vec::new();
        if self.key_spec != "SYMMETRIC_DEFAULT" {
            why.push(format!(
                "its key spec is {} (CMEK needs SYMMETRIC_DEFAULT)",
                self.key_spec
            ));
        }
        if self.key_usage != "ENCRYPT_DECRYPT" {
            why.push(format!(
                "its usage is {} (CMEK needs ENCRYPT_DECRYPT)",
                self.key_usage
            ));
        }
        if self.key_manager == "AWS" {
            why.push("it is an AWS managed key (its policy cannot be changed)".to_owned());
        }
        if self.key_state != "Enabled" {
            let when = self
                .deletion_date
                .as_deref()
                .map(|d| format!(", deletion on {d}"))
                .unwrap_or_default();
            why.push(format!(
                "its state is {}{when} (it must be Enabled)",
                self.key_state
            ));
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(why.join("; "))
        }
    }
}

/// KMS `AliasListEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KmsAlias {
    /// `alias/…`.
    pub alias_name: String,
    pub alias_arn: String,
    /// The key it points to (none for an alias of a deleted key).
    #[ts(optional)]
    pub target_key_id: Option<String>,
}

/// What the key-creation call asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    pub description: String,
    /// A multi-Region primary (`MultiRegion: true`).
    pub multi_region: bool,
    /// `(TagKey, TagValue)` pairs.
    pub tags: Vec<(String, String)>,
}
