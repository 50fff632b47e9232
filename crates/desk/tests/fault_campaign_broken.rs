//! The fault campaign can fail: with the test-only broken IAM merge switched on
//! (`cmek_core::iam::broken_merge`, every policy edit also drops one binding it does not own),
//! a small campaign of schedules that edit policies carrying unowned bindings must report
//! violations of invariant (a). A separate test binary, so the switch never reaches the real
//! campaign's process.

mod campaign;

use campaign::scenario::{Op, Schedule};
use campaign::{base_seed, run_all, summary};
use std::time::Instant;

#[test]
fn a_broken_iam_merge_makes_the_campaign_fail() {
    assert!(
        cmek_core::iam::broken_merge::set(true),
        "needs a debug (test) build"
    );
    // Schedules whose operation edits policies that hold unowned grants.
    let seeds: Vec<u64> = (0..400)
        .map(|i| Schedule::seed_of(base_seed() ^ 0xB40C, i))
        .filter(|s| matches!(Schedule::draw(*s).op, Op::Revoke | Op::Recover | Op::Rotate))
        .take(12)
        .collect();
    let start = Instant::now();
    let outcomes = run_all(seeds);
    let text = summary::render(
        "fault campaign with a broken IAM merge",
        &outcomes,
        start.elapsed(),
    );
    println!("{text}");
    let lost: usize = outcomes
        .iter()
        .flat_map(|o| &o.violations)
        .filter(|v| v.starts_with("(a)"))
        .count();
    assert!(lost > 0, "the broken merge went unnoticed:\n{text}");
    assert!(text.contains("replay: CMEK_CAMPAIGN_SEED="), "{text}");
}
