//! The SQLite store behind [`ActivityLog`]: schema (with the append-only triggers), inserts,
//! reads, snapshots and the interrupted-operation query.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use cmek_core::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::chain::{self, ChainKey, ChainVerification};
use crate::head::{HeadKeeper, HeadStore};
use crate::{to_json, ActivityEntry, EntryKind, EntryStatus};

/// File name of the database inside the app data folder.
pub const DB_FILE_NAME: &str = "activity.sqlite3";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS activity (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    operation_id TEXT,
    kind         TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    status       TEXT,
    error_json   TEXT,
    intent_id    INTEGER REFERENCES activity(id)
);
CREATE INDEX IF NOT EXISTS activity_operation ON activity(operation_id);
CREATE TRIGGER IF NOT EXISTS activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TABLE IF NOT EXISTS snapshots (
    operation_id TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    data         TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS snapshots_no_update BEFORE UPDATE ON snapshots
    BEGIN SELECT RAISE(ABORT, 'recovery snapshots are append-only'); END;
CREATE TRIGGER IF NOT EXISTS snapshots_no_delete BEFORE DELETE ON snapshots
    BEGIN SELECT RAISE(ABORT, 'recovery snapshots are append-only'); END;
"#;

/// The activity log of one app data folder. `Send + Sync`; every method is one short
/// transaction, committed (and fsynced) before it returns.
pub struct ActivityLog {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Authenticates the chain (module `chain`).
    key: ChainKey,
    /// Append-only triggers the file lacked when opened (re-created since; reported by
    /// [`ActivityLog::verify`]).
    missing_triggers: Vec<String>,
    /// Rows written before the chain existed and sealed at this open (0 otherwise).
    adopted: usize,
    /// The chain head kept outside the file (module `head`).
    head: HeadKeeper,
}

pub(crate) fn db(e: rusqlite::Error) -> Error {
    Error::internal(format!("activity log: {e}"))
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn kind_str(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Event => "event",
        EntryKind::OperationStarted => "operation_started",
        EntryKind::Intent => "intent",
        EntryKind::Outcome => "outcome",
        EntryKind::OperationFinished => "operation_finished",
    }
}

fn parse_enum<T: DeserializeOwned>(s: Option<String>) -> Option<T> {
    s.and_then(|s| serde_json::from_value(Value::String(s)).ok())
}

fn parse_json(s: Option<String>) -> Option<Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn row_entry(r: &Row<'_>) -> rusqlite::Result<ActivityEntry> {
    Ok(ActivityEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        operation_id: r.get(3)?,
        kind: parse_enum(r.get(4)?).unwrap_or(EntryKind::Event),
        action: r.get(5)?,
        target: r.get(6)?,
        summary: r.get(7)?,
        before: parse_json(r.get(8)?),
        after: parse_json(r.get(9)?),
        status: parse_enum(r.get(10)?),
        error: parse_json(r.get(11)?).and_then(|v| serde_json::from_value(v).ok()),
        intent_id: r.get(12)?,
    })
}

const COLUMNS: &str =
    "id, at, actor, operation_id, kind, action, target, summary, before_json, after_json, status, error_json, intent_id";

/// One row to insert.
struct NewRow<'a> {
    actor: &'a str,
    operation_id: Option<&'a str>,
    kind: EntryKind,
    action: &'a str,
    target: &'a str,
    summary: &'a str,
    before: Option<Value>,
    after: Option<Value>,
    status: Option<EntryStatus>,
    error: Option<&'a Error>,
    intent_id: Option<i64>,
}

impl ActivityLog {
    /// Opens (creating if needed) the database at `path` with the public
    /// [`ChainKey::unauthenticated`] key: for tools and tests without a keychain. The app
    /// opens its log with [`ActivityLog::open_with_key`] and the key from the OS keychain.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_key(path, ChainKey::unauthenticated(), true)
    }

    /// Opens (creating if needed) the database at `path`: WAL journal, `synchronous=FULL`,
    /// schema, append-only triggers and the tamper-evident chain authenticated by `key`.
    /// The folder is created 0700 and the database files 0600 (Unix).
    ///
    /// `first_use`: the key was just created (no log on this keychain was ever chained). Only
    /// then are rows of a database written before the chain existed sealed as found (once,
    /// recorded as an `activity.chain_started` event); otherwise they are reported untrusted by
    /// [`ActivityLog::verify`]. Opening never refuses a broken log: it is verified, reported,
    /// and still exported.
    pub fn open_with_key(path: impl AsRef<Path>, key: ChainKey, first_use: bool) -> Result<Self> {
        Self::open_with_head(path, key, first_use, None)
    }

    /// [`ActivityLog::open_with_key`], with the chain head kept in `heads` (the OS keychain in
    /// the app; module `head`): after every append the new head is saved there, and
    /// [`ActivityLog::verify`] compares the file with it, so a file that ends before the head
    /// (newest rows deleted, an older copy put back) is not trustworthy. A log with records and
    /// no head in `heads` gets its current head saved now, as found (said by `verify`).
    ///
    /// `heads` also remembers which log lives in this folder: a file with no chain record where
    /// a log with a stored head lived (the file deleted or emptied) gets that fact as its first
    /// entry ([`crate::head::REPLACED_ACTION`]), reported by every later `verify` as its
    /// `notice` (module `head`).
    pub fn open_with_head(
        path: impl AsRef<Path>,
        key: ChainKey,
        first_use: bool,
        heads: Option<Arc<dyn HeadStore>>,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::private_dir(dir)?;
        }
        crate::files::touch_private(&path)?;
        let canonical = std::fs::canonicalize(&path)
            .map_err(|e| Error::internal(format!("activity log: {}: {e}", path.display())))?;
        let folder = crate::head::folder_id(&canonical);
        let conn = Connection::open(&path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        let had_chain = chain::has_table(&conn, "chain")?;
        let had_log = chain::has_table(&conn, "activity")?;
        let missing_triggers = if had_log {
            chain::missing_triggers(&conn)?
                .into_iter()
                .filter(|t| had_chain || !t.starts_with("chain_"))
                .collect()
        } else {
            Vec::new()
        };
        conn.execute_batch(SCHEMA).map_err(db)?;
        conn.execute_batch(chain::CHAIN_SCHEMA).map_err(db)?;
        crate::files::private_sidecars(&path)?;
        let mut log = Self {
            conn: Mutex::new(conn),
            path,
            key,
            missing_triggers,
            adopted: 0,
            head: HeadKeeper::new(heads, folder),
        };
        if !had_chain && first_use {
            let adopted = {
                let mut conn = log.lock();
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db)?;
                let (n, new_head) = chain::adopt(&tx, &log.key)?;
                tx.commit().map_err(db)?;
                if let Some(h) = new_head {
                    log.head.committed(&conn, &h);
                }
                n
            };
            if adopted > 0 {
                log.adopted = adopted;
                log.record_event(
                    "app",
                    "activity.chain_started",
                    &log.path.display().to_string(),
                    &format!(
                        "{adopted} entries written before the log was tamper-evident were sealed as found"
                    ),
                    &serde_json::json!({ "sealed": adopted }),
                )?;
            }
        }
        let gone = {
            let conn = log.conn.get_mut().unwrap_or_else(|p| p.into_inner());
            log.head.at_open(conn)?
        };
        if let Some(gone) = gone {
            log.record_event(
                "app",
                crate::head::REPLACED_ACTION,
                &log.path.display().to_string(),
                &gone.summary(),
                &gone.details(),
            )?;
        }
        Ok(log)
    }

    /// Checks the whole chain now (links, hashes, the MAC of every record under this log's
    /// key, rows outside the chain, dropped triggers) and, when heads are kept, that the file
    /// reaches the head in the keychain (module `head`). Reads only; O(entries), plus one
    /// keychain read.
    pub fn verify(&self) -> Result<ChainVerification> {
        let conn = self.lock();
        // The head is read before the chain: it never names a row this read cannot see.
        let loaded = self.head.load(&conn)?;
        let mut v = chain::verify(&conn, &self.key, &self.missing_triggers, loaded)?;
        self.head.annotate(&mut v);
        Ok(v)
    }

    /// How many rows written before the chain existed were sealed as found at this open.
    pub fn sealed_at_open(&self) -> usize {
        self.adopted
    }

    /// Opens `{app_data_dir}/activity.sqlite3`.
    pub fn open_in(app_data_dir: &Path) -> Result<Self> {
        Self::open(app_data_dir.join(DB_FILE_NAME))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, r: NewRow<'_>) -> Result<i64> {
        let mut guard = self.lock();
        let conn = guard
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        conn.execute(
            "INSERT INTO activity (at, actor, operation_id, kind, action, target, summary, before_json, after_json, status, error_json, intent_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                now(),
                r.actor,
                r.operation_id,
                kind_str(r.kind),
                r.action,
                r.target,
                r.summary,
                r.before.map(|v| v.to_string()),
                r.after.map(|v| v.to_string()),
                r.status.map(EntryStatus::as_str),
                r.error.map(|e| to_json(e).to_string()),
                r.intent_id,
            ],
        )
        .map_err(db)?;
        let id = conn.last_insert_rowid();
        let new_head = chain::append(&conn, &self.key, "activity", &id.to_string())?;
        conn.commit().map_err(db)?;
        self.head.committed(&guard, &new_head);
        Ok(id)
    }

    /// Records a single fact (e.g. `sign_in` with the identity as `target`). Returns the row id.
    pub fn record_event<D: Serialize + ?Sized>(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        summary: &str,
        details: &D,
    ) -> Result<i64> {
        self.insert(NewRow {
            actor,
            operation_id: None,
            kind: EntryKind::Event,
            action,
            target,
            summary,
            before: None,
            after: Some(to_json(details)),
            status: Some(EntryStatus::Ok),
            error: None,
            intent_id: None,
        })
    }

    /// Opens an operation; `request` is what the user asked for. Returns the new operation id.
    pub fn start_operation<B: Serialize + ?Sized>(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        summary: &str,
        request: &B,
    ) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        self.insert(NewRow {
            actor,
            operation_id: Some(&id),
            kind: EntryKind::OperationStarted,
            action,
            target,
            summary,
            before: Some(to_json(request)),
            after: None,
            status: Some(EntryStatus::Pending),
            error: None,
            intent_id: None,
        })?;
        Ok(id)
    }

    /// Writes the intent of one change before it is sent. Returns its row id for [`Self::outcome`].
    #[allow(clippy::too_many_arguments)]
    pub fn intent<B: Serialize + ?Sized>(
        &self,
        operation_id: Option<&str>,
        actor: &str,
        action: &str,
        target: &str,
        summary: &str,
        before: &B,
    ) -> Result<i64> {
        self.insert(NewRow {
            actor,
            operation_id,
            kind: EntryKind::Intent,
            action,
            target,
            summary,
            before: Some(to_json(before)),
            after: None,
            status: Some(EntryStatus::Pending),
            error: None,
            intent_id: None,
        })
    }

    /// Writes the outcome of the change whose intent is `intent_id` (actor, action, target and
    /// operation are copied from the intent).
    pub fn outcome<A: Serialize + ?Sized>(
        &self,
        intent_id: i64,
        status: EntryStatus,
        summary: &str,
        after: &A,
        error: Option<&Error>,
    ) -> Result<i64> {
        let intent = self
            .entry(intent_id)?
            .ok_or_else(|| Error::internal(format!("activity log: no intent {intent_id}")))?;
        let id = self.insert(NewRow {
            actor: &intent.actor,
            operation_id: intent.operation_id.as_deref(),
            kind: EntryKind::Outcome,
            action: &intent.action,
            target: &intent.target,
            summary,
            before: None,
            after: Some(to_json(after)),
            status: Some(status),
            error,
            intent_id: Some(intent_id),
        })?;
        // The crash harness's "after the outcome is logged" kill point (a no-op without a hook).
        cmek_core::observe::outcome_logged();
        Ok(id)
    }

    /// Closes an operation with its final status and report.
    pub fn finish_operation<A: Serialize + ?Sized>(
        &self,
        operation_id: &str,
        status: EntryStatus,
        summary: &str,
        report: &A,
        error: Option<&Error>,
    ) -> Result<i64> {
        let start = self
            .operation_entries(operation_id)?
            .into_iter()
            .find(|e| e.kind == EntryKind::OperationStarted)
            .ok_or_else(|| Error::internal(format!("activity log: no operation {operation_id}")))?;
        self.insert(NewRow {
            actor: &start.actor,
            operation_id: Some(operation_id),
            kind: EntryKind::OperationFinished,
            action: &start.action,
            target: &start.target,
            summary,
            before: None,
            after: Some(to_json(report)),
            status: Some(status),
            error,
            intent_id: None,
        })
    }

    /// One row by id.
    pub fn entry(&self, id: i64) -> Result<Option<ActivityEntry>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM activity WHERE id = ?1"),
            [id],
            row_entry,
        )
        .optional()
        .map_err(db)
    }

    /// Every row, oldest first.
    pub fn entries(&self) -> Result<Vec<ActivityEntry>> {
        let conn = self.lock();
        let mut st = conn
            .prepare(&format!("SELECT {COLUMNS} FROM activity ORDER BY id"))
            .map_err(db)?;
        let rows = st.query_map([], row_entry).map_err(db)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }

    /// The rows of one operation, oldest first.
    pub fn operation_entries(&self, operation_id: &str) -> Result<Vec<ActivityEntry>> {
        let conn = self.lock();
        let mut st = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM activity WHERE operation_id = ?1 ORDER BY id"
            ))
            .map_err(db)?;
        let rows = st.query_map([operation_id], row_entry).map_err(db)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }

    /// Stores the recovery snapshot of an operation (once; a second save is an error).
    pub fn save_snapshot<T: Serialize + ?Sized>(
        &self,
        operation_id: &str,
        kind: &str,
        target: &str,
        data: &T,
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute(
            "INSERT INTO snapshots (operation_id, created_at, kind, target, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![operation_id, now(), kind, target, to_json(data).to_string()],
        )
        .map_err(db)?;
        let new_head = chain::append(&tx, &self.key, "snapshots", operation_id)?;
        tx.commit().map_err(db)?;
        self.head.committed(&conn, &new_head);
        Ok(())
    }

    /// The snapshot of an operation, if one was saved.
    pub fn snapshot<T: DeserializeOwned>(&self, operation_id: &str) -> Result<Option<T>> {
        let conn = self.lock();
        let data: Option<String> = conn
            .query_row(
                "SELECT data FROM snapshots WHERE operation_id = ?1",
                [operation_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        data.map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| Error::internal(format!("activity log: snapshot {operation_id}: {e}")))
        })
        .transpose()
    }

    /// Ids of every operation of `action` (e.g. `revoke`) on `target`, oldest first.
    pub fn operations(&self, action: &str, target: &str) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut st = conn
            .prepare("SELECT operation_id FROM activity WHERE kind = 'operation_started' AND action = ?1 AND target = ?2 ORDER BY id")
            .map_err(db)?;
        let rows = st.query_map([action, target], |r| r.get(0)).map_err(db)?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(db)
    }

    /// Runs raw SQL against the database (tests prove the triggers refuse UPDATE/DELETE).
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> Result<usize> {
        self.lock().execute(sql, []).map_err(db)
    }
}
