//! Helpers of the command-line tests: a `cmek sandbox serve --spec-guard fail` child process
//! (its URL read from its first stdout line) and `cmek` runs as separate processes against it,
//! each with the test's own data folder (activity log) and the test keychain namespace.
//!
//! The spec guard (ARCHITECTURE invariant 8) is on in every test: when a [`Served`] is
//! dropped it stops the sandbox with SIGTERM and fails the test, naming each exchange, when
//! the sandbox exits 1 because a request or an answer broke the API contracts.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const CMEK: &str = env!("CARGO_BIN_EXE_cmek");

/// A `cmek sandbox serve --port 0 --spec-guard fail` child process.
pub struct Served {
    child: Child,
    pub url: String,
    /// Everything the sandbox wrote on stderr, read on a thread until it exits.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Served {
    /// Starts the sandbox with no simulated delays.
    pub fn fast() -> Self {
        Self::start(&["--fast"])
    }

    /// Starts the sandbox with the app's realistic delays (IAM propagation, CMEK transitions).
    pub fn realistic() -> Self {
        Self::start(&[])
    }

    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(CMEK)
            .args(["sandbox", "serve", "--port", "0", "--spec-guard", "fail"])
            .args(extra)
            .env_remove("CMEK_SANDBOX_URL")
            .env("CMEK_DESK_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cmek sandbox serve");
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            text
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("cmek sandbox serve prints its URL");
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first line is the URL: {url:?}"
        );
        Self {
            child,
            url,
            stderr: Some(stderr),
        }
    }

    /// Stops the sandbox (SIGTERM) and returns the spec guard's verdict: `Err(stderr)` when it
    /// exited other than 0 (1: exchanges broke the API contracts, named on stderr).
    pub fn stop(&mut self) -> Result<(), String> {
        let Some(stderr) = self.stderr.take() else {
            return Ok(());
        };
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("a child pid");
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let status = self.child.wait().expect("wait for cmek sandbox serve");
        let text = stderr.join().unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            Err(format!("cmek sandbox serve ended with {status}:\n{text}"))
        }
    }
}

impl Drop for Served {
    /// The spec guard: fails the test (panics) when the sandbox reports exchanges that broke
    /// the API contracts. The sandbox is stopped either way.
    fn drop(&mut self) {
        let verdict = self.stop();
        if std::thread::panicking() {
            return;
        }
        if let Err(findings) = verdict {
            panic!("{findings}");
        }
    }
}

/// The result of one `cmek` process.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// stdout as JSON (panics with both streams when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

/// One user's machine: a data folder (activity log, exports) and the sandbox to talk to.
/// The CLI's data folder (activity database, plan files): a temp dir, kept after the test when
/// `SECRET_SCAN_DIR` is set (scripts/test.sh) so scripts/scan-secrets.sh reads its database.
fn kept_tempdir() -> tempfile::TempDir {
    let mut dir = tempfile::tempdir().expect("temp dir");
    dir.disable_cleanup(std::env::var_os("SECRET_SCAN_DIR").is_some());
    dir
}

pub struct Cli {
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    env: Vec<(String, String)>,
}

impl Cli {
    /// Against `served`, through `--sandbox-url`.
    pub fn new(served: &Served) -> Self {
        Self {
            dir: kept_tempdir(),
            url: Some(served.url.clone()),
            env: Vec::new(),
        }
    }

    /// Without a sandbox (commands that need no connection, or argument errors).
    pub fn offline() -> Self {
        Self {
            dir: kept_tempdir(),
            url: None,
            env: Vec::new(),
        }
    }

    /// Adds an environment variable to every run.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A file in the data folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(CMEK);
        if let Some(url) = &self.url {
            c.args(["--sandbox-url", url]);
        }
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("CMEK_SANDBOX_URL")
            .env("CMEK_DESK_DATA_DIR", self.dir.path().join("data"))
            .env("CMEK_DESK_KEYCHAIN_NAMESPACE", "test")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        c
    }

    /// Runs `cmek ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run cmek"))
    }

    /// Runs `cmek ARGS` with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cmek");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("wait for cmek"))
    }

    /// The activity log as `cmek activity --json` prints it.
    pub fn activity(&self) -> Vec<Value> {
        let run = self.run(&["activity", "--json"]).expect(0);
        run.json().as_array().cloned().expect("an array of entries")
    }
}

/// Writes `value` as JSON to `path`.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).expect("write JSON");
}

/// Entries of `entries` whose action is `action` or starts with `action.`.
pub fn with_action<'a>(entries: &'a [Value], action: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|e| {
            let a = e["action"].as_str().unwrap_or_default();
            a == action || a.starts_with(&format!("{action}."))
        })
        .collect()
}
