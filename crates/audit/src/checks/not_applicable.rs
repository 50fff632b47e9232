//! Checks this version cannot evaluate, reported explicitly as [`FindingStatus::NotApplicable`]
//! (never silently skipped): the AWS-only rows A02, A05, A12, A13 and C05 (no AWS inventory
//! yet). The alarm rows A11 and C13 are evaluated for GCP in [`super::alerting`].

use super::{ev, fail, Inputs};
use crate::model::{Finding, FindingStatus};

fn na(id: &str, resource: &str, why: &str) -> Finding {
    Finding {
        status: FindingStatus::NotApplicable,
        ..fail(id, resource, None, why, vec![ev("reason", why)])
    }
}

const NO_AWS: &str = "not applicable: no AWS inventory yet";

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
