//! The boundary checks of the requests both faces hand the core (IPC arguments, `cmek` flags):
//! each field parsed into its `cmek_core::input` type, so a hostile or mistyped value is refused
//! with `INVALID_INPUT` naming the field by its UI label and the rule, before any call is made.
//! (Setup, rotation, add-region and AWS setup requests are checked field by field by
//! `cmek-setup`'s planners, also before any call.)

use crate::wire::CredentialSource;
use cmek_audit::ScanOptions;
use cmek_core::input::{
    labels, ClusterUuid, ConfirmText, FilePath, FindingId, ProjectId, ScanLimit,
};
use cmek_core::Result;
use cmek_revoke::{DriftFixRequest, RevokeRequest};

/// Cluster ID (a UUID) and the cluster name typed to confirm (at most 200 printable characters).
pub fn check_revoke_request(r: &RevokeRequest) -> Result<()> {
    ClusterUuid::parse(labels::CLUSTER_ID, &r.cluster_id)?;
    ConfirmText::parse(labels::CONFIRM_NAME, &r.confirm_name)?;
    Ok(())
}

/// Finding ID (`drift-` + 16 hex) and the confirmation text.
pub fn check_drift_fix_request(r: &DriftFixRequest) -> Result<()> {
    FindingId::parse(labels::FINDING_ID, &r.finding_id)?;
    ConfirmText::parse(labels::CONFIRM, &r.confirm)?;
    Ok(())
}

/// A number that was not a whole number in its range when read (as typed: `-5`, `0.5`,
/// `"ten"`), every project id, the KMS reads per minute (1-60,000), the calls in flight (1-64)
/// and the Cloud Asset searches per minute (1-60,000).
pub fn check_scan_options(o: &ScanOptions) -> Result<()> {
    if let Some(e) = &o.rejected {
        return Err(e.clone());
    }
    for p in &o.projects {
        ProjectId::parse(labels::PROJECT, p)?;
    }
    ScanLimit::new(
        labels::READS_PER_MINUTE,
        o.kms_reads_per_minute.into(),
        ScanLimit::READS_PER_MINUTE,
    )?;
    ScanLimit::new(
        labels::CONCURRENCY,
        o.concurrency_per_project.into(),
        ScanLimit::CONCURRENCY,
    )?;
    ScanLimit::new(
        labels::SEARCHES_PER_MINUTE,
        o.asset_searches_per_minute.into(),
        ScanLimit::SEARCHES_PER_MINUTE,
    )?;
    Ok(())
}

/// A service-account key file's path (1-4096 bytes, no NUL or line break).
pub fn check_credential_source(s: &CredentialSource) -> Result<()> {
    if let CredentialSource::ServiceAccountKeyFile { path } = s {
        FilePath::parse("Service account key file", path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmek_core::ErrorCode;
    use cmek_revoke::Lever;

    #[test]
    fn each_request_names_the_field_it_refuses() {
        let revoke = RevokeRequest {
            cluster_id: "c-1".into(),
            lever: Lever::TokenCreator,
            confirm_name: "x".into(),
        };
        let e = check_revoke_request(&revoke).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.starts_with("Cluster ID: "), "{}", e.message);

        let scan = ScanOptions {
            projects: vec!["cmek-demo-project".into()],
            concurrency_per_project: 0,
            ..ScanOptions::default()
        };
        let e = check_scan_options(&scan).unwrap_err();
        assert!(
            e.message.starts_with("Calls in flight per project: "),
            "{}",
            e.message
        );
        assert!(check_scan_options(&ScanOptions {
            concurrency_per_project: 8,
            ..scan
        })
        .is_ok());

        let fix = DriftFixRequest {
            finding_id: "drift-0123456789abcdef".into(),
            confirm: "\n".into(),
        };
        let e = check_drift_fix_request(&fix).unwrap_err();
        assert!(e.message.starts_with("Confirmation: "), "{}", e.message);
    }

    #[test]
    fn scan_numbers_as_typed_are_refused_by_label_never_by_serde() {
        // What the window may send for each number: the IPC layer reads it with serde exactly so.
        let fields = [
            (
                "kmsReadsPerMinute",
                labels::READS_PER_MINUTE,
                "from 1 to 60,000",
            ),
            ("concurrencyPerProject", labels::CONCURRENCY, "from 1 to 64"),
            (
                "assetSearchesPerMinute",
                labels::SEARCHES_PER_MINUTE,
                "from 1 to 60,000",
            ),
        ];
        let bad = [
            serde_json::json!(-5),
            serde_json::json!(0.5),
            serde_json::json!("ten"),
            serde_json::json!(""),
            serde_json::json!(0),
            serde_json::json!(1e20),
            serde_json::json!("99999999999999999999999999"),
            serde_json::json!(true),
            serde_json::json!({"n": 1}),
        ];
        for (key, label, range) in fields {
            for value in &bad {
                let json = serde_json::json!({ "projects": ["cmek-demo-project"], key: value });
                let options: ScanOptions =
                    serde_json::from_value(json.clone()).expect("numbers never fail to read");
                let e = check_scan_options(&options).expect_err("refused");
                assert_eq!(e.code, ErrorCode::InvalidInput, "{json}");
                assert!(
                    e.message.starts_with(&format!("{label}: ")),
                    "{json}: {}",
                    e.message
                );
                assert!(e.message.ends_with(range), "{json}: {}", e.message);
                for banned in [
                    "invalid type",
                    "expected",
                    "u32",
                    "serde",
                    "struct",
                    "start_audit",
                ] {
                    assert!(!e.message.contains(banned), "{json}: {}", e.message);
                }
            }
            // The same field as text or number, in range: read as typed.
            for good in [serde_json::json!(7), serde_json::json!(" 7 ")] {
                let json = serde_json::json!({ "projects": ["cmek-demo-project"], key: good });
                let options: ScanOptions = serde_json::from_value(json).unwrap();
                check_scan_options(&options).expect("in range");
            }
        }
        let defaults: ScanOptions = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(defaults, ScanOptions::default());
    }
}
