//! The sandbox's in-memory world: every resource as a JSON value shaped like the real API,
//! IAM policy history (for propagation), the request log, injected faults and test hooks.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::config::SandboxConfig;

/// A hook run (once) right before the next request of an operation is handled.
pub type Hook = Box<dyn FnOnce(&mut State) + Send>;

/// One request as seen by the sandbox (for assertions in other crates' tests).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path *after* the service prefix, e.g. `/v1/projects/p/locations/global/keyRings`.
    pub path: String,
    /// Raw query string ("" when absent).
    pub query: String,
    /// `kms`, `iam`, `serviceusage`, `crm`, `logging`, `monitoring`, `cockroach` (or `unknown`).
    pub service: String,
    /// Discovery method id (Google) or operationId (CockroachDB); `unknown` if unrouted.
    pub operation: String,
    /// True for mutations (getIamPolicy/testIamPermissions are reads even when POST).
    pub is_write: bool,
    /// HTTP status returned.
    pub status: u16,
    /// Parsed JSON request body (`Value::Null` when empty or not JSON).
    pub body: Value,
}

/// A canned failure returned instead of handling the request.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Operation id the fault applies to (as in [`RecordedRequest::operation`]).
    pub operation: String,
    /// HTTP status to return.
    pub status: u16,
    /// Response body to return.
    pub body: Value,
    /// How many matching requests fail (then the fault is removed).
    pub times: u32,
    /// Optional `Retry-After` header value in seconds.
    pub retry_after_secs: Option<u64>,
}

/// A slow answer: the request is handled and recorded as usual (a write is applied), then its
/// response is held back for `delay`. A client whose time-out is shorter sees a time-out
/// although the call took effect, as after a real network stall.
#[derive(Debug, Clone)]
pub struct Stall {
    /// Operation id the stall applies to (as in [`RecordedRequest::operation`]).
    pub operation: String,
    /// How long the response is held back.
    pub delay: Duration,
    /// How many matching requests are stalled (then the stall is removed).
    pub times: u32,
}

/// A GCP project of the sandbox.
#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub number: String,
    pub display_name: String,
    pub parent: String,
    pub create_time: String,
    /// service name -> enabled
    pub services: BTreeMap<String, bool>,
}

/// Stored policy plus its write history (used to compute the *effective* policy).
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// As returned by getIamPolicy (normalised; etag always present).
    pub current: Value,
    /// (write instant, policy) oldest first. Seeded policies use an instant far in the past.
    pub history: Vec<(Instant, Value)>,
}

/// A service account with its bookkeeping.
#[derive(Debug, Clone)]
pub struct SaEntry {
    pub value: Value,
    pub project: String,
    pub get_misses_left: u32,
    pub deleted: bool,
}

/// Pending asynchronous CMEK transition of one region.
#[derive(Debug, Clone)]
pub struct Pending {
    pub since: Instant,
    pub polls: u32,
}

/// CMEK state of one cluster region.
#[derive(Debug, Clone)]
pub struct CmekRegion {
    pub region: String,
    pub status: String,
    /// `CMEKKeyInfo` JSON objects, oldest first.
    pub key_infos: Vec<Value>,
    pub pending: Option<Pending>,
}

/// The whole world of the sandbox.
pub struct State {
    pub(crate) config: SandboxConfig,
    /// How far [`State::advance_clock`] moved the sandbox clock ahead of the wall clock.
    pub(crate) clock_offset: time::Duration,
    pub(crate) projects: BTreeMap<String, Project>,
    pub(crate) key_rings: BTreeMap<String, Value>,
    pub(crate) crypto_keys: BTreeMap<String, Value>,
    /// crypto key name -> versions (id = index + 1)
    pub(crate) versions: BTreeMap<String, Vec<Value>>,
    pub(crate) policies: HashMap<String, PolicyEntry>,
    /// email -> entry
    pub(crate) service_accounts: BTreeMap<String, SaEntry>,
    /// Service-account emails that exist outside the sandbox projects (CockroachDB principals).
    pub(crate) external_service_accounts: Vec<String>,
    pub(crate) operations: HashMap<String, Value>,
    /// Resource Manager data of projects beyond [`Project`] (labels, deletion), by project id.
    pub(crate) project_meta: BTreeMap<String, crate::resource_manager::ProjectMeta>,
    pub(crate) organization: Value,
    pub(crate) clusters: BTreeMap<String, Value>,
    pub(crate) cmek: BTreeMap<String, Vec<CmekRegion>>,
    /// Cloud Logging log-based metrics (`LogMetric` JSON) by project id.
    pub(crate) log_metrics: BTreeMap<String, Vec<Value>>,
    /// Cloud Monitoring alert policies (`AlertPolicy` JSON) by project id.
    pub(crate) alert_policies: BTreeMap<String, Vec<Value>>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) stalls: Vec<Stall>,
    pub(crate) hooks: Vec<(String, Hook)>,
    pub(crate) counter: u64,
    pub(crate) epoch: Instant,
    /// Responses the sandbox produced that violate the API spec (each also answered 500).
    pub(crate) spec_violations: Vec<String>,
    /// Requests rejected because their body broke the spec (operation and fields).
    pub(crate) spec_rejections: Vec<String>,
    /// AWS accounts (IAM roles and policies, KMS keys and aliases) and access keys.
    pub(crate) aws: crate::aws::AwsState,
    /// Per-minute quota windows of the inventory APIs (`crate::inventory_quota`).
    pub(crate) inventory_quota: crate::inventory_quota::QuotaBook,
    /// The fault schedule being applied (`crate::faults`), empty by default.
    pub(crate) fault_plan: crate::faults::ActivePlan,
    /// Every fault the router injected, in order.
    pub(crate) injected: Vec<crate::faults::InjectedFault>,
    /// Resources a `FreshResource` fault made briefly invisible: name (or service-account
    /// email) -> (status to answer, requests left).
    pub(crate) fresh: BTreeMap<String, (u16, u32)>,
    /// Set right before a `setIamPolicy` a `ConcurrentWriter` fault hit; the policy handler
    /// adds another writer's binding first (see [`State::concurrent_write`]).
    pub(crate) concurrent_writer_armed: bool,
    /// `(resource, role, member)` of every binding another writer added (faults and hooks
    /// that go through [`State::concurrent_write`]).
    pub(crate) foreign_writes: Vec<(String, String, String)>,
    /// AWS policies (`key:<ARN>`, `role:<name>`) another writer will edit right before their
    /// next read (`crate::aws::concurrent`).
    pub(crate) aws_writer_armed: Vec<String>,
    /// Every statement another writer added to an AWS policy under a fault plan.
    pub(crate) aws_foreign_statements: Vec<crate::aws::AwsForeignStatement>,
    /// The next this many CockroachDB CMEK transitions end in `*_FAILED` (fault plans).
    pub(crate) cmek_failures_left: u32,
    /// How many spec rejections / violations a test has looked at (through
    /// `SandboxHandle::spec_rejections` / `spec_violations`): only findings after these fail
    /// the test when the handle is dropped (`SandboxConfig::fail_on_spec_findings`).
    pub(crate) seen_spec_findings: (usize, usize),
    /// The earliest Cloud KMS time-driven change still to come (a DESTROY_SCHEDULED version's
    /// `destroyTime` or a key's `nextRotationTime`; `Some(None)`: none), so
    /// `kms_versions::tick` costs O(1) until it is due. `None`: unknown, the next tick walks
    /// every key once. Cleared by [`State::kms_due_unknown`] after every write request, every
    /// test hook and every handle access (the only ways these times change).
    pub(crate) kms_next_due: Option<Option<time::OffsetDateTime>>,
    /// How many ticks walked every key and version (`SandboxHandle::kms_due_walks`).
    pub(crate) kms_due_walks: u64,
    /// Resources of the organisation encrypted with a key (KMS Inventory, `crate::kms_inventory`).
    pub(crate) protected_resources: Vec<crate::kms_inventory::Protected>,
    /// Folders (`folders/{id}` -> parent), added by tests (`State::add_folder`).
    pub(crate) folders: BTreeMap<String, String>,
}

impl State {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let epoch = Instant::now();
        Self {
            config,
            clock_offset: time::Duration::ZERO,
            projects: BTreeMap::new(),
            key_rings: BTreeMap::new(),
            crypto_keys: BTreeMap::new(),
            versions: BTreeMap::new(),
            policies: HashMap::new(),
            service_accounts: BTreeMap::new(),
            external_service_accounts: Vec::new(),
            operations: HashMap::new(),
            project_meta: BTreeMap::new(),
            organization: json!({}),
            clusters: BTreeMap::new(),
            cmek: BTreeMap::new(),
            log_metrics: BTreeMap::new(),
            alert_policies: BTreeMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            stalls: Vec::new(),
            hooks: Vec::new(),
            counter: 0,
            epoch,
            spec_violations: Vec::new(),
            spec_rejections: Vec::new(),
            aws: crate::aws::AwsState::new(),
            inventory_quota: Default::default(),
            fault_plan: crate::faults::ActivePlan::default(),
            injected: Vec::new(),
            fresh: BTreeMap::new(),
            concurrent_writer_armed: false,
            foreign_writes: Vec::new(),
            aws_writer_armed: Vec::new(),
            aws_foreign_statements: Vec::new(),
            cmek_failures_left: 0,
            seen_spec_findings: (0, 0),
            kms_next_due: None,
            kms_due_walks: 0,
            protected_resources: Vec::new(),
            folders: BTreeMap::new(),
        }
    }

    /// Forgets the cached next Cloud KMS due time (something may have changed a key's
    /// `nextRotationTime` or a version's `destroyTime`): the next KMS request walks every key.
    pub(crate) fn kms_due_unknown(&mut self) {
        self.kms_next_due = None;
    }

    /// Next value of a process-wide counter (etags, unique ids).
    pub(crate) fn next_counter(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Finds a project by id or number.
    pub(crate) fn project(&self, id_or_number: &str) -> Option<&Project> {
        self.projects
            .get(id_or_number)
            .or_else(|| self.projects.values().find(|p| p.number == id_or_number))
    }

    /// Whether `service` is enabled in project `id_or_number` (false for unknown projects).
    pub(crate) fn service_enabled(&self, id_or_number: &str, service: &str) -> bool {
        self.project(id_or_number)
            .and_then(|p| p.services.get(service).copied())
            .unwrap_or(false)
    }

    /// Current sandbox configuration (knobs may be changed at runtime through the handle).
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Current IAM policy of a resource as getIamPolicy would return it (`{"etag":"ACAB"}` if none).
    pub fn iam_policy(&self, resource: &str) -> Value {
        crate::iam_policy::stored_policy(self, resource)
    }

    /// Overwrites a policy as *another writer* would (new etag, effective after propagation).
    pub fn set_iam_policy_direct(&mut self, resource: &str, policy: Value) -> Value {
        crate::iam_policy::write_policy(self, resource, policy)
    }

    /// Adds `member` to `role` on `resource` as another writer would.
    pub fn add_binding_direct(&mut self, resource: &str, role: &str, member: &str) -> Value {
        let mut p = self.iam_policy(resource);
        crate::iam_policy::add_member(&mut p, role, member);
        self.set_iam_policy_direct(resource, p)
    }

    /// Another writer (a colleague in the console) adds `member` to `role` on `resource`
    /// (new etag), remembered in [`State::foreign_writes`] so invariant checks can demand
    /// that the app kept it.
    pub fn concurrent_write(&mut self, resource: &str, role: &str, member: &str) -> Value {
        self.foreign_writes
            .push((resource.to_owned(), role.to_owned(), member.to_owned()));
        self.add_binding_direct(resource, role, member)
    }

    /// `(resource, role, member)` of every binding another writer added through
    /// [`State::concurrent_write`] (by fault plans or tests), oldest first.
    pub fn foreign_writes(&self) -> &[(String, String, String)] {
        &self.foreign_writes
    }

    /// Removes `member` from `role` on `resource` as another writer would.
    pub fn remove_binding_direct(&mut self, resource: &str, role: &str, member: &str) -> Value {
        let mut p = self.iam_policy(resource);
        crate::iam_policy::remove_member(&mut p, role, member);
        self.set_iam_policy_direct(resource, p)
    }

    /// A crypto key as `cryptoKeys.get` returns it (with `primary`), if it exists.
    pub fn crypto_key(&self, name: &str) -> Option<Value> {
        crate::kms::render_key(self, name)
    }

    /// Test hook: CockroachDB has not provisioned this principal yet (e.g. a cluster created
    /// minutes ago), so IAM answers "Service account … does not exist" for it (field report B08).
    pub fn unprovision_external_service_account(&mut self, email: &str) {
        self.external_service_accounts.retain(|e| e != email);
    }

    /// Test hook: CockroachDB's principal appears (the counterpart of the above).
    pub fn provision_external_service_account(&mut self, email: &str) {
        if !self.external_service_accounts.iter().any(|e| e == email) {
            self.external_service_accounts.push(email.to_owned());
        }
    }

    /// Test hook: every DESTROY_SCHEDULED version reaches its `destroyTime` now (the next KMS
    /// request turns it DESTROYED), instead of waiting `destroyScheduledDuration`.
    pub fn expire_scheduled_destruction(&mut self) {
        let now = now_rfc3339();
        for v in self.versions.values_mut().flatten() {
            if v["state"] == "DESTROY_SCHEDULED" {
                v["destroyTime"] = Value::from(now.clone());
            }
        }
    }

    /// The sandbox clock: the wall clock plus every [`State::advance_clock`] so far. Cloud KMS
    /// time-driven changes (automatic rotation at `nextRotationTime`, destruction at
    /// `destroyTime`) happen when this clock passes them, on the next KMS request.
    pub fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc() + self.clock_offset
    }

    /// Test hook: moves the sandbox clock forward by `by` (e.g. past a key's
    /// `nextRotationTime`, so the next KMS request rotates it as Cloud KMS would), instead of
    /// waiting. The clock never goes back.
    pub fn advance_clock(&mut self, by: std::time::Duration) {
        self.clock_offset += time::Duration::try_from(by).unwrap_or(time::Duration::ZERO);
    }

    /// All versions of a crypto key.
    pub fn crypto_key_versions(&self, key: &str) -> Vec<Value> {
        self.versions.get(key).cloned().unwrap_or_default()
    }

    /// A service account by email.
    pub fn service_account(&self, email: &str) -> Option<Value> {
        self.service_accounts
            .get(email)
            .filter(|s| !s.deleted)
            .map(|s| s.value.clone())
    }

    /// Enables or disables an API in a project.
    pub fn set_service_enabled(&mut self, project: &str, service: &str, enabled: bool) {
        let id = self.project(project).map(|p| p.id.clone());
        if let Some(p) = id.and_then(|id| self.projects.get_mut(&id)) {
            p.services.insert(service.to_string(), enabled);
        }
    }

    /// The CockroachDB `CMEKClusterInfo` of a cluster (None if CMEK never enabled).
    pub fn cmek_info(&self, cluster_id: &str) -> Option<Value> {
        self.cmek
            .get(cluster_id)
            .map(|r| crate::cmek::render_info(r))
    }

    /// A CockroachDB cluster as `GET /api/v1/clusters/{id}` returns it.
    pub fn cluster(&self, cluster_id: &str) -> Option<Value> {
        self.clusters
            .get(cluster_id)
            .map(|c| crate::cockroach::render_cluster(self, c))
    }
}

/// Current time as RFC 3339 UTC with microseconds (like the recordings).
pub(crate) fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// Formats a time as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses an RFC 3339 time.
pub(crate) fn parse_rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}
