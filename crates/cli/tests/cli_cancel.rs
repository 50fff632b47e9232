//! Ctrl-C during `cmek apply`: SIGINT reaches the running apply through `Desk::cancel`, which
//! stops it before its next step; the process exits 130, the activity log closes the setup
//! operation as cancelled, and CockroachDB was never asked to enable CMEK. Runs against the
//! sandbox with the app's realistic delays so the apply is still running when SIGINT arrives.

#![cfg(unix)]

mod common;

use cmek_sandbox::seed::DEMO_PROJECT_ID;
use common::{with_action, Cli, Served};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn ctrl_c_cancels_a_running_apply_through_the_desk() {
    let served = Served::realistic();
    let cli = Cli::new(&served);
    let mut child = cli
        .command(&[
            "apply",
            "prod-payments",
            "--yes",
            "--project",
            DEMO_PROJECT_ID,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cmek apply");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // The first change made (not a check): the apply is under way.
            if line.starts_with('✓') {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the apply makes its first change");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let output = child.wait_with_output().expect("wait for cmek apply");
    let stderr = reader.join().unwrap();
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
