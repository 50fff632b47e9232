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

/// Markers of each cloud's references and commands, used to prove that a finding cites only
/// its own cloud (issue #11): AWS (CIS AWS, Security Hub, Prowler AWS checks, CloudWatch, the
/// `aws` CLI) and Google Cloud (CIS GCP, SCC finding ids, ScoutSuite GCP rules, `gcloud`).
const AWS_MARKERS: &[&str] = &[
    "AWS",
    "Security Hub",
    "cloudwatch",
    "CloudWatch",
    "kms_cmk",
    "kms-cmk",
    "iam_policy_",
    "iam_inline_",
    "logs-no-alarm",
    "aws kms",
    "aws iam",
];
const GCP_MARKERS: &[&str] = &[
    "GCP",
    "gcloud",
    "Cloud KMS",
    "cloudkms",
    "KMS_",
    "kms-cryptokeys",
    "kms-encryption-keys",
    "serviceAccount",
    "Steampipe kms_key",
];

/// The other cloud a text names, if any: `Some("AWS")` when `text` carries an AWS marker and
/// `own` is `GCP`, `Some("GCP")` when it carries a Google Cloud marker and `own` is `AWS`.
pub fn foreign_cloud(own: &str, text: &str) -> Option<&'static str> {
    let (other, markers) = if own == "AWS" {
        ("GCP", GCP_MARKERS)
    } else {
        ("AWS", AWS_MARKERS)
    };
    markers.iter().any(|m| text.contains(m)).then_some(other)
}

/// Every reference and the remediation of `f` that names a cloud other than `own`.
pub fn foreign_references(own: &str, f: &Finding) -> Vec<String> {
    let s = &f.sources;
    s.cis
        .iter()
        .chain(&s.prowler)
        .chain(&s.scoutsuite)
        .chain(&s.scc)
        .chain(&s.other)
        .chain(std::iter::once(&f.remediation))
        .filter(|t| foreign_cloud(own, t).is_some())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{catalogue, fail};

    /// Rows only AWS has (no Google Cloud finding is ever made of them).
    const AWS_ONLY: &[&str] = &["A02", "A05", "A12", "A13", "C05"];
    /// Rows the AWS audit evaluates (AWS-only rows and shared rows on AWS resources).
    const ON_AWS: &[&str] = &[
        "A02", "A05", "A09", "A10", "A12", "A13", "A14", "C01", "C02", "C03", "C05", "C06", "C07",
        "C08",
    ];

    #[test]
    fn every_gcp_finding_cites_only_google_cloud_references() {
        for c in catalogue()
            .iter()
            .filter(|c| !AWS_ONLY.contains(&c.id.as_str()))
        {
            let f = fail(
                &c.id,
                "projects/p/locations/l/keyRings/r/cryptoKeys/k",
                Some("p"),
                "m",
                vec![],
            );
            assert_eq!(
                foreign_references("GCP", &f),
                Vec::<String>::new(),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn every_aws_finding_cites_only_aws_references() {
        for id in ON_AWS {
            let mut f = fail(
                id,
                "arn:aws:kms:us-east-1:111122223333:key/k",
                None,
                "m",
                vec![],
            );
            localize(&mut f);
            assert_eq!(foreign_references("AWS", &f), Vec::<String>::new(), "{id}");
        }
    }

    #[test]
    fn the_markers_see_the_references_of_issue_11() {
        assert_eq!(foreign_cloud("GCP", "Security Hub KMS.3"), Some("AWS"));
        assert_eq!(foreign_cloud("AWS", "CIS GCP 1.10"), Some("GCP"));
        assert_eq!(foreign_cloud("GCP", "CIS GCP 1.10"), None);
    }
}
