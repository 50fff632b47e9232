//! Ctrl-C during long work reaches the running operation through `Desk::cancel`:
//! - `cmek apply` stops before its next step; the process exits 130, the activity log closes
//!   the setup operation as cancelled, and CockroachDB was never asked to enable CMEK;
//! - `cmek audit` stops its scan and prints what it read; the process exits 130.
//!
//! Both run against the sandbox with the app's realistic delays (and the audit at the default
//! Cloud KMS read rate) so the work is still running when SIGINT arrives.

#![cfg(unix)]

mod common;

use cmek_sandbox::seed::DEMO_PROJECT_ID;
use cmek_sandbox::seed_audit::AUDIT_KEYS_PROJECT;
use common::{with_action, Cli, Served};
use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `cmek ARGS`, sends SIGINT once a stderr line satisfies `ready`, and returns the
/// output with the whole stderr.
fn interrupt_when(cli: &Cli, args: &[&str], ready: fn(&str) -> bool) -> (Output, String) {
    let mut child: Child = cli
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cmek");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if ready(&line) {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the work gets under way");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let output = child.wait_with_output().expect("wait for cmek");
    (output, reader.join().unwrap())
}

#[test]
fn ctrl_c_cancels_a_running_apply_through_the_desk() {
    let served = Served::realistic();
    let cli = Cli::new(&served);
    // The first change made (not a check): the apply is under way.
    let (output, stderr) = interrupt_when(
        &cli,
        &[
            "apply",
            "prod-payments",
            "--yes",
            "--project",
            DEMO_PROJECT_ID,
        ],
        |line| line.starts_with('✓'),
    );
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("cancelling"), "{stderr}");

    let entries = cli.activity();
    let setup = with_action(&entries, "setup");
    let finished = setup
        .iter()
        .find(|e| e["kind"] == "operation_finished")
        .unwrap_or_else(|| panic!("the setup operation is closed: {setup:#?}"));
    assert_eq!(finished["status"], "cancelled", "{finished:#}");
    assert!(
        !setup.iter().any(|e| e["action"] == "setup.enableCmek"),
        "CMEK was never enabled: {setup:#?}"
    );
    let status = cli
        .run(&["status", "prod-payments", "--json"])
        .expect(0)
        .json();
    assert_eq!(status["status"], "DISABLED");
}

#[test]
fn ctrl_c_cancels_a_running_audit_and_keeps_what_was_read() {
    let served = Served::realistic();
    let cli = Cli::new(&served);
    // The clusters are read first; the key project takes seconds at 300 reads a minute.
    let (output, stderr) = interrupt_when(
        &cli,
        &["audit", "--project", AUDIT_KEYS_PROJECT, "--fail-on", "low"],
        |line| line.contains("CockroachDB:"),
    );
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Scanned 1 projects"),
        "the partial report is shown: {stdout}"
    );
}
