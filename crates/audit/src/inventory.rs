//! The inventory scan: for each selected project, Cloud KMS locations → key rings → keys
//! (`versionView=FULL`) → all versions, and the IAM policies (version 3, conditions kept) of
//! project, key rings and keys; then CockroachDB clusters with their CMEK state and the service
//! accounts they name (see [`crate::crdb`]).
//!
//! Speed within quotas: every project gets its own limiter (`governor`, GCRA) at
//! [`ScanOptions::kms_reads_per_minute`] with a burst of one second's worth, and its own bound
//! of calls in flight ([`ScanOptions::concurrency_per_project`]); all projects run at once, so
//! one project never waits on another. 429/5xx are retried by `cmek_gcp::GoogleHttp` with
//! backoff honouring `Retry-After`. A failed project keeps the rows it read and carries its
//! error; the cancel flag stops new calls and the partial inventory is returned.

use crate::effective::flatten;
use crate::model::{
    KeyRingRow, KeyRow, PolicyLevel, ProjectRow, ScanEvent, ScanOptions, VersionRow,
};
use crate::time_util::duration_seconds_ceil;
use cmek_core::kms::{CryptoKey, CryptoKeyVersion, KeyRing};
use cmek_core::{Error, ErrorCode, Result};
use cmek_gcp::Google;
use futures::stream::{FuturesUnordered, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Progress sink: called in order from the scanning task.
pub type Sink<'a> = &'a (dyn Fn(ScanEvent) + Send + Sync);

/// The error a cancelled call returns.
pub fn cancelled() -> Error {
    Error::new(
        ErrorCode::Cancelled,
        "Scan stopped by you; the rows read so far are kept.",
    )
}

/// Waits until `flag` is set (polled every 20 ms).
pub(crate) async fn until_cancelled(flag: &AtomicBool) {
    while !flag.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Per-project gate for Cloud KMS calls: calls in flight, rate limit, cancel, call count.
pub(crate) struct Gate<'a> {
    limiter: DefaultDirectRateLimiter,
    slots: Semaphore,
    cancel: &'a AtomicBool,
    pub(crate) calls: AtomicU32,
}

impl<'a> Gate<'a> {
    /// `per_minute` calls/min (burst `max(1, per_minute/60)`), `in_flight` concurrent calls.
    pub(crate) fn new(per_minute: u32, in_flight: u32, cancel: &'a AtomicBool) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_minute / 60).max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Self {
            limiter: RateLimiter::direct(quota),
            slots: Semaphore::new(in_flight.max(1) as usize),
            cancel,
            calls: AtomicU32::new(0),
        }
    }

    /// Runs one KMS call once a slot and a rate-limit token are free (or fails on cancel).
    pub(crate) async fn call<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        let _slot = tokio::select! {
            s = self.slots.acquire() => s.map_err(|_| cancelled())?,
            _ = until_cancelled(self.cancel) => return Err(cancelled()),
        };
        tokio::select! {
            _ = self.limiter.until_ready() => {},
            _ = until_cancelled(self.cancel) => return Err(cancelled()),
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        fut.await
    }
}

/// Counters of one project's scan, for progress events.
#[derive(Default)]
struct Counts {
    key_rings: AtomicU32,
    keys: AtomicU32,
    versions: AtomicU32,
    policies: AtomicU32,
}

struct ProjectScan<'a> {
    google: &'a Google,
    project: String,
    gate: Gate<'a>,
    counts: Counts,
    errors: Mutex<Vec<Error>>,
    sink: Sink<'a>,
}

impl ProjectScan<'_> {
    fn note(&self, e: Error) {
        tracing::warn!(project = %self.project, code = ?e.code, "audit read failed");
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    fn progress(&self) {
        let c = &self.counts;
        (self.sink)(ScanEvent::ProjectProgress {
            project: self.project.clone(),
            key_rings: c.key_rings.load(Ordering::Relaxed),
            keys: c.keys.load(Ordering::Relaxed),
            versions: c.versions.load(Ordering::Relaxed),
            policies: c.policies.load(Ordering::Relaxed),
            kms_calls: self.gate.calls.load(Ordering::Relaxed),
        });
    }

    /// One key: its IAM policy and all its versions.
    async fn key(
        &self,
        key: CryptoKey,
        ring: &str,
        ring_bindings: &[crate::model::EffectiveBinding],
    ) -> KeyRow {
        let kms = &self.google.kms;
        let (policy, versions) = tokio::join!(
            self.gate.call(kms.get_iam_policy(&key.name)),
            self.gate.call(kms.list_versions(&key.name))
        );
        let key_bindings = match policy {
            Ok(p) => {
                self.counts.policies.fetch_add(1, Ordering::Relaxed);
                flatten(&p, PolicyLevel::Key, &key.name)
            }
            Err(e) => {
                self.note(e.with_resource(key.name.clone()));
                Vec::new()
            }
        };
        let versions = versions.unwrap_or_else(|e| {
            self.note(e.with_resource(key.name.clone()));
            key.primary.iter().cloned().collect()
        });
        self.counts.keys.fetch_add(1, Ordering::Relaxed);
        self.counts
            .versions
            .fetch_add(versions.len() as u32, Ordering::Relaxed);
        let mut row = key_row(&key, ring, versions);
        // Project bindings are added once the project policy is known (see `scan_project`).
        row.effective_bindings = key_bindings
            .into_iter()
            .chain(ring_bindings.iter().cloned())
            .collect();
        self.progress();
        row
    }

    /// One key ring: its policy, its keys, then each key.
    async fn ring(&self, ring: KeyRing) -> (KeyRingRow, Vec<KeyRow>) {
        let kms = &self.google.kms;
        let (policy, keys) = tokio::join!(
            self.gate.call(kms.get_iam_policy(&ring.name)),
            self.gate.call(kms.list_crypto_keys(&ring.name))
        );
        let ring_bindings = match policy {
            Ok(p) => {
                self.counts.policies.fetch_add(1, Ordering::Relaxed);
                flatten(&p, PolicyLevel::KeyRing, &ring.name)
            }
            Err(e) => {
                self.note(e.with_resource(ring.name.clone()));
                Vec::new()
            }
        };
        let keys = keys.unwrap_or_else(|e| {
            self.note(e.with_resource(ring.name.clone()));
            Vec::new()
        });
        self.counts.key_rings.fetch_add(1, Ordering::Relaxed);
        let rows: Vec<KeyRow> = keys
            .into_iter()
            .map(|k| self.key(k, &ring.name, &ring_bindings))
            .collect::<FuturesUnordered<_>>()
            .collect()
            .await;
        let location = segment(&ring.name, 3);
        let row = KeyRingRow {
            name: ring.name.clone(),
            location,
            create_time: ring.create_time.clone(),
            keys: rows.len() as u32,
        };
        (row, rows)
    }
}

/// Scans one project; never fails as a whole: errors land on the row.
pub(crate) async fn scan_project(
    google: &Google,
    project: &str,
    options: &ScanOptions,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> ProjectRow {
    let scan = ProjectScan {
        google,
        project: project.to_owned(),
        gate: Gate::new(
            options.kms_reads_per_minute,
            options.concurrency_per_project,
            cancel,
        ),
        counts: Counts::default(),
        errors: Mutex::new(Vec::new()),
        sink,
    };
    let mut row = ProjectRow {
        project_id: project.to_owned(),
        ..Default::default()
    };
    // The project policy is a Resource Manager read (not Cloud KMS quota).
    let policy_fut = async {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        google.crm.get_iam_policy(project).await
    };
    let kms_fut = async {
        let locations = match scan.gate.call(google.kms.list_locations(project)).await {
            Ok(l) => l,
            Err(e) => {
                scan.note(e.with_resource(format!("projects/{project}")));
                return (Vec::new(), Vec::new(), Vec::new());
            }
        };
        let rings: Vec<KeyRing> = locations
            .iter()
            .map(|l| async {
                scan.gate
                    .call(google.kms.list_key_rings(l))
                    .await
                    .unwrap_or_else(|e| {
                        scan.note(e.with_resource(l.clone()));
                        Vec::new()
                    })
            })
            .collect::<FuturesUnordered<_>>()
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        let done: Vec<(KeyRingRow, Vec<KeyRow>)> = rings
            .into_iter()
            .map(|r| scan.ring(r))
            .collect::<FuturesUnordered<_>>()
            .collect()
            .await;
        let mut ring_rows = Vec::new();
        let mut keys = Vec::new();
        for (r, k) in done {
            ring_rows.push(r);
            keys.extend(k);
        }
        (locations, ring_rows, keys)
    };
    let alerting_fut = crate::alerting::read_alerting(google, project, cancel);
    let (policy, (locations, mut rings, mut keys), alerting) =
        tokio::join!(policy_fut, kms_fut, alerting_fut);
    row.alerting = Some(alerting);
    match policy {
        Ok(p) => row.bindings = flatten(&p, PolicyLevel::Project, &format!("projects/{project}")),
        Err(e) => scan.note(e.with_resource(format!("projects/{project}"))),
    }
    for k in &mut keys {
        let (key_level, ring_level): (Vec<_>, Vec<_>) = k
            .effective_bindings
            .drain(..)
            .partition(|b| b.level == PolicyLevel::Key);
        k.effective_bindings = crate::effective::effective(&key_level, &ring_level, &row.bindings);
    }
    rings.sort_by(|a, b| a.name.cmp(&b.name));
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    row.locations = locations.iter().map(|l| segment(l, 3)).collect();
    row.key_rings = rings;
    row.keys = keys;
    row.kms_calls = scan.gate.calls.load(Ordering::Relaxed);
    let errors = scan.errors.into_inner().unwrap_or_else(|p| p.into_inner());
    row.error = summarise(errors);
    sink(ScanEvent::ProjectFinished {
        project: project.to_owned(),
        keys: row.keys.len() as u32,
        error: row.error.clone(),
    });
    row
}

/// The first error (cancel wins), with the count of the others in its message.
fn summarise(mut errors: Vec<Error>) -> Option<Error> {
    if errors.is_empty() {
        return None;
    }
    let n = errors.len();
    let idx = errors
        .iter()
        .position(|e| e.code == ErrorCode::Cancelled)
        .unwrap_or(0);
    let mut first = errors.swap_remove(idx);
    if n > 1 {
        first.message = format!(
            "{} ({} more read errors in this project)",
            first.message,
            n - 1
        );
    }
    Some(first)
}

/// `i`-th path segment of a resource name (`projects/P/locations/L/…`: 1 = P, 3 = L).
pub(crate) fn segment(name: &str, i: usize) -> String {
    name.split('/').nth(i).unwrap_or_default().to_owned()
}

fn version_row(v: &CryptoKeyVersion, primary: Option<&str>) -> VersionRow {
    VersionRow {
        name: v.name.clone(),
        id: v.version_id().to_owned(),
        state: v
            .state
            .clone()
            .unwrap_or_else(|| "CRYPTO_KEY_VERSION_STATE_UNSPECIFIED".into()),
        protection_level: v.protection_level.clone(),
        algorithm: v.algorithm.clone(),
        create_time: v.create_time.clone(),
        generate_time: v.generate_time.clone(),
        destroy_time: v.destroy_time.clone(),
        destroy_event_time: v.destroy_event_time.clone(),
        is_primary: primary == Some(v.name.as_str()),
    }
}

/// Builds the inventory row of a key from the wire model (no I/O; unknown values kept).
pub fn key_row(key: &CryptoKey, ring: &str, versions: Vec<CryptoKeyVersion>) -> KeyRow {
    let primary = key.primary.as_ref().map(|p| p.name.as_str());
    let mut versions: Vec<VersionRow> = versions.iter().map(|v| version_row(v, primary)).collect();
    versions.sort_by_key(|v| v.id.parse::<u64>().unwrap_or(u64::MAX));
    let labels = key
        .labels
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    let template = key.version_template.as_ref();
    KeyRow {
        name: key.name.clone(),
        project: segment(&key.name, 1),
        location: segment(&key.name, 3),
        key_ring: ring.to_owned(),
        key_id: segment(&key.name, 7),
        purpose: key.purpose.clone(),
        protection_level: template
            .and_then(|t| t.protection_level.clone())
            .or_else(|| {
                key.primary
                    .as_ref()
                    .and_then(|p| p.protection_level.clone())
            }),
        algorithm: template.and_then(|t| t.algorithm.clone()),
        create_time: key.create_time.clone(),
        rotation_period_seconds: key
            .rotation_period
            .as_deref()
            .and_then(duration_seconds_ceil),
        rotation_period: key.rotation_period.clone(),
        next_rotation_time: key.next_rotation_time.clone(),
        destroy_scheduled_duration_seconds: key
            .destroy_scheduled_duration
            .as_deref()
            .and_then(duration_seconds_ceil),
        destroy_scheduled_duration: key.destroy_scheduled_duration.clone(),
        import_only: key.import_only.unwrap_or(false),
        labels,
        primary_id: key.primary.as_ref().map(|p| p.version_id().to_owned()),
        primary_state: key.primary.as_ref().and_then(|p| p.state.clone()),
        versions,
        effective_bindings: Vec::new(),
        used_by: Vec::new(),
        protected_resources: None,
    }
}
