//! The activity facade: the `cmek_activity::ActivityLog` of this run, opened on first use in
//! the data folder (`CMEK_DESK_DATA_DIR`, else the app data folder the window and the command
//! line share), best-effort single facts (connect, sign-in), exports, and the revoke context
//! built from a connection. No CMEK logic: that is `cmek_revoke` and `cmek_setup`.
//!
//! The log is tamper-evident (issue 13; ARCHITECTURE.md invariant 15): it opens with the
//! 32-byte chain key kept in the OS keychain under [`keys::ACTIVITY_LOG_KEY`] (created on first
//! use), and [`Activity::verify`] checks the chain and that the file reaches the chain head
//! kept next to the key (`head`: newest rows deleted or an older file put back are caught; a
//! deleted or emptied file is reported by the new log's first entry, `notice`);
//! finish and roll back refuse a log that does not verify (in `cmek_revoke::guard`), export
//! still works. No keychain: the log does not open
//! (invariant 2: no fallback), with the keychain's error and its fix.

mod head;

use cmek_activity::{
    ActivityLog, ChainKey, ChainVerification, ExportFormat, HeadStore, DB_FILE_NAME,
};
use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, Result};
use cmek_keychain::{keys, Namespace, OsKeychain, SecretStore};
use cmek_revoke::{RevokeContext, RevokeStep, RevokeTiming};
use cmek_setup::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Who acts when nobody is connected (exports before connecting).
pub const APP_ACTOR: &str = "app";

/// Where the chain key comes from.
#[derive(Clone)]
pub enum ChainKeySource {
    /// The OS keychain in this namespace (opened when the log first opens).
    Os(Namespace),
    /// A given store (tests: `InMemoryStore`).
    Store(Arc<dyn SecretStore>),
}

/// The log of this run, opened once on first use.
pub struct Activity {
    dir: Option<PathBuf>,
    key_source: ChainKeySource,
    /// The log, or why it could not be opened (shown by every use case that needs it).
    log: Mutex<Option<std::result::Result<Arc<ActivityLog>, Error>>>,
    /// Debug-build test hook (`CMEK_DESK_REVOKE_PAUSE_AFTER`), copied into every revocation.
    pause_after: Option<RevokeStep>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Activity {
    /// A log in `{dir}/activity.sqlite3`, opened on first use (`None`: no data folder, every
    /// use then fails with that reason).
    /// The chain key comes from this build's OS keychain namespace; see [`Activity::with_key_source`].
    pub fn new(dir: Option<PathBuf>, pause_after: Option<RevokeStep>) -> Self {
        if let Some(step) = pause_after {
            tracing::warn!(?step, "test hook: revocations pause after this step");
        }
        Self {
            dir,
            key_source: ChainKeySource::Os(Namespace::for_this_build()),
            log: Mutex::new(None),
            pause_after,
        }
    }

    /// Takes the chain key from `source` (the session's keychain).
    pub fn with_key_source(mut self, source: ChainKeySource) -> Self {
        self.key_source = source;
        self
    }

    /// The chain key, created and stored on first use, and the store it lives in (the chain
    /// heads go there too, `head`). Runs on its own thread: the OS keychain's calls block
    /// (D-Bus) and must not run on an async worker.
    fn chain_key(&self) -> Result<(ChainKey, bool, Arc<dyn SecretStore>)> {
        let source = self.key_source.clone();
        std::thread::scope(|s| {
            s.spawn(move || {
                let store: Arc<dyn SecretStore> = match source {
                    ChainKeySource::Store(store) => store,
                    ChainKeySource::Os(namespace) => Arc::new(OsKeychain::open(namespace)?),
                };
                match store.retrieve(keys::ACTIVITY_LOG_KEY)? {
                    Some(secret) => Ok((ChainKey::from_secret(&secret)?, false, store)),
                    None => {
                        let key = ChainKey::generate()?;
                        store.persist(keys::ACTIVITY_LOG_KEY, &key.to_secret())?;
                        tracing::info!("created the activity log key in the keychain");
                        Ok((key, true, store))
                    }
                }
            })
            .join()
            .unwrap_or_else(|_| Err(Error::internal("the keychain thread panicked")))
        })
    }

    /// Checks the log's tamper-evident chain now (see `cmek_activity::ActivityLog::verify`).
    pub fn verify(&self) -> Result<ChainVerification> {
        self.log()?.verify()
    }

    /// The step after which revocations pause (test hook; `None` in release builds).
    pub fn pause_after(&self) -> Option<RevokeStep> {
        self.pause_after
    }

    /// The open log, or the error that kept it closed.
    pub fn log(&self) -> Result<Arc<ActivityLog>> {
        let mut slot = lock(&self.log);
        let result = slot.get_or_insert_with(|| {
            let result = match &self.dir {
                Some(dir) => self.chain_key().and_then(|(key, first_use, store)| {
                    let heads: Arc<dyn HeadStore> = Arc::new(head::KeychainHeads(store));
                    let log = ActivityLog::open_with_head(
                        dir.join(DB_FILE_NAME),
                        key,
                        first_use,
                        Some(heads),
                    )?;
                    match log.verify() {
                        Ok(v) if v.trustworthy => tracing::info!(checked = v.checked, "activity log verified"),
                        Ok(v) => tracing::error!(message = %v.message, "activity log is not trustworthy"),
                        Err(e) => tracing::error!(message = %e.message, "activity log could not be verified"),
                    }
                    Ok(Arc::new(log))
                }),
                None => Err(Error::internal(
                    "no app data folder: the activity log cannot be opened",
                )),
            };
            match &result {
                Ok(log) => tracing::info!(path = %log.path().display(), "activity log opened"),
                Err(e) => tracing::error!(message = %e.message, "activity log could not be opened"),
            }
            result
        });
        result.clone()
    }

    /// Records a single fact (connect, sign-in, sign-out). Best effort: a failure is logged,
    /// never turned into the use case's error (the connection itself succeeded).
    pub fn record<D: serde::Serialize + ?Sized>(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        summary: &str,
        details: &D,
    ) {
        let result = self
            .log()
            .and_then(|log| log.record_event(actor, action, target, summary, details));
        if let Err(e) = result {
            tracing::warn!(action, message = %e.message, "could not record an activity event");
        }
    }

    /// Writes the whole log to `{dir}/cmek-activity-YYYYMMDD-HHMMSSZ.{json|csv}` (now, in UTC:
    /// the one export name rule, `cmek_core::files::export_file_name`, the audit's too; `-2`…
    /// rather than overwrite) and returns the path. `dir` is the export folder
    /// ([`crate::Desk::export_dir`]), created `0700`.
    pub fn export(&self, actor: &str, format: ExportFormat, dir: &Path) -> Result<String> {
        let log = self.log()?;
        cmek_core::files::private_dir(dir)?;
        let ext = match format {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        };
        let name = cmek_core::files::export_file_name_now("activity", ext);
        let path = cmek_core::files::export_path(dir, &name);
        log.export_to(actor, &path, format)?;
        Ok(path.display().to_string())
    }
}

/// The revocation context of a connection: its clients, its Google identity as the actor, and
/// `RevokeTiming::fast()` in sandbox mode.
pub fn revoke_context(connection: &Connection) -> RevokeContext {
    let ctx = RevokeContext::new(
        connection.google.clone(),
        connection.cockroach.clone(),
        connection.info.google_identity.clone(),
    );
    match connection.info.mode {
        ConnectionMode::Sandbox => ctx.with_timing(RevokeTiming::fast()),
        ConnectionMode::Live => ctx,
    }
}
