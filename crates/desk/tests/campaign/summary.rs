//! The campaign's summary: schedules, faults injected by kind, field reports run, invariants
//! checked, violations, and for each failing schedule its seed and a one-line replay command.

use super::Outcome;
use std::collections::BTreeMap;

/// The replay command of one schedule.
pub fn replay_command(seed: u64) -> String {
    format!("CMEK_CAMPAIGN_SEED={seed} cargo nextest run -p cmek-desk-core --test fault_campaign replay")
}

/// Renders the summary (and the failing schedules) as text.
pub fn render(title: &str, outcomes: &[Outcome], elapsed: std::time::Duration) -> String {
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut aws_by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let aws_schedules = outcomes.iter().filter(|o| o.op.is_aws()).count();
    let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_report: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut invariants, mut violations, mut converged) = (0u32, 0usize, 0usize);
    for o in outcomes {
        for f in &o.faults {
            *by_kind.entry(f.kind.clone()).or_default() += 1;
            if o.op.is_aws() {
                *aws_by_kind.entry(f.kind.clone()).or_default() += 1;
            }
        }
        *by_op.entry(o.op.name()).or_default() += 1;
        if let Some(r) = o.field_report {
            *by_report.entry(r).or_default() += 1;
        }
        invariants += o.invariants_checked;
        violations += o.violations.len();
        converged += usize::from(o.converged_under_faults);
    }
    let total: usize = by_kind.values().sum();
    let mut s = format!("== {title} ==\n");
    s += &format!(
        "schedules: {} in {:.1}s ({} converged under faults, {} after a resume)\n",
        outcomes.len(),
        elapsed.as_secs_f64(),
        converged,
        outcomes.len() - converged
    );
    s += &format!(
        "Google Cloud / AWS schedules: {} / {aws_schedules}\n",
        outcomes.len() - aws_schedules
    );
    s += &format!("operations: {by_op:?}\n");
    s += &format!("field reports under faults: {by_report:?}\n");
    s += &format!("faults injected: {total} by kind {by_kind:?}\n");
    s += &format!(
        "  of which in AWS schedules: {} by kind {aws_by_kind:?}\n",
        aws_by_kind.values().sum::<usize>()
    );
    s += &format!("invariants checked: {invariants}\n");
    s += &format!(
        "clean preparations tried again (machine too loaded for a compressed window): {}\n",
        outcomes.iter().filter(|o| o.preparation_retried).count()
    );
    s += &format!("violations: {violations}\n");
    let gaps: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.known_gaps.is_empty())
        .collect();
    if !gaps.is_empty() {
        s += &format!(
            "known product gaps (reported, not counted): {} schedule(s) — a revocation stopped after the access was removed cannot be finished (seeds {:?})\n",
            gaps.len(),
            gaps.iter().map(|o| o.seed).collect::<Vec<_>>()
        );
    }
    for o in outcomes.iter().filter(|o| !o.violations.is_empty()) {
        s += &format!(
            "\nFAILED schedule seed={} op={} field_report={:?}\n",
            o.seed,
            o.op.name(),
            o.field_report
        );
        for v in &o.violations {
            s += &format!("  - {v}\n");
        }
        s += &format!("  replay: {}\n", replay_command(o.seed));
    }
    s
}
