//! Validated input types: every value a person or the UI hands the app (IPC command arguments,
//! `cmek` flags and positionals) is parsed into one of these at the boundary, before any call.
//!
//! Each type has `parse(label, raw) -> Result<Self>`: `label` is the field as the person sees it
//! (one of [`labels`], e.g. "Key ring ID"), and a failure is an [`Error`] with code
//! `INVALID_INPUT` whose message is `"{label}: {rule}"` (the rule in the person's units) and whose
//! `resource` is the label. `FromStr` parses with the type's default label, so clap can use
//! [`clap_rule`] as a `value_parser` (clap names the flag itself; only the rule is printed).
//!
//! The rules and their sources:
//! - [`ProjectId`]: 6-30 of `a-z 0-9 -`, a letter first, no `-` last (Resource Manager
//!   `Project.projectId`);
//! - [`ServiceAccountId`]: 6-30 matching `[a-z]([-a-z0-9]*[a-z0-9])` (IAM `serviceAccounts.create`);
//! - [`KmsId`] (key ring and crypto key ids): `[a-zA-Z0-9_-]{1,63}` (KMS `keyRings.create`,
//!   `cryptoKeys.create`);
//! - [`GcpLocation`]: `global`, a region or a multi-region: 1-40 of `a-z 0-9 -` (KMS locations);
//! - [`AwsRegion`]: `us-east-1` shape (AWS General Reference, regions);
//! - [`ClusterUuid`]: a full 8-4-4-4-12 hex UUID (CockroachDB Cloud API, cmek-procedure §3);
//! - [`ClusterRef`]: a cluster UUID or a cluster name (1-100 printable characters; CockroachDB
//!   names are 6-20 of `a-z 0-9 -`, but the name is looked up, never sent as a path);
//! - [`RecordId`]: a plan or operation id the app issued (a UUID);
//! - [`KeyName`]: `projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}` (no version);
//! - [`FindingId`]: `drift-` + 16 hex digits (the audit's drift findings);
//! - [`ConfirmText`]: a typed confirmation, at most 200 printable characters;
//! - [`FilePath`]: 1-4096 bytes, no NUL or line break;
//! - [`ScanLimit`]: a whole number in a stated range (calls per minute, concurrency, seconds);
//! - [`NumberText`]: a number as typed (JSON number or text), checked by `whole(label, range)`.

mod ids;
mod text;

#[cfg(test)]
mod tests;

pub use ids::{
    AwsRegion, ClusterRef, ClusterUuid, FindingId, GcpLocation, KeyName, KmsId, ProjectId,
    RecordId, ServiceAccountId,
};
pub use text::{ConfirmText, FilePath, NumberText, ScanLimit};

use crate::error::Error;

/// The labels the window and the CLI show for each field; errors name the field with these.
pub mod labels {
    pub const PROJECT: &str = "Project ID";
    pub const SERVICE_ACCOUNT: &str = "Service account ID";
    pub const KEY_RING: &str = "Key ring ID";
    pub const CRYPTO_KEY: &str = "Key ID";
    pub const LOCATION: &str = "Key location";
    pub const AWS_REGION: &str = "AWS region";
    pub const CLUSTER: &str = "Cluster";
    pub const CLUSTER_ID: &str = "Cluster ID";
    pub const PLAN_ID: &str = "Plan ID";
    pub const OPERATION_ID: &str = "Operation ID";
    pub const KEY_NAME: &str = "Key";
    pub const CONFIRM_KEY: &str = "Key ID typed to confirm";
    pub const CONFIRM_NAME: &str = "Cluster name typed to confirm";
    pub const CONFIRM: &str = "Confirmation";
    pub const FINDING_ID: &str = "Finding ID";
    pub const FILE: &str = "File";
    pub const READS_PER_MINUTE: &str = "KMS reads per minute";
    pub const CONCURRENCY: &str = "Calls in flight per project";
    pub const SEARCHES_PER_MINUTE: &str = "Cloud Asset searches per minute";
    pub const TIMEOUT: &str = "Time-out (seconds)";
}

/// Adapts a `parse(label, raw)` to clap's `value_parser`: the rule only, without the label
/// (clap prints the flag's name before it).
///
/// ```
/// use cmek_core::input::{clap_rule, KmsId};
/// let e = clap_rule::<KmsId>("bad id!").unwrap_err();
/// assert!(e.starts_with("must be 1-63 characters"));
/// ```
pub fn clap_rule<T>(raw: &str) -> Result<T, String>
where
    T: std::str::FromStr<Err = Error>,
{
    raw.parse::<T>().map_err(|e| rule_only(&e))
}

/// The rule of an `INVALID_INPUT` error without its `"{label}: "` prefix.
pub fn rule_only(e: &Error) -> String {
    e.message
        .split_once(": ")
        .map_or_else(|| e.message.clone(), |(_, rule)| rule.to_owned())
}

/// Implements `Display`, `as_str`, `into_inner` and a `FromStr` with the default label.
macro_rules! string_input {
    ($ty:ident, $default_label:expr) => {
        impl $ty {
            /// The validated value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The validated value, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                Self::parse($default_label, s)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use string_input;
