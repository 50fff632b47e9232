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

/// Every project id, the KMS reads per minute (1-60,000) and the calls in flight (1-64).
pub fn check_scan_options(o: &ScanOptions) -> Result<()> {
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
}
