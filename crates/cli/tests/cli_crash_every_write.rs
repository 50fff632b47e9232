//! The crash harness (issue 13, "a crash at every write"): the `cmek` process is killed with
//! SIGKILL at every write of setup (Google Cloud and AWS), rotation, adding a region and
//! revocation (the three Google Cloud levers and the two AWS levers) in turn — before the write is
//! sent (its intent logged), after it was applied (its outcome not logged yet), and after its
//! outcome was logged — then restarted against the same sandbox and the same activity log.
//!
//! Each kill point runs in a fresh sandbox (in this test process, so it outlives the killed
//! `cmek`) and a fresh data folder. The writes are not hard-coded: a reference run with
//! `CMEK_DESK_KILL_AT=list` reports them, and that run's end state is the intended state.
//! After each kill:
//! - `cmek pending` offers exactly the interrupted operation, and its log tells the truth about
//!   the cut-off write (an intent without outcome, unless killed after the outcome);
//! - a colleague adds a binding to every watched policy that exists (the app is down; on AWS a
//!   statement to the key policy and the role's trust policy);
//! - setup, rotation and add-region are applied again; a revocation is finished (`cmek finish`)
//!   or rolled back (`cmek recover`), each on its own run of the kill point;
//! - the watched state (IAM policies of the project, the service account and the keys;
//!   service accounts; crypto keys; CockroachDB's CMEK status) equals the intended state
//!   plus the colleague's bindings, the bystander bindings seeded before are intact, and no
//!   operation is left pending.
//!
//! The kill point is a debug-build hook (`crates/cli/src/kill_point.rs`): in a release build
//! nothing is killed and these tests fail saying so. The list of kill points and each outcome
//! are printed (`cargo nextest run -p cmek-cli --test cli_crash_every_write --no-capture`).

mod crash;

use crash::*;
use std::time::Instant;

fn setup_args() -> Vec<&'static str> {
    vec!["apply", CLUSTER, "--project", PROJECT, "--yes"]
}

const ROTATE: [&str; 3] = ["rotate", CLUSTER, "--yes"];

/// A region the single-region demo cluster does not use yet, in the set-up project.
const ADD_REGION: [&str; 7] = [
    "add-region",
    CLUSTER,
    "--region",
    "us-west1",
    "--nodes",
    "3",
    "--yes",
];

/// A world where CMEK is set up (uninterrupted) and [`BYSTANDER`] sits on every policy of it.
fn set_up_world(watch: &Watch) -> World {
    let world = World::new();
    world.run(&setup_args(), None).ok();
    world.add_to_existing(watch, BYSTANDER);
    world
}

/// The writes of a reference setup, and its end state.
fn reference_setup() -> (Vec<String>, Watch) {
    let world = World::new();
    let writes = world.run(&setup_args(), Some("list")).ok().writes();
    assert!(
        writes.len() >= 6,
        "setup makes a write per step on a fresh project: {writes:#?}"
    );
    let watch = Watch::of(&writes);
    (writes, watch)
}

#[test]
fn setup_killed_at_every_write_resumes_to_the_intended_state() {
    let started = Instant::now();
    let (writes, watch) = reference_setup();
    let world = World::new();
    world.run(&setup_args(), None).ok();
    let intended = world.snapshot(&watch);
    assert_eq!(intended["cmek"]["status"], "ENABLED", "{intended:#?}");
    drop(world);

    announce("setup", &writes);
    let points = kill_points(&writes);
    let outcomes = run_all(
        &points,
        |kp| format!("setup {} ({})", kp.spec(), kp.label),
        |kp| {
            let world = World::new();
            let run = world.run(&setup_args(), Some(&kp.spec()));
            let how = expect_killed(&run, kp);
            let touched = world.add_to_existing(&watch, COLLEAGUE);
            let pending = expect_pending(&world, kp, ("setup", CLUSTER_ID), run.killed());
            let again = world.run(&setup_args(), None).ok();
            assert_state(
                &world.snapshot(&watch),
                &plus(&intended, &touched, COLLEAGUE),
                &kp.spec(),
            );
            let left = world.pending();
            assert!(
                left.is_empty(),
                "still pending after applying again: {left:#?}"
            );
            format!(
                "{how}; offered: setup with {} step(s) done; applied again ({}) → intended state, {} colleague binding(s) and the bystander kept, nothing pending",
                pending["completed"].as_array().map_or(0, Vec::len),
                again.stdout.lines().find(|l| l.contains("write call")).unwrap_or("?").trim(),
                touched.len()
            )
        },
    );
    report("setup", &outcomes, started.elapsed().as_secs_f64());
}

#[test]
fn rotation_killed_at_every_write_resumes_to_the_intended_state() {
    day_two_killed_at_every_write(DayTwo {
        name: "rotate",
        action: "rotate",
        args: &ROTATE,
        writes_needed: "a rotation creates a key, grants it, PUTs",
        done_again: "rotated again",
    });
}

#[test]
fn add_region_killed_at_every_write_resumes_to_the_intended_state() {
    day_two_killed_at_every_write(DayTwo {
        name: "add-region",
        action: "add_region",
        args: &ADD_REGION,
        writes_needed: "a key in the new region, its grant, the PATCH",
        done_again: "added again",
    });
}

/// A day-two change of the set-up cluster, as the crash harness runs it.
struct DayTwo {
    /// The command's name in the kill-point list (`rotate`, `add-region`).
    name: &'static str,
    /// The pending operation's action (`rotate`, `add_region`).
    action: &'static str,
    /// The `cmek` arguments.
    args: &'static [&'static str],
    /// Why at least three writes are expected (the assertion's message).
    writes_needed: &'static str,
    /// What running it again did, in the outcome line.
    done_again: &'static str,
}

/// Kills `cmek {change}` at every write (before, after-apply, after-log), adds a colleague's
/// binding, checks the change is offered as pending, runs it again, and asserts the intended
/// state with the colleague and bystanders kept and nothing pending.
fn day_two_killed_at_every_write(change: DayTwo) {
    let started = Instant::now();
    let (_, setup_watch) = reference_setup();
    let world = set_up_world(&setup_watch);
    let writes = world.run(change.args, Some("list")).ok().writes();
    assert!(writes.len() >= 3, "{}: {writes:#?}", change.writes_needed);
    let watch = setup_watch.clone().and(&Watch::of(&writes));
    let intended = world.snapshot(&watch);
    assert_eq!(intended["cmek"]["status"], "ENABLED", "{intended:#?}");
    drop(world);

    announce(change.name, &writes);
    let points = kill_points(&writes);
    let outcomes = run_all(
        &points,
        |kp| format!("{} {} ({})", change.name, kp.spec(), kp.label),
        |kp| {
            let world = set_up_world(&setup_watch);
            let run = world.run(change.args, Some(&kp.spec()));
            let how = expect_killed(&run, kp);
            let touched = world.add_to_existing(&watch, COLLEAGUE);
            let pending = expect_pending(&world, kp, (change.action, CLUSTER_ID), run.killed());
            world.run(change.args, None).ok();
            assert_state(
                &world.snapshot(&watch),
                &plus(&intended, &touched, COLLEAGUE),
                &kp.spec(),
            );
            let left = world.pending();
            assert!(
                left.is_empty(),
                "still pending after running {} again: {left:#?}",
                change.name
            );
            format!(
                "{how}; offered: {} with {} step(s) done; {} → intended state, {} colleague binding(s) and the bystanders kept, nothing pending",
                change.action,
                pending["completed"].as_array().map_or(0, Vec::len),
                change.done_again,
                touched.len()
            )
        },
    );
    report(change.name, &outcomes, started.elapsed().as_secs_f64());
}

/// One revocation kill point, finished or rolled back after the restart.
struct RevokeCase {
    lever: &'static str,
    kp: KillPoint,
    finish: bool,
}

impl RevokeCase {
    /// Every kill point of `writes`, each finished and rolled back.
    fn all(lever: &'static str, writes: &[String]) -> Vec<Self> {
        kill_points(writes)
            .into_iter()
            .flat_map(|kp| {
                [true, false].map(|finish| RevokeCase {
                    lever,
                    kp: kp.clone(),
                    finish,
                })
            })
            .collect()
    }

    fn label(&self) -> String {
        format!(
            "revoke {} {} ({}) → {}",
            self.lever,
            self.kp.spec(),
            self.kp.label,
            if self.finish { "finish" } else { "roll back" }
        )
    }
}

#[test]
fn revocation_by_token_creator_killed_at_every_write_is_finished_or_rolled_back_exactly() {
    revocation_killed_at_every_write("token-creator");
}

#[test]
fn revocation_by_key_access_killed_at_every_write_is_finished_or_rolled_back_exactly() {
    revocation_killed_at_every_write("key-access");
}

#[test]
fn revocation_by_disable_sa_killed_at_every_write_is_finished_or_rolled_back_exactly() {
    revocation_killed_at_every_write("disable-sa");
}

/// Every write of a revocation by `lever` × every phase, each finished and rolled back.
fn revocation_killed_at_every_write(lever: &'static str) {
    let started = Instant::now();
    let (_, setup_watch) = reference_setup();
    let cases;
    let mut intended = Vec::new();
    {
        let revoke = ["revoke", CLUSTER, "--lever", lever, "--confirm", CLUSTER];
        let world = set_up_world(&setup_watch);
        let before = world.snapshot(&setup_watch);
        let writes = world.run(&revoke, Some("list")).ok().writes();
        assert!(
            writes.len() >= 2,
            "{lever}: a lever write and REVOKE: {writes:#?}"
        );
        let after = world.snapshot(&setup_watch);
        assert_eq!(after["cmek"]["status"], "REVOKED", "{after:#?}");
        assert_ne!(before, after, "{lever} changed nothing");
        announce(
            &format!("revoke --lever {lever} (each finished and rolled back)"),
            &writes,
        );
        cases = RevokeCase::all(lever, &writes);
        intended.push((lever, before, after));
    }
    let outcomes = run_all(&cases, RevokeCase::label, |c| {
        let (_, before, after) = intended.iter().find(|(l, _, _)| *l == c.lever).unwrap();
        let world = set_up_world(&setup_watch);
        let revoke = ["revoke", CLUSTER, "--lever", c.lever, "--confirm", CLUSTER];
        let run = world.run(&revoke, Some(&c.kp.spec()));
        let how = expect_killed(&run, &c.kp);
        let touched = world.add_to_existing(&setup_watch, COLLEAGUE);
        let pending = expect_pending(&world, &c.kp, ("revoke", CLUSTER_ID), run.killed());
        if !run.killed() {
            return format!("{how}: nothing to finish or roll back");
        }
        assert_eq!(pending["hasSnapshot"], true, "{pending:#}");
        let op = pending["operationId"].as_str().unwrap().to_owned();
        let revoke_sent = world.revoke_accepted();
        let (verb, mut want) = if c.finish {
            let r = world.run(&["finish", &op, "--json"], None).ok().json();
            assert_eq!(r["cmekStatus"], "REVOKED", "{r:#}");
            ("finished", after.clone())
        } else {
            world.run(&["recover", &op, "--json"], None).ok();
            let mut want = before.clone();
            if revoke_sent {
                // CockroachDB cannot take a REVOKE back: access is restored, the cluster
                // stays revoked until support restarts it.
                want.insert("cmek".into(), after["cmek"].clone());
            }
            ("rolled back", want)
        };
        want = plus(&want, &touched, COLLEAGUE);
        assert_state(&world.snapshot(&setup_watch), &want, &c.kp.spec());
        let left = world.pending();
        assert!(
            left.is_empty(),
            "still pending after it was {verb}: {left:#?}"
        );
        format!(
                "{how}; offered with {} step(s) done; {verb}{} → intended state, {} colleague binding(s) and the bystanders kept, nothing pending",
                pending["completed"].as_array().map_or(0, Vec::len),
                if revoke_sent { " (REVOKE had been accepted)" } else { "" },
                touched.len()
            )
    });
    report(
        &format!("revoke --lever {lever}"),
        &outcomes,
        started.elapsed().as_secs_f64(),
    );
}

#[test]
fn aws_setup_killed_at_every_write_resumes_to_the_intended_state() {
    let started = Instant::now();
    let world = World::new();
    let writes = world.run(&aws_setup_args(), Some("list")).ok().writes();
    assert!(
        writes.len() >= 5,
        "role, key, alias, rotation, key policy, enable: {writes:#?}"
    );
    let intended = world.aws_snapshot();
    assert_eq!(intended["cmek"]["status"], "ENABLED", "{intended:#?}");
    drop(world);

    announce("aws setup", &writes);
    let points = kill_points(&writes);
    let outcomes = run_all(
        &points,
        |kp| format!("aws setup {} ({})", kp.spec(), kp.label),
        |kp| {
            let world = World::new();
            let run = world.run(&aws_setup_args(), Some(&kp.spec()));
            let how = expect_killed(&run, kp);
            let pending = expect_pending(&world, kp, ("setup", AWS_CLUSTER_ID), run.killed());
            world.run(&aws_setup_args(), None).ok();
            assert_state(&world.aws_snapshot(), &intended, &kp.spec());
            let left = world.pending();
            assert!(
                left.is_empty(),
                "still pending after applying again: {left:#?}"
            );
            let keys = world.keys_created();
            format!(
                "{how}; offered: setup with {} step(s) done; applied again → intended state (role trust, key policy and settings, CMEK), nothing pending{}",
                pending["completed"].as_array().map_or(0, Vec::len),
                if keys > 1 {
                    format!("; {} keys created, {} left unused (AWS keys have no name to adopt them by until the alias exists)", keys, keys - 1)
                } else {
                    String::new()
                }
            )
        },
    );
    report("aws setup", &outcomes, started.elapsed().as_secs_f64());
}

/// The AWS cluster set up (role, key, key policy, CMEK) with [`AWS_BYSTANDER`]'s statement in
/// its key policy and its role's trust policy.
fn aws_set_up_world() -> World {
    let world = World::new();
    world.run(&aws_setup_args(), None).ok();
    world.add_aws_statement(AWS_BYSTANDER);
    world
}

#[test]
fn aws_revocation_by_key_policy_killed_at_every_write_is_finished_or_rolled_back_exactly() {
    aws_revocation_killed_at_every_write("key-policy");
}

#[test]
fn aws_revocation_by_role_trust_killed_at_every_write_is_finished_or_rolled_back_exactly() {
    aws_revocation_killed_at_every_write("role-trust");
}

/// Every write of an AWS revocation by `lever` × every phase, each finished and rolled back;
/// the colleague's statements and the bystander's are kept.
fn aws_revocation_killed_at_every_write(lever: &'static str) {
    let started = Instant::now();
    let revoke = aws_revoke_args(lever);
    let (writes, before, after) = {
        let world = aws_set_up_world();
        let before = world.aws_snapshot();
        let writes = world.run(&revoke, Some("list")).ok().writes();
        assert!(
            writes.len() >= 2,
            "{lever}: a policy write and REVOKE: {writes:#?}"
        );
        let after = world.aws_snapshot();
        assert_eq!(after["cmek"]["status"], "REVOKED", "{after:#?}");
        assert_ne!(before, after, "{lever} changed nothing");
        (writes, before, after)
    };
    announce(
        &format!("aws revoke --lever {lever} (each finished and rolled back)"),
        &writes,
    );
    let cases = RevokeCase::all(lever, &writes);
    let outcomes = run_all(&cases, RevokeCase::label, |c| {
        let world = aws_set_up_world();
        let run = world.run(&revoke, Some(&c.kp.spec()));
        let how = expect_killed(&run, &c.kp);
        world.add_aws_statement(AWS_COLLEAGUE);
        let pending = expect_pending(&world, &c.kp, ("revoke", AWS_CLUSTER_ID), run.killed());
        if !run.killed() {
            return format!("{how}: nothing to finish or roll back");
        }
        assert_eq!(pending["hasSnapshot"], true, "{pending:#}");
        let op = pending["operationId"].as_str().unwrap().to_owned();
        let revoke_sent = world.revoke_accepted();
        let (verb, mut want) = if c.finish {
            let r = world.run(&["finish", &op, "--json"], None).ok().json();
            assert_eq!(r["cmekStatus"], "REVOKED", "{r:#}");
            ("finished", after.clone())
        } else {
            world.run(&["recover", &op, "--json"], None).ok();
            let mut want = before.clone();
            if revoke_sent {
                // CockroachDB cannot take a REVOKE back: access is restored, the cluster
                // stays revoked until support restarts it.
                want.insert("cmek".into(), after["cmek"].clone());
            }
            ("rolled back", want)
        };
        want = plus_statement(&want, AWS_COLLEAGUE);
        assert_state(&world.aws_snapshot(), &want, &c.kp.spec());
        let left = world.pending();
        assert!(
            left.is_empty(),
            "still pending after it was {verb}: {left:#?}"
        );
        format!(
            "{how}; offered with {} step(s) done; {verb}{} → intended state, the colleague's and the bystander's statements kept, nothing pending",
            pending["completed"].as_array().map_or(0, Vec::len),
            if revoke_sent { " (REVOKE had been accepted)" } else { "" },
        )
    });
    report(
        &format!("aws revoke --lever {lever}"),
        &outcomes,
        started.elapsed().as_secs_f64(),
    );
}
