//! The `cmek-sandbox` binary as a process: its arguments (clap: a bad `--port` or
//! `--spec-guard` exits 2 naming the flag), its first stdout line (the base URL a harness
//! reads), SIGTERM (exit 0), and the spec guard on stop (`--spec-guard fail`: exit 1 naming
//! the exchange that broke the API contracts, as `cmek sandbox serve` does).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[path = "../../../tests/support/sandbox_http.rs"]
mod sandbox_http;
use sandbox_http::{exchange, listed, BAD_BODY, KEYS};

const BIN: &str = env!("CARGO_BIN_EXE_cmek-sandbox");

/// Runs the binary with `args` to its end (argument errors, `--help`): exit code and
/// stdout/stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run cmek-sandbox");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `cmek-sandbox` process; SIGKILLed if a test ends without stopping it.
struct Running {
    child: Child,
    url: String,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cmek-sandbox");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("read the first stdout line");
        let url = first.trim_end_matches('\n').to_owned();
        Self { child, url }
    }

    /// SIGTERM, then waits (at most 20 s) for the exit; the status and everything on stderr.
    fn terminate(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for cmek-sandbox") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "cmek-sandbox still runs 20 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut stderr).expect("read stderr");
        }
        (status, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_port_that_is_not_a_number_exits_2_naming_the_flag() {
    let (code, stdout, stderr) = run(&["--port", "abc"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "no URL: {stdout}");
    assert!(
        stderr.contains("--port") && stderr.contains("abc"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["--port", "70000"]);
    assert_eq!(code, Some(2), "out of u16's range: {stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
}

#[test]
fn an_unknown_spec_guard_mode_exits_2_naming_the_flag_and_the_modes() {
    let (code, stdout, stderr) = run(&["--spec-guard", "loud"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "no URL: {stdout}");
    assert!(
        stderr.contains("--spec-guard") && stderr.contains("must be off, record or fail"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_flag_exits_2_naming_it() {
    let (code, _, stderr) = run(&["--test"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--test"), "{stderr}");
}

#[test]
fn help_explains_each_flag_and_names_the_cli_command() {
    let (code, stdout, stderr) = run(&["--help"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Wrapped to the terminal's width: compared with single spaces.
    let help = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "--port <PORT> Port to listen on (0: any free port) [default: 0]",
        "--tests The test configuration: no simulated delays",
        "--spec-guard <MODE> Requests and answers that break the API contracts: off (not checked), record (",
        "or fail (as record, and the sandbox exits with code 1",
        "Default: record, or fail with --tests",
        "`cmek sandbox serve` runs the same server",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{stdout}");
    }
}

#[test]
fn it_prints_its_url_first_serves_and_exits_0_on_sigterm() {
    let sb = Running::start(&["--tests", "--port", "0"]);
    let port = sb
        .url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("the first line is not the base URL: {:?}", sb.url));
    assert_ne!(port, 0, "a real port");
    let clean = listed(&sb.url);
    assert_eq!(clean["guard"], "fail", "--tests runs the guard on fail");
    assert_eq!(clean["findings"], serde_json::json!([]));
    let (status, stderr) = sb.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("spec guard: fail"), "{stderr}");
}

#[test]
fn with_the_guard_on_fail_a_contract_break_makes_it_exit_1_naming_the_exchange() {
    let sb = Running::start(&["--tests", "--spec-guard", "fail"]);
    let (status, body) = exchange(&sb.url, "POST", KEYS, BAD_BODY);
    assert_eq!(status, 400, "answered as Cloud KMS would: {body}");
    // Reading the listing (what the E2E harness does) does not take the finding off the list.
    assert_eq!(
        listed(&sb.url)["findings"].as_array().map(Vec::len),
        Some(1)
    );
    let (status, stderr) = sb.terminate();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cmek-sandbox: spec guard: 1 exchange(s) broke the API contracts")
            && stderr.contains(
                "request broke the spec: cloudkms.projects.locations.keyRings.cryptoKeys.create: \
                 crypto_key.bogus_field"
            ),
        "{stderr}"
    );
}

#[test]
fn without_tests_the_guard_records() {
    let sb = Running::start(&[]);
    assert_eq!(
        listed(&sb.url)["guard"],
        "record",
        "the demo configuration's default"
    );
    let (status, stderr) = sb.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn spec_guard_record_overrides_the_tests_default_and_exits_0() {
    let sb = Running::start(&["--tests", "--spec-guard", "record"]);
    assert_eq!(listed(&sb.url)["guard"], "record");
    let (status, _) = exchange(&sb.url, "POST", KEYS, BAD_BODY);
    assert_eq!(status, 400, "still validated");
    let (status, stderr) = sb.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("broke the API contracts"), "{stderr}");
}
