//! Checks this version cannot evaluate, reported explicitly as [`FindingStatus::NotApplicable`]
//! (never silently skipped): the AWS-only rows A02, A05, A12, A13 and C05 (no AWS inventory
//! yet), and the alarm rows A11 and C13 (no Cloud Logging / Monitoring inventory yet).

use super::{ev, fail, Inputs};
use crate::model::{Finding, FindingStatus};

fn na(id: &str, resource: &str, why: &str) -> Finding {
    Finding {
        status: FindingStatus::NotApplicable,
        ..fail(id, resource, None, why, vec![ev("reason", why)])
    }
}

const NO_AWS: &str = "not applicable: no AWS inventory yet";
const NO_ALERTS: &str = "not evaluated: no Cloud Logging / Monitoring inventory yet (log-based metrics and alert policies are not read)";

/// A02, A05, A12, A13 (AWS; once per scan), C05 (once per AWS cluster with CMEK), A11 (once per
/// scan) and C13 (once per cluster with a GCP CMEK key).
pub fn rows(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = ["A02", "A05", "A12", "A13"]
        .iter()
        .map(|id| na(id, "aws", NO_AWS))
        .collect();
    out.push(na("A11", "gcp", NO_ALERTS));
    for c in inputs.clusters.iter().filter(|c| c.cmek.is_some()) {
        let res = format!("clusters/{}", c.id);
        if c.cloud_provider == "AWS" {
            out.push(na("C05", &res, NO_AWS));
        } else {
            out.push(na("C13", &res, NO_ALERTS));
        }
    }
    out
}
