//! The fault campaign can fail: with the test-only broken IAM merge switched on
//! (`cmek_core::iam::broken_merge`, every policy edit also drops one binding it does not own),
//! a small campaign of schedules that edit policies carrying unowned bindings must report
//! violations of invariant (a); likewise on AWS with the broken key-policy merge
//! (`cmek_core::aws::policy::broken_merge`). A separate test binary, so the switches never
//! reach the real campaign's process.

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

/// The AWS twin: with the test-only broken key-policy merge switched on
/// (`cmek_core::aws::policy::broken_merge`, every statement upsert also drops the last
/// statement it does not own), AWS setups that adopt the KMS team's key (whose key policy
/// holds their statements) must report the lost statement under invariant (a).
#[test]
fn a_broken_key_policy_merge_makes_the_campaign_fail() {
    assert!(
        cmek_core::aws::policy::broken_merge::set(true),
        "needs a debug (test) build"
    );
    let seeds: Vec<u64> = (0..400)
        .map(|i| Schedule::seed_of(base_seed() ^ 0xA3C0, i))
        .filter(|s| Schedule::draw(*s).op == Op::AwsSetupAdopt)
        .take(6)
        .collect();
    assert_eq!(seeds.len(), 6, "the mix draws AWS setups that adopt a key");
    let start = Instant::now();
    let outcomes = run_all(seeds);
    let text = summary::render(
        "fault campaign with a broken key-policy merge",
        &outcomes,
        start.elapsed(),
    );
    println!("{text}");
    let lost: usize = outcomes
        .iter()
        .flat_map(|o| &o.violations)
        .filter(|v| v.starts_with("(a) unowned statement lost or changed in the key policy"))
        .count();
    assert!(
        lost > 0,
        "the broken key-policy merge went unnoticed:\n{text}"
    );
    assert!(text.contains("replay: CMEK_CAMPAIGN_SEED="), "{text}");
}
