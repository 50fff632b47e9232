//! The chain head kept outside the database (issue 13; ARCHITECTURE.md invariant 15): the
//! latest (sequence number, row hash) of a log, stored next to the chain key in the OS keychain
//! and rewritten after every append, so that deleting the newest rows (with their chain rows,
//! after dropping the triggers) or putting an older copy of the file back is detected: the
//! chain in the file then ends before the head the keychain remembers.
//!
//! - **Which log.** A log is named by its [`log_id`]: the first 32 hex characters of the hash
//!   of its first chain record. That record is MAC'd under the keychain key, so nobody without
//!   the key can make a file that claims a new id (and so a missing head); two data folders
//!   (tests, another build) have different ids and never share a head.
//! - **Order.** The head is written after the row's transaction commits and read before the
//!   chain is walked, so a head never names a row another reader cannot see yet. A file *ahead*
//!   of its head is fine (every row past it is chained and MAC'd: the process stopped between
//!   the commit and the keychain write, or a second process's write came in first); a file that
//!   ends *before* its head, or holds another record at the head's number, is not trustworthy.
//! - **Not a secret.** The value is `v1 <seq> <hash> <table> <row ref>`; it proves nothing
//!   alone, the keychain only keeps it out of reach of whoever can edit the file.
//! - **Missing head.** A log with records and no head in the keychain (written before heads
//!   were kept, or the first keychain write never happened) gets its head recorded as found
//!   when it is opened ([`crate::ActivityLog::open_with_head`]); the verification says so.
//! - **No wash-out.** A file that does not reach its head when opened, or an append that comes
//!   out at or below the head this run knows, freezes the head for the run: new entries on a
//!   truncated file never overwrite the head that proves the truncation.
//! - **Which log lives in this folder.** The store also remembers, per data folder
//!   ([`folder_id`]: SHA-256 of the database file's canonical path), the id of the log kept
//!   there: written with the log's first chain record, and at open when the file holds another
//!   log whose head it reaches (or that is recorded as found). A file opened with no chain
//!   record (deleted, or its tables emptied) in a folder whose remembered log has a stored head
//!   means that log is gone: the new log's first entry records it
//!   ([`REPLACED_ACTION`], with the old log's id and head), chained and MAC'd like any entry,
//!   so [`crate::ActivityLog::verify`] reports it on every later run
//!   ([`crate::ChainVerification::notice`]) and appends never wash it out. Nothing is refused
//!   for it (the new log has nothing to finish or roll back). A folder the store knows nothing
//!   of (a fresh install) starts with no notice; two folders never see each other's logs.
//! - **Cost.** One keychain write per appended row: 4.2 ms per write measured on gnome-keyring
//!   (`crates/keychain/tests/secret_service.rs`, mean of 50), next to the fsync of the row.

use crate::chain::ChainVerification;
use cmek_core::{Error, ErrorCode, Result};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Action of the event that opens a log replacing one that was deleted or emptied.
pub const REPLACED_ACTION: &str = "activity.log_replaced";

/// The id of the data folder whose database file is `db` (canonical path): the first 32 hex
/// characters of its SHA-256.
pub fn folder_id(db: &Path) -> String {
    let digest = Sha256::digest(db.as_os_str().as_encoded_bytes());
    hex::encode(digest).chars().take(32).collect()
}

fn is_log_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The newest chain record of a log, as kept in the keychain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Chain sequence number (1-based; entries and recovery snapshots share it).
    pub seq: i64,
    /// The record's hash (64 hex characters).
    pub hash: String,
    /// `activity` or `snapshots`: the table of the row the record chains.
    pub table: String,
    /// The row: an entry number (`activity`) or an operation id (`snapshots`).
    pub row_ref: String,
}

impl ChainHead {
    /// The stored form: `v1 <seq> <hash> <table> <row ref>`.
    pub fn to_value(&self) -> String {
        format!(
            "v1 {} {} {} {}",
            self.seq, self.hash, self.table, self.row_ref
        )
    }

    /// Parses the stored form. Errors: `Keychain` when the value is not one this app wrote
    /// (the entry was altered).
    pub fn parse(value: &str) -> Result<Self> {
        let altered = || {
            Error::new(
                ErrorCode::Keychain,
                "The activity log's head in the keychain is not in the form the app writes; it \
                 was altered. The log cannot be verified.",
            )
        };
        let mut parts = value.trim().splitn(5, ' ');
        if parts.next() != Some("v1") {
            return Err(altered());
        }
        let seq = parts
            .next()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .ok_or_else(altered)?;
        let hash = parts
            .next()
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(altered)?;
        let table = parts
            .next()
            .filter(|t| matches!(*t, "activity" | "snapshots"))
            .ok_or_else(altered)?;
        let row_ref = parts.next().filter(|r| !r.is_empty()).ok_or_else(altered)?;
        Ok(Self {
            seq,
            hash: hash.to_owned(),
            table: table.to_owned(),
            row_ref: row_ref.to_owned(),
        })
    }
}

/// Where chain heads are kept outside the database: the OS keychain in the app
/// (`cmek_desk_core::activity`), next to the chain key. Implementations may block (a keychain
/// round trip); errors are `Keychain` errors with the fix.
pub trait HeadStore: Send + Sync {
    /// The head of log `log_id`, `None` when none was ever stored.
    fn load(&self, log_id: &str) -> Result<Option<ChainHead>>;
    /// Replaces the head of log `log_id`.
    fn save(&self, log_id: &str, head: &ChainHead) -> Result<()>;
    /// The id of the log last kept in data folder `folder_id` ([`folder_id`]), `None` when
    /// none was stored (the default: a store that does not keep it never reports a deleted
    /// log).
    fn load_folder_log(&self, folder_id: &str) -> Result<Option<String>> {
        let _ = folder_id;
        Ok(None)
    }
    /// Remembers that log `log_id` lives in data folder `folder_id`.
    fn save_folder_log(&self, folder_id: &str, log_id: &str) -> Result<()> {
        let _ = (folder_id, log_id);
        Ok(())
    }
}

/// The log the folder remembered, found gone at open: its id and its stored head.
pub(crate) struct GoneLog {
    pub(crate) log_id: String,
    pub(crate) head: ChainHead,
}

impl GoneLog {
    /// The event's summary (the notice without the new log's start).
    pub(crate) fn summary(&self) -> String {
        gone_sentence(&self.log_id, self.head.seq)
    }

    /// The event's details.
    pub(crate) fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "previousLogId": self.log_id,
            "previousHeadSeq": self.head.seq,
            "previousHeadHash": self.head.hash,
            "previousHeadRow": row_name(&self.head),
        })
    }
}

fn gone_sentence(log_id: &str, seq: i64) -> String {
    let records = if seq == 1 {
        "1 chain record".to_owned()
    } else {
        format!("{seq} chain records")
    };
    format!(
        "The activity log that was here (log {}, {records}) was deleted or emptied; its records \
         are gone.",
        log_id.chars().take(8).collect::<String>()
    )
}

/// The notice of a log whose first chain record (already verified) is the
/// [`REPLACED_ACTION`] event: one sentence with the start of this log.
pub(crate) fn replaced_notice(conn: &Connection) -> Result<Option<String>> {
    let first: Option<(String, String, String, String, Option<String>)> = conn
        .query_row(
            "SELECT a.at, a.actor, a.kind, a.action, a.after_json FROM chain c \
             JOIN activity a ON c.tbl = 'activity' AND c.row_ref = CAST(a.id AS TEXT) \
             WHERE c.seq = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(crate::log::db)?;
    let Some((at, actor, kind, action, after)) = first else {
        return Ok(None);
    };
    if action != REPLACED_ACTION || actor != "app" || kind != "event" {
        return Ok(None);
    }
    let details: serde_json::Value = after
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default();
    let id = details["previousLogId"].as_str().unwrap_or("unknown");
    let seq = details["previousHeadSeq"].as_i64().unwrap_or(0);
    Ok(Some(format!(
        "{} This log started {at}.",
        gone_sentence(id, seq)
    )))
}

/// What an open log knows of its head: the store, what happened at open, and whether heads
/// may still move in this run.
pub(crate) struct HeadKeeper {
    store: Option<Arc<dyn HeadStore>>,
    /// The data folder's id ([`folder_id`]).
    folder: String,
    /// The head recorded as found at open because the store had none.
    sealed: Option<ChainHead>,
    state: Mutex<KeeperState>,
}

#[derive(Default)]
struct KeeperState {
    /// The newest head this run knows was stored (loaded at open or saved since).
    known_seq: i64,
    /// Set when the file does not reach the stored head (at open, or an append came out at or
    /// below the known head): heads stop moving, so new entries never wash a truncation out.
    frozen: Option<String>,
    /// The last head the store refused (cleared by the next one it takes).
    refused: Option<(i64, Error)>,
    /// Which log lives in this folder could not be read or saved: one clause. Then the
    /// folder's entry is not rewritten in this run (a log found gone stays remembered).
    folder_problem: Option<String>,
}

impl HeadKeeper {
    pub(crate) fn new(store: Option<Arc<dyn HeadStore>>, folder: String) -> Self {
        Self {
            store,
            folder,
            sealed: None,
            state: Mutex::new(KeeperState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, KeeperState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// At open: loads the stored head; a log with records and no head gets its current head
    /// recorded as found; a file that does not reach its head (or a store that cannot be read)
    /// freezes the head for this run. A file with no chain record in a folder whose remembered
    /// log has a stored head returns that log (gone: the caller records it as the first entry);
    /// a log whose head is reached (or recorded as found) becomes the folder's log.
    pub(crate) fn at_open(&mut self, conn: &Connection) -> Result<Option<GoneLog>> {
        let Some(store) = self.store.clone() else {
            return Ok(None);
        };
        let remembered = match store.load_folder_log(&self.folder) {
            Ok(Some(id)) if !is_log_id(&id) => Err(Error::new(
                ErrorCode::Keychain,
                "its entry is not in the form the app writes; it was altered",
            )),
            other => other,
        };
        let remembered = match remembered {
            Ok(r) => r,
            Err(e) => {
                self.state().folder_problem = Some(format!(
                    "Which log lives in this folder could not be read from the keychain ({})",
                    e.message.trim_end_matches('.')
                ));
                None
            }
        };
        let Some(id) = log_id(conn)? else {
            let Some(old) = remembered else {
                return Ok(None);
            };
            return Ok(match store.load(&old) {
                Ok(Some(head)) if head.seq >= 1 => Some(GoneLog { log_id: old, head }),
                Ok(_) => None,
                Err(e) => {
                    self.state().folder_problem = Some(format!(
                        "The head of the log that was in this folder could not be read from the \
                         keychain ({})",
                        e.message.trim_end_matches('.')
                    ));
                    None
                }
            });
        };
        let loaded = store.load(&id);
        if let Ok(Some(h)) = &loaded {
            self.state().known_seq = h.seq;
        }
        let trusted = match compare(conn, loaded)? {
            HeadCheck::Reached | HeadCheck::Empty => true,
            HeadCheck::Missing { .. } => {
                if let Some(last) = last(conn)? {
                    self.committed(conn, &last);
                    if self.state().refused.is_none() {
                        self.sealed = Some(last);
                    }
                }
                self.sealed.is_some()
            }
            HeadCheck::Broken { reason, .. } => {
                self.state().frozen = Some(reason);
                false
            }
            HeadCheck::Unreadable(e) => {
                self.state().frozen = Some(format!(
                    "the keychain could not be read when the log was opened ({})",
                    e.message.trim_end_matches('.')
                ));
                false
            }
        };
        if trusted && remembered.as_deref() != Some(id.as_str()) {
            self.remember(store.as_ref(), &id);
        }
        Ok(None)
    }

    /// Saves `log_id` as this folder's log (not after the folder's entry failed this run).
    fn remember(&self, store: &dyn HeadStore, log_id: &str) {
        let mut state = self.state();
        if state.folder_problem.is_some() {
            return;
        }
        if let Err(e) = store.save_folder_log(&self.folder, log_id) {
            state.folder_problem = Some(format!(
                "The keychain did not take which log lives in this folder ({})",
                e.message.trim_end_matches('.')
            ));
        }
    }

    /// Saves `new_head` (just committed; the caller holds the connection, so this run's heads
    /// go out in order). Never fails the append: a refusal is kept and said by `annotate` (the
    /// rows past the stored head are still chained and MAC'd; only their deletion would go
    /// unnoticed).
    pub(crate) fn committed(&self, conn: &Connection, new_head: &ChainHead) {
        let Some(store) = &self.store else {
            return;
        };
        let mut state = self.state();
        if state.frozen.is_some() {
            return;
        }
        if new_head.seq <= state.known_seq {
            state.frozen = Some(format!(
                "the file went back to chain record {} after record {} was written",
                new_head.seq, state.known_seq
            ));
            return;
        }
        let id = if new_head.seq == 1 {
            Ok(Some(new_head.hash.chars().take(32).collect()))
        } else {
            log_id(conn)
        };
        let result = match id {
            Ok(Some(id)) => store.save(&id, new_head),
            Ok(None) => Err(Error::internal("activity chain: no first record")),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                state.known_seq = new_head.seq;
                state.refused = None;
            }
            Err(e) => state.refused = Some((new_head.seq, e)),
        }
        if new_head.seq == 1 {
            drop(state);
            let id: String = new_head.hash.chars().take(32).collect();
            self.remember(store.as_ref(), &id);
        }
    }

    /// The stored head for `verify` (`None`: heads are not kept), read before the chain.
    pub(crate) fn load(
        &self,
        conn: &Connection,
    ) -> Result<Option<std::result::Result<Option<ChainHead>, Error>>> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        Ok(Some(match log_id(conn)? {
            Some(id) => store.load(&id),
            None => Ok(None),
        }))
    }

    /// Adds to a trustworthy verification's message what weakens it in this run: a head
    /// recorded as found, a head the keychain refused, heads frozen.
    pub(crate) fn annotate(&self, v: &mut ChainVerification) {
        if !v.trustworthy {
            return;
        }
        if let Some(sealed) = &self.sealed {
            v.message = format!(
                "{} The keychain held no head for it: it was recorded as found at {}.",
                v.message,
                row_name(sealed)
            );
        }
        let state = self.state();
        if let Some((seq, e)) = &state.refused {
            v.message = format!(
                "{} The keychain did not take the head at chain record {seq} ({}): deleting the \
                 newest entries would not be noticed until it does.",
                v.message,
                e.message.trim_end_matches('.')
            );
        }
        if let Some(why) = &state.frozen {
            v.message = format!(
                "{} The head is not moved in this run ({why}): deleting entries written since \
                 would not be noticed.",
                v.message
            );
        }
        if let Some(why) = &state.folder_problem {
            v.message = format!(
                "{} {why}: deleting or emptying the whole file would not be noticed.",
                v.message
            );
        }
    }
}

/// The id of the log in `conn`: the first 32 hex characters of its first chain record's hash
/// (`None`: no record yet).
pub(crate) fn log_id(conn: &Connection) -> Result<Option<String>> {
    let first: Option<String> = conn
        .query_row("SELECT hash FROM chain WHERE seq = 1", [], |r| r.get(0))
        .optional()
        .map_err(crate::log::db)?;
    Ok(first.map(|h| h.chars().take(32).collect()))
}

/// The newest chain record in the file (`None`: empty chain).
pub(crate) fn last(conn: &Connection) -> Result<Option<ChainHead>> {
    conn.query_row(
        "SELECT seq, hash, tbl, row_ref FROM chain ORDER BY seq DESC LIMIT 1",
        [],
        |r| {
            Ok(ChainHead {
                seq: r.get(0)?,
                hash: r.get(1)?,
                table: r.get(2)?,
                row_ref: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(crate::log::db)
}

/// The record at `seq` in the file.
fn at(conn: &Connection, seq: i64) -> Result<Option<ChainHead>> {
    conn.query_row(
        "SELECT seq, hash, tbl, row_ref FROM chain WHERE seq = ?1",
        [seq],
        |r| {
            Ok(ChainHead {
                seq: r.get(0)?,
                hash: r.get(1)?,
                table: r.get(2)?,
                row_ref: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(crate::log::db)
}

/// The row a head names, for a person: `entry #41` or `the recovery snapshot of operation X`.
pub(crate) fn row_name(h: &ChainHead) -> String {
    match h.table.as_str() {
        "activity" => format!("entry #{}", h.row_ref),
        _ => format!("the recovery snapshot of operation {}", h.row_ref),
    }
}

/// What the head check found.
pub(crate) enum HeadCheck {
    /// The file reaches the head (or is ahead of it).
    Reached,
    /// The file has no record yet and the keychain no head: a new log.
    Empty,
    /// The keychain holds no head for this log (and none was recorded at this open).
    Missing { log_id: String },
    /// The file ends before the head, or holds another record at its number: one sentence.
    Broken { seq: i64, reason: String },
    /// The keychain could not be read.
    Unreadable(Error),
}

/// Compares the file's chain with `head` (loaded *before* the chain is read).
pub(crate) fn compare(
    conn: &Connection,
    head: std::result::Result<Option<ChainHead>, Error>,
) -> Result<HeadCheck> {
    let head = match head {
        Ok(h) => h,
        Err(e) => return Ok(HeadCheck::Unreadable(e)),
    };
    let last = last(conn)?;
    let Some(head) = head else {
        return Ok(match log_id(conn)? {
            None => HeadCheck::Empty,
            Some(log_id) => HeadCheck::Missing { log_id },
        });
    };
    let ends = match &last {
        Some(l) => format!("it ends at {} (chain record {})", row_name(l), l.seq),
        None => "it holds no entry".to_owned(),
    };
    if last.as_ref().is_none_or(|l| l.seq < head.seq) {
        return Ok(HeadCheck::Broken {
            seq: head.seq,
            reason: format!(
                "{ends} but {} (chain record {}) was written: its newest entries were deleted, or \
                 an older copy of the file was put back",
                row_name(&head),
                head.seq
            ),
        });
    }
    match at(conn, head.seq)? {
        Some(r) if r.hash == head.hash => Ok(HeadCheck::Reached),
        _ => Ok(HeadCheck::Broken {
            seq: head.seq,
            reason: format!(
                "chain record {} is not the one that was written ({}): entries were deleted and \
                 others written in their place, or the file was replaced by another copy of this \
                 log",
                head.seq,
                row_name(&head)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_refuses_what_the_app_never_writes() {
        let h = ChainHead {
            seq: 47,
            hash: "ab".repeat(32),
            table: "snapshots".into(),
            row_ref: "3f0c-op".into(),
        };
        assert_eq!(ChainHead::parse(&h.to_value()).unwrap(), h);
        for bad in [
            "",
            "v2 47 x activity 1",
            &format!("v1 0 {} activity 1", "ab".repeat(32)),
            &format!("v1 -3 {} activity 1", "ab".repeat(32)),
            "v1 47 short activity 1",
            &format!("v1 47 {} chain 1", "ab".repeat(32)),
            &format!("v1 47 {} activity", "ab".repeat(32)),
        ] {
            let e = ChainHead::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::Keychain, "{bad:?}");
            assert!(e.message.contains("altered"), "{}", e.message);
        }
    }
}
