//! `cmek … | head -1` (issue #11): when the reader of stdout has gone away, `cmek` ends quietly
//! with exit code 141 (the shell's code for a tool ended by `SIGPIPE`), never a panic message.
//! The reader is closed before the process starts, so the first write fails with `EPIPE`
//! whatever the pipe's buffer size: no timing is involved.

mod common;

use common::Cli;
use std::io::Read;
use std::process::Stdio;

/// Runs `cmek ARGS` with stdout on a pipe whose read end is already closed.
fn run_into_closed_pipe(cli: &Cli, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = cli
        .command(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cmek");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().expect("cmek ends");
    (status.code(), stderr)
}

#[test]
fn a_closed_reader_ends_cmek_quietly_with_141() {
    let cli = Cli::offline();
    // A table printed with `println!` (in-process sandbox) and a completion script (clap_complete
    // writes with `expect`): two ways of writing to stdout.
    for args in [
        &["--sandbox", "clusters"][..],
        &["--sandbox", "clusters", "--json"][..],
        &["completions", "bash"][..],
    ] {
        let (code, stderr) = run_into_closed_pipe(&cli, args);
        assert_eq!(code, Some(141), "cmek {args:?}: stderr {stderr}");
        for noise in [
            "panicked",
            "Broken pipe",
            "failed printing",
            "RUST_BACKTRACE",
        ] {
            assert!(
                !stderr.contains(noise),
                "cmek {args:?} is not quiet: {stderr}"
            );
        }
    }
    // The same commands with a reader print and succeed (the exit code is the reader's doing).
    let ok = cli.run(&["--sandbox", "clusters"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(!ok.stdout.is_empty());
}
