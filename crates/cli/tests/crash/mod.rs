//! Helpers of the crash harness (`cli_crash_every_write.rs`, issue 13 "a crash at every
//! write"): a sandbox in this test process (it outlives every `cmek` process the harness
//! kills), `cmek` runs against it with their own data folder and an optional kill point
//! (`CMEK_DESK_KILL_AT`, debug builds: `crates/cli/src/kill_point.rs`), the watched state of
//! the sandbox (IAM policies normalised, service accounts, crypto keys, CockroachDB's CMEK
//! status) and a small worker pool that runs every kill point and collects its outcome.

#![allow(dead_code)]

use cmek_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::LazyLock;

mod aws;
mod aws_revoke;
mod pool;
mod state;
pub use aws::*;
pub use aws_revoke::*;
pub use pool::*;
pub use state::*;

pub const CMEK: &str = env!("CARGO_BIN_EXE_cmek");
/// Where each write is cut off (`crates/cli/src/kill_point.rs`).
pub const PHASES: [&str; 3] = ["before", "after-apply", "after-log"];
pub const CLUSTER: &str = "prod-payments";
pub const CLUSTER_ID: &str = cmek_sandbox::seed::SINGLE_REGION_CLUSTER_ID;
/// A project with nothing in it yet: setup creates every resource (every write step runs).
pub const PROJECT: &str = cmek_sandbox::seed::FRESH_PROJECT_ID;
/// Seeded before the command under test, on every policy that exists then: never ours.
pub const BYSTANDER: (&str, &str) = ("roles/viewer", "user:auditor@example.com");
/// Added while the app is down (after the kill, before the restart), as a colleague would.
pub const COLLEAGUE: (&str, &str) = ("roles/iam.securityReviewer", "user:colleague@example.com");

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime for the sandboxes")
});

/// One kill point: write `write` (from 1) of a command, cut off at `phase`.
#[derive(Debug, Clone)]
pub struct KillPoint {
    pub write: usize,
    pub phase: &'static str,
    /// What the write is (`google POST /iam/v1/…:setIamPolicy`).
    pub label: String,
}

impl KillPoint {
    /// The value of `CMEK_DESK_KILL_AT`.
    pub fn spec(&self) -> String {
        format!("{}:{}", self.write, self.phase)
    }
}

/// Every write × every phase.
pub fn kill_points(writes: &[String]) -> Vec<KillPoint> {
    writes
        .iter()
        .enumerate()
        .flat_map(|(i, label)| {
            PHASES.iter().map(move |phase| KillPoint {
                write: i + 1,
                phase,
                label: label.clone(),
            })
        })
        .collect()
}

/// Prints `what: N writes × 3 phases = M kill points:` and the writes.
pub fn announce(what: &str, writes: &[String]) {
    println!(
        "{what}: {} writes × {} phases = {} kill points ({}):",
        writes.len(),
        PHASES.len(),
        writes.len() * PHASES.len(),
        PHASES.join(", ")
    );
    for (i, w) in writes.iter().enumerate() {
        println!("  write {}: {w}", i + 1);
    }
}

/// The result of one `cmek` process.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// True when the process died of SIGKILL.
    pub fn killed(&self) -> bool {
        self.status.signal() == Some(9)
    }

    /// Asserts exit code 0, showing both streams otherwise.
    pub fn ok(self) -> Self {
        assert!(self.status.success(), "cmek failed: {self:#?}");
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// The writes the kill-point hook reported (`service METHOD path`), in order.
    pub fn writes(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("cmek-kill-point: write "))
            .map(|l| {
                let rest = l.split_once(' ').map_or(l, |(_, r)| r);
                // Drop the sandbox's address: it differs between runs.
                let mut parts = rest.splitn(3, ' ');
                let (service, method, url) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                let path = url
                    .strip_prefix("http://")
                    .and_then(|u| u.find('/').map(|i| &u[i..]))
                    .unwrap_or(url);
                format!("{service} {method} {path}")
            })
            .collect()
    }
}

/// A sandbox of our own (seeded demo organisation, no delays) and a user's data folder.
pub struct World {
    pub sb: SandboxHandle,
    dir: tempfile::TempDir,
}

impl World {
    /// A fresh sandbox with [`BYSTANDER`] on the project's policy.
    pub fn new() -> Self {
        let sb = RUNTIME.block_on(Sandbox::start(SandboxConfig::for_tests()));
        let world = Self {
            sb,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        world.add_binding(&format!("projects/{PROJECT}"), BYSTANDER);
        world
    }

    /// Runs `cmek ARGS` to completion (or to its kill point).
    pub fn run(&self, args: &[&str], kill_at: Option<&str>) -> Run {
        let mut c = Command::new(CMEK);
        c.args(["--sandbox-url", &self.sb.base_url()])
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("CMEK_SANDBOX_URL")
            .env_remove("CMEK_DESK_KILL_AT")
            .env("CMEK_DESK_DATA_DIR", self.dir.path().join("data"))
            .env("CMEK_DESK_KEYCHAIN_NAMESPACE", "test")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if let Some(k) = kill_at {
            c.env("CMEK_DESK_KILL_AT", k);
        }
        let out = c.output().expect("run cmek");
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `cmek pending --json`.
    pub fn pending(&self) -> Vec<Value> {
        self.run(&["pending", "--json"], None)
            .ok()
            .json()
            .as_array()
            .cloned()
            .expect("an array of pending operations")
    }

    /// Adds `member` to `role` on `resource` behind the app's back (new etag).
    pub fn add_binding(&self, resource: &str, (role, member): (&str, &str)) {
        self.sb
            .with_state(|s| s.add_binding_direct(resource, role, member));
    }

    /// Adds `binding` to every watched policy whose resource exists now; returns them.
    pub fn add_to_existing(&self, watch: &Watch, binding: (&str, &str)) -> Vec<String> {
        let existing: Vec<String> = watch
            .policies
            .iter()
            .filter(|(_, owner)| self.exists(owner))
            .map(|(r, _)| r.clone())
            .collect();
        for r in &existing {
            self.add_binding(r, binding);
        }
        existing
    }

    fn exists(&self, owner: &Owner) -> bool {
        match owner {
            Owner::Project => true,
            Owner::ServiceAccount(email) => self.sb.service_account(email).is_some(),
            Owner::Key(name) => self.sb.crypto_key(name).is_some(),
        }
    }

    /// True when CockroachDB accepted a REVOKE (the request reached the sandbox and was applied).
    pub fn revoke_accepted(&self) -> bool {
        self.sb.requests().iter().any(|r| {
            r.operation == "CockroachCloud_UpdateCMEKStatus" && (200..300).contains(&r.status)
        })
    }

    /// The watched state, normalised (no etags, times or server-made ids; sorted members).
    pub fn snapshot(&self, watch: &Watch) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for (resource, owner) in &watch.policies {
            let policy = self
                .exists(owner)
                .then(|| normalize_policy(self.sb.iam_policy(resource)));
            out.insert(format!("policy {resource}"), json!(policy));
        }
        for email in &watch.service_accounts {
            let sa = self.sb.service_account(email).map(|v| {
                json!({ "email": v["email"], "disabled": v["disabled"].as_bool().unwrap_or(false) })
            });
            out.insert(format!("serviceAccount {email}"), json!(sa));
        }
        for key in &watch.keys {
            let k = self.sb.crypto_key(key).map(|v| {
                json!({ "purpose": v["purpose"], "primary": v["primary"]["name"], "primaryState": v["primary"]["state"] })
            });
            out.insert(format!("cryptoKey {key}"), json!(k));
        }
        let cmek = self.sb.cmek_info(CLUSTER_ID).map(normalize_cmek);
        out.insert("cmek".into(), json!(cmek));
        out
    }
}
