//! The seeded fault campaign (issue 13): setup, rotation, revocation, recovery and "disable
//! all versions" on Google Cloud, and on AWS setup (from nothing, or adopting the KMS team's
//! key), revocation by either lever (key policy, role trust) and recovery, run through the
//! application core against a fresh in-process sandbox under fault schedules drawn from a seed
//! (latency, 429 + Retry-After / ThrottlingException, 500/503, resets and time-outs before and
//! after a write is applied, another writer between read and write — an IAM binding, or a
//! statement in the key or trust policy — IAM propagation delay, new resources answering
//! 404/403, CockroachDB `*_FAILED`), with field reports B04, B05, B06, B07, B09, B10, B11 and
//! B26 in the mix. After each schedule: nothing the app does not own was lost (bindings,
//! conditions, audit configs; statements and conditions of key and trust policies), the run
//! converged or stopped naming its step and a resume converged, the activity log matches the
//! sandbox's writes write for write (setup: every attempt; revocation and recovery: every
//! applied write has exactly one outcome row, in order, and every ok row its write), no
//! request broke the specs.
//!
//! `CMEK_CAMPAIGN_SCHEDULES` (default 300) and `CMEK_CAMPAIGN_BASE_SEED` choose the schedules,
//! `CMEK_CAMPAIGN_CONCURRENCY` (default 12) how many run at once;
//! `CMEK_CAMPAIGN_SEED=S … --test fault_campaign replay` replays one.

mod campaign;

use campaign::scenario::Schedule;
use campaign::{base_seed, run_all, schedule_count, summary};
use std::time::Instant;

#[test]
fn campaign() {
    let base = base_seed();
    let n = schedule_count(300);
    let seeds = (0..n).map(|i| Schedule::seed_of(base, i)).collect();
    let start = Instant::now();
    let outcomes = run_all(seeds);
    let text = summary::render(
        &format!("fault campaign, base seed {base}"),
        &outcomes,
        start.elapsed(),
    );
    println!("{text}");
    let violations: usize = outcomes.iter().map(|o| o.violations.len()).sum();
    assert_eq!(violations, 0, "{text}");
    assert_eq!(outcomes.len() as u64, n);
    let faults: usize = outcomes.iter().map(|o| o.faults.len()).sum();
    assert!(
        faults as u64 >= n / 2,
        "the schedules injected only {faults} faults:\n{text}"
    );
    for report in ["B04", "B05", "B06", "B07", "B09", "B10", "B11", "B26"] {
        if n >= 100 {
            assert!(
                outcomes.iter().any(|o| o.field_report == Some(report)),
                "field report {report} never ran:\n{text}"
            );
        }
    }
    if n >= 100 {
        let aws = outcomes.iter().filter(|o| o.op.is_aws()).count();
        assert!(aws as u64 >= n / 5, "only {aws} AWS schedules:\n{text}");
        let aws_faults: usize = outcomes
            .iter()
            .filter(|o| o.op.is_aws())
            .map(|o| o.faults.len())
            .sum();
        assert!(
            aws_faults >= aws / 2,
            "AWS schedules injected only {aws_faults} faults:\n{text}"
        );
        for op in [
            "aws_setup",
            "aws_setup_adopt",
            "aws_revoke_key_policy",
            "aws_revoke_role_trust",
            "aws_recover_key_policy",
            "aws_recover_role_trust",
        ] {
            assert!(
                outcomes.iter().any(|o| o.op.name() == op),
                "{op} never ran:\n{text}"
            );
        }
    }
}

/// Replays one schedule: `CMEK_CAMPAIGN_SEED` (default: the first schedule of the base seed).
#[test]
fn replay() {
    let seed = std::env::var("CMEK_CAMPAIGN_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Schedule::seed_of(base_seed(), 0));
    let s = Schedule::draw(seed);
    println!(
        "schedule {seed}: {} {:?}\nplan: {:#?}",
        s.op.name(),
        s.field_report,
        s.plan
    );
    let start = Instant::now();
    let outcomes = run_all(vec![seed]);
    let text = summary::render(
        &format!("replay of seed {seed}"),
        &outcomes,
        start.elapsed(),
    );
    println!("{text}");
    assert!(outcomes[0].violations.is_empty(), "{text}");
}
