//! Checks that did not run, reported explicitly as [`FindingStatus::NotEvaluated`] with why
//! (never silently skipped, never a detection): the AWS-only rows A02, A05, A12, A13 and C05
//! when AWS is not in the scan ([`crate::aws::report::add`] replaces them when it is). The
//! alarm rows A11 and C13 are evaluated for GCP in [`super::alerting`].

use super::{ev, fail, Inputs};
use crate::model::{Finding, FindingStatus};

fn na(id: &str, resource: &str, why: &str) -> Finding {
    Finding {
        status: FindingStatus::NotEvaluated,
        ..fail(id, resource, None, why, vec![ev("reason", why)])
    }
}

const NO_AWS: &str =
    "not evaluated: AWS was not in this scan (connect AWS and give its regions to audit it)";

/// A02, A05, A12, A13 (AWS; once per scan) and C05 (once per AWS cluster with CMEK).
pub fn rows(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = ["A02", "A05", "A12", "A13"]
        .iter()
        .map(|id| na(id, "aws", NO_AWS))
        .collect();
    for c in inputs
        .clusters
        .iter()
        .filter(|c| c.cmek.is_some() && c.cloud_provider == "AWS")
    {
        out.push(na("C05", &format!("clusters/{}", c.id), NO_AWS));
    }
    out
}
