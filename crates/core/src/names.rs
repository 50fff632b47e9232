//! Identifiers, resource names and the local validation rules for them.
//!
//! Every rule cites its source, and every failure is an [`Error`] with code `InvalidInput`
//! naming the field and the rule, raised before any call is made.

use crate::error::{Error, Result};
use std::fmt;

/// Minimum Cloud KMS rotation period: 1 day (KMS `CryptoKey.rotation_period`, docs).
pub const MIN_ROTATION_SECS: u64 = 86_400;
/// Maximum Cloud KMS rotation period: 876,000 hours (100 years; KMS docs).
pub const MAX_ROTATION_SECS: u64 = 876_000 * 3_600;
/// 90 days, the CIS GCP 1.10 / Prowler `kms_key_rotation_max_90_days` threshold.
pub const ROTATION_90_DAYS_SECS: u64 = 90 * 86_400;

/// A CockroachDB Cloud cluster id: a full UUID (the API path needs all of it, cmek-procedure §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterId(String);

impl ClusterId {
    /// Parses `8-4-4-4-12` hex; lower-cases it.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_ascii_lowercase();
        let groups: Vec<&str> = s.split('-').collect();
        let shape_ok = groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n)
            && groups
                .iter()
                .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
        if !shape_ok {
            return Err(Error::invalid_input(
                "cluster_id",
                "must be the full cluster UUID (8-4-4-4-12 hex digits), not the 12-character suffix",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last 12 hex characters, used only in CockroachDB's principal name.
    pub fn suffix(&self) -> &str {
        &self.0[self.0.len() - 12..]
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// CockroachDB's own GCP principal for a cluster:
/// `crl-kms-user-{last 12 hex of cluster id}@{account_id}.iam.gserviceaccount.com`
/// (cmek-procedure §4.1; `account_id` is the cluster's CRL-managed project from `GET /clusters/{id}`).
pub fn cockroach_principal(cluster: &ClusterId, account_id: &str) -> String {
    format!(
        "crl-kms-user-{}@{account_id}.iam.gserviceaccount.com",
        cluster.suffix()
    )
}

/// Email of a user-managed service account: `{account_id}@{project}.iam.gserviceaccount.com`.
pub fn service_account_email(account_id: &str, project: &str) -> String {
    format!("{account_id}@{project}.iam.gserviceaccount.com")
}

/// GCP project id: 6-30 chars, lower-case letters, digits, hyphens, starts with a letter,
/// does not end with a hyphen (Resource Manager `Project.projectId`).
pub fn validate_project_id(field: &str, id: &str) -> Result<()> {
    let ok = (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(()).ok_or_else(|| {
        Error::invalid_input(field, "a project id is 6-30 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'")
    })
}

/// Service-account id: 6-30 chars matching `[a-z]([-a-z0-9]*[a-z0-9])` (IAM `serviceAccounts.create`).
pub fn validate_service_account_id(field: &str, id: &str) -> Result<()> {
    let ok = (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(()).ok_or_else(|| {
        Error::invalid_input(
            field,
            "a service account id is 6-30 characters matching [a-z]([-a-z0-9]*[a-z0-9])",
        )
    })
}

/// Key ring and crypto key ids: `[a-zA-Z0-9_-]{1,63}` (KMS `keyRings.create`, `cryptoKeys.create`).
pub fn validate_kms_id(field: &str, id: &str) -> Result<()> {
    let ok = (1..=63).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some(()).ok_or_else(|| {
        Error::invalid_input(
            field,
            "must be 1-63 characters of a-z, A-Z, 0-9, '_' and '-'",
        )
    })
}

/// A KMS location id: `global`, a region (`us-east4`) or a multi-region (`europe`, `nam4`).
pub fn validate_location(field: &str, location: &str) -> Result<()> {
    let ok = !location.is_empty()
        && location.len() <= 40
        && location
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(()).ok_or_else(|| {
        Error::invalid_input(
            field,
            "a location is `global`, a region like `us-east4` or a multi-region like `europe`",
        )
    })
}

/// True for locations that are not a single region (`global`, `us`, `europe`, `asia`, dual-regions
/// like `nam4`/`eur4`): allowed by CockroachDB but worth a warning (field report B18).
pub fn is_multi_region_location(location: &str) -> bool {
    !location.contains('-')
}

/// Whether a key in `location` may serve cluster region `region`, as CockroachDB's region
/// specs are checked here (field report B18; audit check C06): the same region, `global`, or a
/// multi-region that contains it (`us` ⊃ `us-*`, `europe` ⊃ `europe-*`, `asia` ⊃ `asia-*`).
/// `None` for dual-regions and other locations whose membership we do not know.
pub fn location_serves_region(location: &str, region: &str) -> Option<bool> {
    match location {
        "global" => Some(true),
        "us" | "europe" | "asia" => Some(region.starts_with(&format!("{location}-"))),
        l if l.contains('-') => Some(l == region),
        _ => None,
    }
}

/// Rotation period within [1 day, 876,000 hours] (KMS docs; field report B19).
pub fn validate_rotation_period(field: &str, secs: u64) -> Result<()> {
    if secs < MIN_ROTATION_SECS {
        return Err(Error::invalid_input(
            field,
            format!("must be at least 1 day (86400 s); got {secs} s"),
        ));
    }
    if secs > MAX_ROTATION_SECS {
        return Err(Error::invalid_input(
            field,
            format!("must be at most 876000 hours ({MAX_ROTATION_SECS} s); got {secs} s"),
        ));
    }
    Ok(())
}

/// A `google-duration` string for whole seconds: `7776000s` (field report B20).
pub fn format_duration_secs(secs: u64) -> String {
    format!("{secs}s")
}

/// Parses a `google-duration` (`"86400s"`, `"1.5s"`) into whole seconds (fraction truncated).
pub fn parse_duration_secs(s: &str) -> Option<u64> {
    let n = s.strip_suffix('s')?;
    let whole = n.split('.').next()?;
    whole.parse().ok()
}

/// `projects/{p}/locations/{l}/keyRings/{r}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRingName {
    pub project: String,
    pub location: String,
    pub key_ring: String,
}

impl KeyRingName {
    pub fn location_name(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.location)
    }
}

impl fmt::Display for KeyRingName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "projects/{}/locations/{}/keyRings/{}",
            self.project, self.location, self.key_ring
        )
    }
}

/// `projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}`: the CMEK `uri` (no version).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CryptoKeyName {
    pub key_ring: KeyRingName,
    pub crypto_key: String,
}

impl CryptoKeyName {
    /// Parses a crypto key resource name; a trailing `/cryptoKeyVersions/N` is rejected because
    /// CockroachDB wants the key, not a version (cmek-procedure §4.1).
    pub fn parse(name: &str) -> Result<Self> {
        let p: Vec<&str> = name.split('/').collect();
        match p.as_slice() {
            ["projects", project, "locations", location, "keyRings", ring, "cryptoKeys", key]
                if [project, location, ring, key].iter().all(|s| !s.is_empty()) =>
            {
                Ok(Self {
                    key_ring: KeyRingName {
                        project: project.to_string(),
                        location: location.to_string(),
                        key_ring: ring.to_string(),
                    },
                    crypto_key: key.to_string(),
                })
            }
            _ => Err(Error::invalid_input(
                "key_uri",
                "must be projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{key}, without /cryptoKeyVersions/N",
            )),
        }
    }
}

impl fmt::Display for CryptoKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/cryptoKeys/{}", self.key_ring, self.crypto_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn principal_uses_the_last_12_hex_of_the_full_uuid() {
        let id = ClusterId::parse("35C4ABB2-bb66-46d7-afed-25ebef5ed2aa").unwrap();
        assert_eq!(id.as_str(), "35c4abb2-bb66-46d7-afed-25ebef5ed2aa");
        assert_eq!(
            cockroach_principal(&id, "crl-prod-xyz"),
            "crl-kms-user-25ebef5ed2aa@crl-prod-xyz.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn the_12_char_suffix_alone_is_not_a_cluster_id() {
        let e = ClusterId::parse("25ebef5ed2aa").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.starts_with("Cluster ID:") && e.resource.as_deref() == Some("cluster_id"),
            "{}",
            e.message
        );
    }

    #[test]
    fn ids_are_validated_with_a_message_naming_field_and_rule() {
        assert!(validate_service_account_id("sa", "crdb-cmek").is_ok());
        for bad in [
            "short",
            "Upper-case",
            "ends-with-",
            "9starts-with-digit",
            &"x".repeat(31),
        ] {
            let e = validate_service_account_id("service_account_id", bad).unwrap_err();
            assert!(
                e.message.starts_with("Service account ID:"),
                "{bad}: {}",
                e.message
            );
        }
        assert!(validate_kms_id("key_ring", "crdb_ring-1").is_ok());
        assert!(validate_kms_id("key_ring", "has space").is_err());
        assert!(validate_kms_id("key_ring", &"k".repeat(64)).is_err());
        assert!(validate_project_id("project", "cmek-demo-project").is_ok());
        assert!(validate_project_id("project", "ab").is_err());
    }

    #[test]
    fn b19_rotation_period_is_checked_locally() {
        assert!(validate_rotation_period("rotation_period", 86_400).is_ok());
        assert!(validate_rotation_period("rotation_period", 7_776_000).is_ok());
        let e = validate_rotation_period("rotation_period", 3_600).unwrap_err();
        assert!(e.message.contains("at least 1 day"), "{}", e.message);
        assert!(validate_rotation_period("rotation_period", MAX_ROTATION_SECS + 1).is_err());
    }

    #[test]
    fn b20_durations_are_decimal_seconds_with_s_suffix() {
        assert_eq!(format_duration_secs(7_776_000), "7776000s");
        assert_eq!(parse_duration_secs("7776000s"), Some(7_776_000));
        assert_eq!(parse_duration_secs("1.5s"), Some(1));
        assert_eq!(parse_duration_secs("7776000"), None);
    }

    #[test]
    fn b18_key_locations_must_cover_the_regions_they_serve() {
        assert_eq!(location_serves_region("us-east4", "us-east4"), Some(true));
        assert_eq!(location_serves_region("us-east1", "us-east4"), Some(false));
        assert_eq!(location_serves_region("global", "europe-west4"), Some(true));
        assert_eq!(location_serves_region("us", "us-west2"), Some(true));
        assert_eq!(location_serves_region("us", "europe-west4"), Some(false));
        assert_eq!(location_serves_region("nam4", "us-east1"), None);
    }

    #[test]
    fn crypto_key_names_round_trip_and_versions_are_refused() {
        let n = "projects/p1/locations/europe-west4/keyRings/r/cryptoKeys/k";
        assert_eq!(CryptoKeyName::parse(n).unwrap().to_string(), n);
        assert!(CryptoKeyName::parse(&format!("{n}/cryptoKeyVersions/1")).is_err());
        assert!(is_multi_region_location("global") && is_multi_region_location("europe"));
        assert!(!is_multi_region_location("us-east4"));
    }
}
