//! Identifier inputs: GCP project, service account, KMS ids and locations, AWS regions,
//! CockroachDB cluster ids and references, and the plan and operation ids the app issues.
//! The rules are those of [`crate::names`] and [`crate::aws::arn`] (sources cited there), with
//! the field named by its UI label.

use super::{labels, string_input};
use crate::error::{Error, Result};
use crate::names;

/// A GCP project id (Resource Manager `Project.projectId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectId(String);
string_input!(ProjectId, labels::PROJECT);

impl ProjectId {
    /// Checks `raw` as-is (no trimming: a project id with spaces is a typo to show).
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        names::validate_project_id(label, raw).map(|()| Self(raw.to_owned()))
    }
}

/// A user-managed service account id (the part before `@`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceAccountId(String);
string_input!(ServiceAccountId, labels::SERVICE_ACCOUNT);

impl ServiceAccountId {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        names::validate_service_account_id(label, raw).map(|()| Self(raw.to_owned()))
    }
}

/// A key ring or crypto key id: `[a-zA-Z0-9_-]{1,63}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KmsId(String);
string_input!(KmsId, labels::CRYPTO_KEY);

impl KmsId {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        names::validate_kms_id(label, raw).map(|()| Self(raw.to_owned()))
    }
}

/// A Cloud KMS location: `global`, a region (`us-east4`) or a multi-region (`europe`, `nam4`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GcpLocation(String);
string_input!(GcpLocation, labels::LOCATION);

impl GcpLocation {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        names::validate_location(label, raw).map(|()| Self(raw.to_owned()))
    }
}

/// An AWS region such as `us-east-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AwsRegion(String);
string_input!(AwsRegion, labels::AWS_REGION);

impl AwsRegion {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        crate::aws::arn::validate_region(label, raw).map(|()| Self(raw.to_owned()))
    }
}

/// A full CockroachDB cluster UUID, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterUuid(String);
string_input!(ClusterUuid, labels::CLUSTER_ID);

impl ClusterUuid {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        if is_uuid(raw.trim()) {
            Ok(Self(raw.trim().to_ascii_lowercase()))
        } else {
            Err(Error::invalid_input(
                label,
                "must be the full cluster UUID (8-4-4-4-12 hex digits), not the 12-character suffix",
            ))
        }
    }

    /// As the domain's [`names::ClusterId`].
    pub fn to_cluster_id(&self) -> names::ClusterId {
        names::ClusterId::parse(&self.0).expect("a ClusterUuid is a valid ClusterId")
    }
}

/// A cluster as a person names it: its UUID or its name (looked up in the organisation's list,
/// never put into a URL path).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterRef(String);
string_input!(ClusterRef, labels::CLUSTER);

impl ClusterRef {
    /// 1-100 characters, no control characters; surrounding spaces removed.
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                label,
                "give the cluster's name or its UUID (1-100 characters, no line breaks or control characters)",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The UUID when the reference is one.
    pub fn uuid(&self) -> Option<ClusterUuid> {
        is_uuid(&self.0).then(|| ClusterUuid(self.0.to_ascii_lowercase()))
    }
}

/// A plan id or operation id the app issued (a UUID, case kept as issued).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(String);
string_input!(RecordId, labels::OPERATION_ID);

impl RecordId {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        if is_uuid(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::invalid_input(
                label,
                "must be an id the app issued: a UUID (8-4-4-4-12 hex digits), as printed by the app",
            ))
        }
    }
}

/// A crypto key resource name `projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyName(String);
string_input!(KeyName, labels::KEY_NAME);

impl KeyName {
    /// Each segment checked: the project (also legacy domain-scoped `example.com:p`, 1-100 of
    /// `a-z 0-9 - . :`), the location, the key ring and key ids (`[a-zA-Z0-9_-]{1,63}`).
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        let rule = "must be projects/{project}/locations/{location}/keyRings/{key ring}/cryptoKeys/{key}, with key ring and key ids of 1-63 characters of a-z, A-Z, 0-9, '_' and '-', and no /cryptoKeyVersions/N";
        let bad = || Error::invalid_input(label, rule);
        let p: Vec<&str> = raw.split('/').collect();
        let ["projects", project, "locations", location, "keyRings", ring, "cryptoKeys", key] =
            p.as_slice()
        else {
            return Err(bad());
        };
        let project_ok = (1..=100).contains(&project.len())
            && project
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.:".contains(c));
        let ok = project_ok
            && names::validate_location(label, location).is_ok()
            && names::validate_kms_id(label, ring).is_ok()
            && names::validate_kms_id(label, key).is_ok();
        ok.then(|| Self(raw.to_owned())).ok_or_else(bad)
    }

    /// The key id (last segment), e.g. what a typed confirmation must equal.
    pub fn key_id(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }
}

/// A drift finding id: `drift-` + 16 lower-case hex digits (`cmek_audit::drift`, stable per
/// binding).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FindingId(String);
string_input!(FindingId, labels::FINDING_ID);

impl FindingId {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        let ok = raw.strip_prefix("drift-").is_some_and(|h| {
            h.len() == 16
                && h.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
        ok.then(|| Self(raw.to_owned())).ok_or_else(|| {
            Error::invalid_input(
                label,
                "must be a finding id as the audit shows it: drift- followed by 16 hex digits",
            )
        })
    }
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}
