//! IPC types of the audit: what a scan is asked for ([`ScanOptions`]), what it reports while
//! running ([`ScanEvent`]) and what it returns ([`AuditReport`]: inventory rows, links from keys
//! to CockroachDB clusters, findings). All derive `ts_rs::TS` (exported to
//! `ui/src/lib/bindings/` by `cargo test`) and serialise camelCase. The JSON export is this
//! report verbatim, versioned by [`AuditReport::schema_version`] ([`SCHEMA_VERSION`]).

use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::iam::Expr;
use cmek_core::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Version of the report schema (JSON export, IPC). Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 2;

/// What to scan and how fast.
// Read by its own `Deserialize` (`crate::scan_options_read`): numbers as typed, never a serde
// error; one out of range is kept in `rejected` for the boundary check to refuse by label.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ScanOptions {
    /// Project ids chosen by the user (from Resource Manager search).
    pub projects: Vec<String>,
    /// Cloud KMS read calls per minute per project (quota `Read requests per minute`,
    /// default 300/min/project). The limiter's burst is one second's worth (`max(1, n/60)`).
    pub kms_reads_per_minute: u32,
    /// Calls in flight at once per project (≥ 1).
    pub concurrency_per_project: u32,
    /// Also read CockroachDB Cloud clusters and their CMEK state (links keys to clusters).
    pub include_cockroach: bool,
    /// Chosen projects, or every project of an organisation or folder (`crate::scope`).
    pub scope: crate::scope::AuditScope,
    /// Inventory path or crawl (`crate::scope`).
    pub inventory: crate::scope::InventoryMode,
    /// Cloud Asset searches per minute, each of `searchAllResources` and `searchAllIamPolicies`
    /// (quota: 400 per minute per consumer project, cloud.google.com/asset-inventory/docs/quota).
    pub asset_searches_per_minute: u32,
    /// The first number that was not a whole number in its range when read (`INVALID_INPUT`
    /// naming the field by its label, e.g. "Calls in flight per project: -5 is negative; …").
    #[serde(skip)]
    #[ts(skip)]
    pub rejected: Option<Error>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            projects: Vec::new(),
            kms_reads_per_minute: 300,
            concurrency_per_project: 8,
            include_cockroach: true,
            scope: Default::default(),
            inventory: Default::default(),
            asset_searches_per_minute: 400,
            rejected: None,
        }
    }
}

/// Progress of a scan, sent in order through the sink (a Tauri `Channel` in the app).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "camelCase")]
#[ts(export)]
pub enum ScanEvent {
    /// The scan began for these projects.
    Started { projects: Vec<String> },
    /// Counts so far for one project (sent after each key ring / key is read).
    #[serde(rename_all = "camelCase")]
    ProjectProgress {
        project: String,
        key_rings: u32,
        keys: u32,
        versions: u32,
        policies: u32,
        kms_calls: u32,
    },
    /// One project finished; `error` is set when it failed (its partial rows are kept).
    #[serde(rename_all = "camelCase")]
    ProjectFinished {
        project: String,
        keys: u32,
        error: Option<Error>,
    },
    /// CockroachDB clusters and their CMEK state were read.
    #[serde(rename_all = "camelCase")]
    ClustersRead { clusters: u32, error: Option<Error> },
    /// Checks ran; the report is complete.
    #[serde(rename_all = "camelCase")]
    Finished { findings: u32, cancelled: bool },
}

/// The level of the resource hierarchy an IAM binding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum PolicyLevel {
    Key,
    KeyRing,
    Project,
    ServiceAccount,
}

/// One (role, member) pair of an effective policy, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EffectiveBinding {
    pub role: String,
    /// Member exactly as in the policy (`user:…`, `group:…`, `deleted:serviceAccount:…?uid=…`,
    /// `principalSet://…`, `allUsers`, …).
    pub member: String,
    pub level: PolicyLevel,
    /// Resource name of the policy the binding is in.
    pub resource: String,
    /// The CEL condition, kept verbatim (conditional grants may not apply at all times).
    pub condition: Option<Expr>,
}

/// One crypto key version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionRow {
    /// Full resource name `…/cryptoKeyVersions/N`.
    pub name: String,
    pub id: String,
    /// `ENABLED`, `DISABLED`, `DESTROY_SCHEDULED`, `DESTROYED`, … (kept as sent).
    pub state: String,
    pub protection_level: Option<String>,
    pub algorithm: Option<String>,
    /// RFC 3339 times.
    pub create_time: Option<String>,
    pub generate_time: Option<String>,
    /// Set in DESTROY_SCHEDULED: the restore deadline.
    pub destroy_time: Option<String>,
    pub destroy_event_time: Option<String>,
    pub is_primary: bool,
}

/// One place a CockroachDB cluster uses (or used) a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyUse {
    pub cluster_id: String,
    pub cluster_name: String,
    pub region: String,
    /// True for the region's newest key info (the key in use now); false for past key infos.
    pub current: bool,
    /// Status of that key info (`ENABLED`, `DISABLED`, `ENABLE_FAILED`, …).
    pub status: String,
    pub auth_principal: String,
    pub created_at: String,
}

/// One crypto key with its versions, effective IAM and the clusters that use it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyRow {
    /// `projects/P/locations/L/keyRings/R/cryptoKeys/K` (no version).
    pub name: String,
    pub project: String,
    pub location: String,
    pub key_ring: String,
    pub key_id: String,
    /// As sent (`ENCRYPT_DECRYPT`, `ASYMMETRIC_SIGN`, `MAC`, unknown values kept).
    pub purpose: Option<String>,
    pub protection_level: Option<String>,
    pub algorithm: Option<String>,
    pub create_time: Option<String>,
    /// `rotationPeriod` as sent (`"7776000s"`) and parsed to whole seconds (rounded up).
    pub rotation_period: Option<String>,
    #[ts(type = "number | null")]
    pub rotation_period_seconds: Option<i64>,
    pub next_rotation_time: Option<String>,
    pub destroy_scheduled_duration: Option<String>,
    #[ts(type = "number | null")]
    pub destroy_scheduled_duration_seconds: Option<i64>,
    pub import_only: bool,
    pub labels: BTreeMap<String, String>,
    pub primary_id: Option<String>,
    pub primary_state: Option<String>,
    pub versions: Vec<VersionRow>,
    /// Key + key ring + project bindings, each with its level.
    pub effective_bindings: Vec<EffectiveBinding>,
    pub used_by: Vec<KeyUse>,
    /// For a key a CockroachDB cluster uses: the organisation's other resources it protects, or
    /// why not searched (`crate::protected`); `None` for other keys.
    #[serde(default)]
    pub protected_resources: Option<cmek_core::protected::ProtectedResources>,
}

/// One key ring.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyRingRow {
    pub name: String,
    pub location: String,
    pub create_time: Option<String>,
    pub keys: u32,
}

/// One project's inventory. `error` is set when part of it could not be read; the rows that
/// were read are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProjectRow {
    pub project_id: String,
    pub locations: Vec<String>,
    pub key_rings: Vec<KeyRingRow>,
    pub keys: Vec<KeyRow>,
    /// Project-level bindings (policy version 3).
    pub bindings: Vec<EffectiveBinding>,
    pub error: Option<Error>,
    /// Cloud KMS calls made for this project.
    pub kms_calls: u32,
    /// Log-based metrics and alert policies (A11, C13); `None` when not read.
    pub alerting: Option<crate::alerting::AlertingInventory>,
}

/// A service account named as a CockroachDB `auth_principal`, with its own IAM policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServiceAccountRow {
    pub email: String,
    /// Project parsed from the email (`…@P.iam.gserviceaccount.com`).
    pub project: String,
    /// False when IAM answered 404 (deleted or never created).
    pub exists: bool,
    pub disabled: bool,
    /// Bindings of the account's own policy (level `serviceAccount`).
    pub bindings: Vec<EffectiveBinding>,
    /// Bindings of its project's policy (level `project`), for project-wide grants.
    pub project_bindings: Vec<EffectiveBinding>,
    pub error: Option<Error>,
}

/// One CockroachDB Cloud cluster with its CMEK state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClusterRow {
    pub id: String,
    pub name: String,
    pub cloud_provider: String,
    pub account_id: String,
    pub plan: String,
    /// Region names from the cluster (sorted).
    pub regions: Vec<String>,
    /// `GET /api/v1/clusters/{id}/cmek`; `None` when CMEK was never enabled (404).
    pub cmek: Option<CmekClusterInfo>,
    pub error: Option<Error>,
}

/// Severity, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

/// Whether a finding is a failed condition or a check that did not run here.
///
/// One meaning in every surface and export (issue #11): only [`FindingStatus::Fail`] is a
/// finding with a severity that counts; a check that did not run is "not evaluated" with the
/// reason in its message and `reason` evidence, counted apart, never a detection (CSV leaves its
/// severity empty, OCSF leaves it out of the events). Schema 2 renamed it from `NOT_APPLICABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum FindingStatus {
    /// The condition failed on this resource.
    Fail,
    /// The check did not run: its cloud was not in the scan, a read it needs failed or its
    /// project was not scanned; stated explicitly with why, never silently skipped, never a pass.
    NotEvaluated,
}

/// Counts of a report's findings: failed checks per severity, and checks not evaluated (counted
/// apart, whatever their catalogue severity). Every surface (the window's summary, the CLI, JSON,
/// CSV, HTML, OCSF) shows these numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FindingCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
    /// Failed checks of every severity (the sum of the five above).
    pub failed: u32,
    pub not_evaluated: u32,
}

impl FindingCounts {
    /// Counts `findings`.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut c = Self::default();
        for f in findings {
            if f.status == FindingStatus::NotEvaluated {
                c.not_evaluated += 1;
                continue;
            }
            c.failed += 1;
            *c.slot(f.severity) += 1;
        }
        c
    }

    /// The failed count of one severity.
    pub fn of_severity(&self, s: Severity) -> u32 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn slot(&mut self, s: Severity) -> &mut u32 {
        match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

/// Where a check comes from (empty when a source has no equivalent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckSources {
    pub cis: Vec<String>,
    pub prowler: Vec<String>,
    pub scoutsuite: Vec<String>,
    pub scc: Vec<String>,
    pub other: Vec<String>,
}

/// A check of the catalogue (see `checks::catalogue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckInfo {
    /// `A01`…`A16`, `C01`…`C16`.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The exact condition that makes the check fail.
    pub condition: String,
    pub sources: CheckSources,
    pub remediation: String,
}

/// One field value that decided a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Evidence {
    pub field: String,
    pub value: String,
}

/// One result of one check on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Finding {
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: FindingStatus,
    /// Resource name (key, project, `clusters/{id}/regions/{r}`, service-account email).
    pub resource: String,
    pub project: Option<String>,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub remediation: String,
    pub sources: CheckSources,
}

/// The whole result of a scan: the JSON export is this value (schema [`SCHEMA_VERSION`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditReport {
    pub schema_version: u32,
    /// RFC 3339 UTC time the scan started.
    pub scan_time: String,
    /// The signed-in Google identity (`user:…`).
    pub identity: String,
    pub app_version: String,
    pub cancelled: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub projects: Vec<ProjectRow>,
    pub service_accounts: Vec<ServiceAccountRow>,
    pub clusters: Vec<ClusterRow>,
    /// Error reading CockroachDB clusters, if any (the Google inventory is kept).
    pub cockroach_error: Option<Error>,
    pub checks: Vec<CheckInfo>,
    pub findings: Vec<Finding>,
    /// One access graph per cluster (same order), its edge health derived from the findings.
    #[serde(default)]
    pub access_graphs: Vec<crate::graph::AccessGraph>,
    /// Drift of the keys and service accounts CockroachDB uses, with the ids the one-click fix
    /// takes (also reported as C15/C16 findings).
    #[serde(default)]
    pub drift: Vec<crate::drift::DriftFinding>,
    /// Which inventory path read the Google side, and why not the inventory path.
    #[serde(default)]
    pub inventory_path: crate::scope::InventoryPath,
    /// Clouds whose keys and IAM were read (`GCP`, `AWS`): a cluster on a cloud not listed was
    /// not audited (its card says so, never "OK").
    #[serde(default)]
    pub clouds_audited: Vec<String>,
    /// [`FindingCounts::of`] the findings, set when the report is complete.
    #[serde(default)]
    pub summary: FindingCounts,
}

impl AuditReport {
    /// Every key of every project.
    pub fn keys(&self) -> impl Iterator<Item = &KeyRow> {
        self.projects.iter().flat_map(|p| p.keys.iter())
    }

    /// Whether the keys and IAM of the cloud `c` runs on were read (CockroachDB's
    /// `cloud_provider`: `GCP`, `AWS`).
    pub fn cluster_audited(&self, c: &ClusterRow) -> bool {
        self.clouds_audited.contains(&c.cloud_provider)
    }

    /// The cloud a finding is about: `AWS` for AWS resources (`aws`, `arn:aws:…`, `alias/…`)
    /// and for an AWS cluster's own rows, else `GCP`.
    pub fn finding_cloud(&self, f: &Finding) -> &'static str {
        let r = f.resource.as_str();
        if r == "aws" || r.starts_with("arn:aws") || r.starts_with("alias/") {
            return "AWS";
        }
        if let Some(rest) = r.strip_prefix("clusters/") {
            let id = rest.split('/').next().unwrap_or(rest);
            if self
                .clusters
                .iter()
                .any(|c| c.id == id && c.cloud_provider == "AWS")
            {
                return "AWS";
            }
        }
        "GCP"
    }

    /// Recomputes [`AuditReport::summary`] from the findings.
    pub fn recount(&mut self) {
        self.summary = FindingCounts::of(&self.findings);
    }

    /// Findings of one check.
    pub fn findings_of<'a>(&'a self, check_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.check_id == check_id)
    }
}

impl Severity {
    /// The serialised name (`CRITICAL`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "CRITICAL",
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
            Self::Info => "INFO",
        }
    }
}

impl FindingStatus {
    /// The serialised name (`FAIL`, `NOT_EVALUATED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "FAIL",
            Self::NotEvaluated => "NOT_EVALUATED",
        }
    }

    /// The words a person reads (`failed`, `not evaluated`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Fail => "failed",
            Self::NotEvaluated => "not evaluated",
        }
    }
}
