//! AWS wording for findings on AWS resources: the shared catalogue rows A09, A10, A14 and
//! C01-C03, C06 carry Google Cloud sources and `gcloud` remediations; a finding on an AWS key,
//! role or AWS cluster gets the AWS sources (Prowler AWS, Security Hub, CIS AWS — audit-checks.md
//! AWS rows) and an `aws` CLI remediation instead. Rows already written for AWS (A02, A05, A12,
//! A13, C05) keep the catalogue's.

use crate::model::{CheckSources, Finding};

fn other(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// `(sources.prowler, sources.other, remediation)` of a row whose catalogue text is GCP's.
fn aws_row(
    id: &str,
) -> Option<(
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
)> {
    Some(match id {
        "A09" => (&["kms_cmk_not_deleted_unintentionally"], &["Security Hub KMS.3"], "Cancel the deletion before DeletionDate: aws kms cancel-key-deletion --key-id KEY, then aws kms enable-key --key-id KEY."),
        "A10" => (&["kms_cmk_are_used"], &[], "aws kms enable-key --key-id KEY, or schedule the deletion of a key nobody needs."),
        "A14" => (&[], &["AWS unique-ID principals (AROA…/AIDA…) in key policies"], "Replace the unique id by the ARN of the re-created role or user in the key policy (aws kms put-key-policy), or remove the statement."),
        "C01" => (&["kms_cmk_are_used"], &["CRDB managing-cmek", "A10"], "CockroachDB needs an Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT customer managed key: aws kms enable-key --key-id KEY, or point the region spec at such a key."),
        "C02" => (&["kms_cmk_not_deleted_unintentionally"], &["CRDB managing-cmek", "A09", "Security Hub KMS.3"], "aws kms cancel-key-deletion --key-id KEY before DeletionDate, then aws kms enable-key --key-id KEY."),
        "C03" => (&[], &["CRDB cmek-ops-aws", "cmek-procedure §5"], "Give the role exactly kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey and kms:ReEncrypt* in the key policy (aws kms put-key-policy), nothing broader."),
        "C06" => (&[], &["CRDB cmek-ops-aws"], "Use a key in the cluster's region (or that region's replica of a multi-Region key) for the region's key spec."),
        _ => return None,
    })
}

/// Rewrites the sources and remediation of `f` (a finding on an AWS resource) to AWS's.
pub fn localize(f: &mut Finding) {
    if let Some((prowler, rest, remediation)) = aws_row(&f.check_id) {
        f.sources = CheckSources {
            prowler: other(prowler),
            other: other(rest),
            ..Default::default()
        };
        f.remediation = remediation.to_owned();
    }
}
