//! Starting the sandbox (`Sandbox::start`) and the `SandboxHandle` that tests and the app use:
//! base URLs, the request log, fault injection, "another writer" hooks and direct state access.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::faults::{ActivePlan, FaultPlan, InjectedFault};
use crate::state::{Fault, Hook, RecordedRequest, Stall, State};

/// Entry point: `Sandbox::start(config).await`.
pub struct Sandbox;

/// Base URLs of the faked services (each Google/CockroachDB one ends in `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Replaces `https://cloudkms.googleapis.com/`.
    pub kms: String,
    /// Replaces `https://iam.googleapis.com/`.
    pub iam: String,
    /// Replaces `https://serviceusage.googleapis.com/`.
    pub serviceusage: String,
    /// Replaces `https://cloudresourcemanager.googleapis.com/` (v1 and v3 paths).
    pub crm: String,
    /// Replaces `https://logging.googleapis.com/` (log-based metrics, read-only).
    pub logging: String,
    /// Replaces `https://monitoring.googleapis.com/` (alert policies, read-only).
    pub monitoring: String,
    /// Replaces `https://cockroachlabs.cloud/`.
    pub cockroach: String,
    /// The one AWS endpoint (KMS, IAM and STS), `{base}/aws` (no trailing slash): the
    /// `endpoint_url` of every AWS SDK client.
    pub aws: String,
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    ///
    /// # Panics
    /// If the loopback interface cannot be bound (use [`Sandbox::try_start_on`] to handle it).
    pub async fn start(config: SandboxConfig) -> SandboxHandle {
        Self::try_start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("cmek-sandbox: cannot bind 127.0.0.1:0")
    }

    /// Binds `addr` and serves on the current tokio runtime.
    pub async fn try_start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> std::io::Result<SandboxHandle> {
        crate::scan_list::record(&config);
        let seed = config.seed_demo;
        let mut st = State::new(config);
        if seed {
            crate::seed::seed(&mut st);
        }
        let state = Arc::new(Mutex::new(st));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = state.clone();
        let app = Router::new().fallback(move |req| crate::router::dispatch(shared.clone(), req));
        // The peer's address reaches the handlers: the spec-findings endpoint is loopback-only.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "cmek-sandbox server stopped");
            }
        });
        tracing::info!(%addr, "cmek-sandbox listening");
        Ok(SandboxHandle { addr, state, task })
    }
}

impl SandboxHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A test may change any key or version through the handle.
        s.kms_due_unknown();
        s
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Per-service base URLs, each ending in `/`.
    pub fn endpoints(&self) -> Endpoints {
        let b = self.base_url();
        Endpoints {
            kms: format!("{b}/kms/"),
            iam: format!("{b}/iam/"),
            serviceusage: format!("{b}/serviceusage/"),
            crm: format!("{b}/crm/"),
            logging: format!("{b}/logging/"),
            monitoring: format!("{b}/monitoring/"),
            cockroach: format!("{b}/cockroach/"),
            aws: format!("{b}/aws"),
        }
    }

    /// Moves the sandbox clock forward by `by` ([`State::advance_clock`]) without touching
    /// anything else, so the cached next Cloud KMS due time stays in use: the next KMS request
    /// applies exactly what this move made due (tests of `kms_versions::tick`).
    pub fn advance_clock(&self, by: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.advance_clock(by);
    }

    /// How many times a KMS request had to walk every key and version to apply time-driven
    /// changes (rotation, destruction): once after each change of the state, and once each
    /// time the sandbox clock passes the earliest due time, never per read otherwise.
    pub fn kms_due_walks(&self) -> u64 {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.kms_due_walks
    }

    /// Runs `f` with exclusive access to the whole state.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.lock())
    }

    /// Every request handled so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Number of recorded mutating requests (any status).
    pub fn write_count(&self) -> usize {
        self.lock().requests.iter().filter(|r| r.is_write).count()
    }

    /// Spec violations found in the sandbox's own responses (should stay empty). Looking at
    /// them takes them off the spec guard's list (see [`SandboxHandle::spec_rejections`]).
    pub fn spec_violations(&self) -> Vec<String> {
        let mut s = self.lock();
        s.seen_spec_findings.1 = s.spec_violations.len();
        s.spec_violations.clone()
    }

    /// Requests the sandbox rejected with 400 because their body broke the API spec
    /// (`operation: field (rule)`). A client test that leaves one has sent an invalid request.
    ///
    /// The spec guard ([`SandboxConfig::fail_on_spec_findings`], on for tests): when the
    /// handle is dropped, findings nobody looked at through this method or
    /// [`SandboxHandle::spec_violations`] fail the test with their list.
    pub fn spec_rejections(&self) -> Vec<String> {
        let mut s = self.lock();
        s.seen_spec_findings.0 = s.spec_rejections.len();
        s.spec_rejections.clone()
    }

    /// Turns the spec guard on or off for this sandbox (e.g. on for the app's sandbox in a
    /// test of the application core).
    pub fn set_spec_guard(&self, on: bool) {
        self.lock().config.fail_on_spec_findings = on;
    }

    /// Findings the spec guard would fail the test with now: requests that broke the spec and
    /// sandbox answers that did, not yet looked at.
    fn unseen_spec_findings(&self) -> Vec<String> {
        let s = self.lock();
        if !s.config.fail_on_spec_findings {
            return Vec::new();
        }
        crate::spec_guard::unseen(&s)
    }

    /// Every finding nobody looked at yet (`request broke the spec: …` / `sandbox answer broke
    /// the spec: …`), whatever the guard mode, and marks them looked at: the owner of a
    /// `cmek sandbox serve` process reports them itself. The same list the loopback endpoint
    /// `GET {base}/_sandbox/spec-findings` serves ([`crate::spec_guard`]).
    pub fn take_spec_findings(&self) -> Vec<String> {
        let mut s = self.lock();
        let findings = crate::spec_guard::unseen(&s);
        crate::spec_guard::mark_seen(&mut s);
        findings
    }

    /// The spec guard mode this sandbox runs with.
    pub fn spec_guard(&self) -> crate::config::SpecGuard {
        self.lock().config.spec_guard_mode()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Makes the next `fault.times` requests of `fault.operation` fail with `fault.status`/`body`.
    pub fn inject_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Holds back the response of the next `stall.times` requests of `stall.operation` for
    /// `stall.delay`, after handling and recording them (to simulate a time-out on a call that
    /// was applied).
    pub fn inject_stall(&self, stall: Stall) {
        self.lock().stalls.push(stall);
    }

    /// Applies a fault schedule from now on (replacing any earlier one): its rules to the
    /// requests that follow, its IAM propagation delay (if any) to the config, and its
    /// `*_FAILED` transitions to the next CockroachDB CMEK changes. Every request is still
    /// validated against the specs first. See [`crate::faults`].
    pub fn set_fault_plan(&self, plan: &FaultPlan) {
        let mut s = self.lock();
        s.fault_plan = ActivePlan {
            rules: plan.rules.clone(),
            stall: plan.stall,
        };
        if let Some(d) = plan.iam_propagation {
            s.config.iam_propagation = d;
        }
        s.cmek_failures_left = plan.cmek_failures;
    }

    /// Stops injecting: drops the rest of the fault plan, the resources kept "not visible
    /// yet", pending `*_FAILED` transitions, and sets IAM propagation to `iam_propagation`.
    pub fn clear_fault_plan(&self, iam_propagation: Duration) {
        let mut s = self.lock();
        s.fault_plan = ActivePlan::default();
        s.fresh.clear();
        s.cmek_failures_left = 0;
        s.concurrent_writer_armed = false;
        s.aws_writer_armed.clear();
        s.config.iam_propagation = iam_propagation;
    }

    /// Every fault injected so far (by the fault plan), oldest first.
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        self.lock().injected.clone()
    }

    /// `(resource, role, member)` of every binding another writer added (fault plans'
    /// `ConcurrentWriter` and [`State::concurrent_write`]), oldest first.
    pub fn foreign_writes(&self) -> Vec<(String, String, String)> {
        self.lock().foreign_writes.clone()
    }

    /// Every statement another writer added to an AWS key or trust policy under a fault plan
    /// (`FaultKind::ConcurrentWriter` on `{base}/aws`), oldest first.
    pub fn aws_foreign_statements(&self) -> Vec<crate::aws::AwsForeignStatement> {
        self.lock().aws_foreign_statements.clone()
    }

    /// Runs `hook` on the state right before the next request of `operation` is handled
    /// (after authentication), e.g. to simulate another writer changing a policy between
    /// our getIamPolicy and setIamPolicy so that a real 409 ABORTED happens.
    pub fn before_next(&self, operation: &str, hook: Hook) {
        self.lock().hooks.push((operation.to_string(), hook));
    }

    /// Current IAM policy of a resource (`projects/p`, key ring, key,
    /// `projects/p/serviceAccounts/email`), `{"etag":"ACAB"}` if never written.
    pub fn iam_policy(&self, resource: &str) -> Value {
        self.lock().iam_policy(resource)
    }

    /// Overwrites a policy as another writer would; returns the stored policy (new etag).
    pub fn set_iam_policy_direct(&self, resource: &str, policy: Value) -> Value {
        self.lock().set_iam_policy_direct(resource, policy)
    }

    /// A crypto key as `cryptoKeys.get` returns it.
    pub fn crypto_key(&self, name: &str) -> Option<Value> {
        self.lock().crypto_key(name)
    }

    /// A service account by email.
    pub fn service_account(&self, email: &str) -> Option<Value> {
        self.lock().service_account(email)
    }

    /// `CMEKClusterInfo` of a cluster as stored (does not advance transitions).
    pub fn cmek_info(&self, cluster_id: &str) -> Option<Value> {
        self.lock().cmek_info(cluster_id)
    }

    /// Simulates CockroachDB needing the key again (its periodic check, or a node restart): a
    /// settled ENABLED region whose IAM chain is broken becomes `REVOKED` with a `user_message`
    /// starting with [`crate::cmek::KEY_ACCESS_FAILING`]; once access is back a recheck only
    /// changes the message to [`crate::cmek::KEY_ACCESS_RESTORED`] (nodes need support).
    /// Returns (region, access ok) per checked region.
    pub fn recheck_key_access(&self, cluster_id: &str) -> Vec<(String, bool)> {
        crate::cmek::recheck_key_access(&mut self.lock(), cluster_id)
    }

    /// Adds a region (one node) to a cluster behind the app's back, as another officer or the
    /// Cloud Console would (tests of "the world changed since the plan was made").
    pub fn add_cluster_region(&self, cluster_id: &str, region: &str) {
        let mut s = self.lock();
        if let Some(cluster) = s.clusters.get_mut(cluster_id) {
            let mut added = cluster["regions"][0].clone();
            added["name"] = region.into();
            if let Some(regions) = cluster["regions"].as_array_mut() {
                regions.push(added);
            }
        }
    }

    /// Adds a cluster `id` named `name`, a copy of `template_id` (same provider, account and
    /// regions, no CMEK yet): tests of clusters sharing a role, key or service account.
    pub fn add_cluster_like(&self, template_id: &str, id: &str, name: &str) {
        let mut s = self.lock();
        if let Some(mut cluster) = s.clusters.get(template_id).cloned() {
            cluster["id"] = id.into();
            cluster["name"] = name.into();
            s.clusters.insert(id.to_owned(), cluster);
        }
    }

    /// Enables/disables an API (`cloudkms.googleapis.com`, ...) in a project.
    pub fn set_service_enabled(&self, project: &str, service: &str, enabled: bool) {
        self.lock().set_service_enabled(project, service, enabled);
    }

    /// Changes the IAM propagation delay at runtime.
    pub fn set_iam_propagation(&self, d: Duration) {
        self.lock().config.iam_propagation = d;
    }

    /// Changes the CMEK transition knobs at runtime.
    pub fn set_cmek_transition(&self, min_time: Duration, polls_before_done: u32) {
        let mut s = self.lock();
        s.config.cmek_transition = min_time;
        s.config.cmek_polls_before_done = polls_before_done;
    }

    /// Changes [`SandboxConfig::aws_iam_propagation`] at runtime (B26: how long a new role is
    /// invisible to KMS key policies).
    pub fn set_aws_iam_propagation(&self, d: Duration) {
        self.lock().config.aws_iam_propagation = d;
    }

    /// Test switch: rewrites the STORED key policy of a key (ARN or id) as another writer or a
    /// KMS-side normalisation would, so the app's read-back comparison can be tested. `f` gets
    /// the parsed policy; the result is stored as compact JSON. Returns false if no such key.
    pub fn tamper_key_policy(&self, key: &str, f: impl FnOnce(&mut Value)) -> bool {
        let mut s = self.lock();
        let Some(k) = s.aws.find_key_mut(key) else {
            return false;
        };
        let mut v: Value = serde_json::from_str(&k.policy).unwrap_or(Value::Null);
        f(&mut v);
        k.policy = v.to_string();
        true
    }

    /// Test switch: the next successful PutKeyPolicy stores the written policy altered by `f`
    /// (e.g. drop a condition, add an action) while answering 200 as usual.
    pub fn tamper_next_key_policy_write(&self, f: impl FnOnce(&mut Value) + Send + 'static) {
        self.lock().aws.tamper_next_put = Some(Box::new(f));
    }

    /// The stored key policy of a key (ARN or id), verbatim.
    pub fn aws_key_policy(&self, key: &str) -> Option<String> {
        self.lock().aws.find_key(key).map(|k| k.policy.clone())
    }

    /// A KMS key (ARN or id; the first match for a bare multi-Region id).
    pub fn aws_key(&self, key: &str) -> Option<crate::aws::Key> {
        self.lock().aws.find_key(key).cloned()
    }

    /// An IAM role by ARN.
    pub fn aws_role(&self, arn: &str) -> Option<crate::aws::Role> {
        self.lock().aws.role_by_arn(arn).cloned()
    }

    /// Stops the server.
    pub fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for SandboxHandle {
    /// Stops the server; then the spec guard fails the test (panics) if a request or an
    /// answer broke the API contracts and nobody looked at it (ARCHITECTURE invariant 8).
    fn drop(&mut self) {
        self.task.abort();
        if std::thread::panicking() {
            return;
        }
        let findings = self.unseen_spec_findings();
        assert!(
            findings.is_empty(),
            "cmek-sandbox spec guard: {}",
            crate::spec_guard::findings_message(&findings)
        );
    }
}
