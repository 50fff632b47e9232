//! Running every kill point of the crash harness on a few threads, the checks made right
//! after a kill, and the printed report.

use super::{KillPoint, Run, World};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many kill points run at once (each its own sandbox and data folder). Most of a run's
/// time is the sandbox connection's 500 ms status poll, not CPU.
pub const WORKERS: usize = 5;

/// Runs `case` for every item on [`WORKERS`] threads; returns `(label, Ok(outcome) | Err(why))`
/// in the items' order.
pub fn run_all<T: Sync>(
    items: &[T],
    label: impl Fn(&T) -> String + Sync,
    case: impl Fn(&T) -> String + Sync,
) -> Vec<(String, Result<String, String>)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(item)))
                    .map_err(|p| {
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_else(|| "panicked".into())
                    });
                results.lock().unwrap().push((i, label(item), r));
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.sort_by_key(|(i, _, _)| *i);
    r.into_iter().map(|(_, l, r)| (l, r)).collect()
}

/// Prints every outcome, then fails naming the kill points that did not converge.
pub fn report(what: &str, outcomes: &[(String, Result<String, String>)], secs: f64) {
    for (label, r) in outcomes {
        match r {
            Ok(o) => println!("  ok   {label}: {o}"),
            Err(e) => println!("  FAIL {label}: {e}"),
        }
    }
    let failed: Vec<&String> = outcomes
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(l, _)| l)
        .collect();
    println!(
        "{what}: {} kill points, {} converged, {} failed, in {secs:.1} s",
        outcomes.len(),
        outcomes.len() - failed.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{what}: did not converge after a kill at: {failed:#?}"
    );
}

/// Asserts the run died of SIGKILL at its kill point; returns what happened, for the report.
pub fn expect_killed(run: &Run, kp: &KillPoint) -> &'static str {
    assert!(
        run.killed() && run.stderr.contains(&format!("SIGKILL at {}", kp.spec())),
        "not killed at {} (the kill point is in debug builds of cmek only): {run:#?}",
        kp.spec()
    );
    "killed"
}

/// The one pending operation after a kill: asserts its action and target, and that the log
/// tells the truth about the cut-off write (an intent without outcome unless `after-log`).
pub fn expect_pending(
    world: &World,
    kp: &KillPoint,
    (action, target): (&str, &str),
    killed: bool,
) -> Value {
    let pending = world.pending();
    if !killed {
        assert!(pending.is_empty(), "nothing was interrupted: {pending:#?}");
        return Value::Null;
    }
    assert_eq!(pending.len(), 1, "one interrupted operation: {pending:#?}");
    let p = pending[0].clone();
    assert_eq!(p["action"], action, "{p:#}");
    assert_eq!(p["target"], target, "{p:#}");
    let unresolved = p["unresolved"].as_array().map_or(0, Vec::len);
    let want = usize::from(kp.phase != "after-log");
    assert_eq!(
        unresolved,
        want,
        "intents without an outcome after a kill at {}: {p:#}",
        kp.spec()
    );
    p
}
