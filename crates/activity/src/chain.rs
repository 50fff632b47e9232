//! The tamper-evident chain over the activity log (issue 13; ARCHITECTURE.md invariant 15).
//!
//! Every row the app writes (an `activity` entry or a `snapshots` row) gets one `chain` row in
//! the same transaction: `hash = SHA-256(domain, table, row id, previous hash, canonical
//! content)` and `mac = HMAC-SHA-256(key, domain, seq, hash)`. The canonical content is the JSON
//! array of the row's stored column values in a fixed order ([`ACTIVITY_COLUMNS`],
//! [`SNAPSHOT_COLUMNS`]), so any change to any stored value changes the hash.
//!
//! The key ([`ChainKey`], 32 random bytes) lives in the OS keychain (the desk keeps it under
//! `cmek_keychain::keys::ACTIVITY_LOG_KEY`), never in the database: a row forged with the
//! `sqlite3` shell has no chain row or a chain row whose MAC does not verify; an UPDATE after a
//! `DROP TRIGGER` changes the hash; a database swapped in from elsewhere was chained under
//! another key. [`verify`] names the first bad entry.
//!
//! Migration: a database written before the chain existed is sealed once, as found, at open —
//! only when the caller says the key was just created (first use on this keychain); otherwise
//! its unchained rows are reported as untrusted. Deleting the newest rows together with their
//! chain rows (after dropping the triggers), or putting an older copy of the file back, leaves
//! a shorter chain that links and MACs correctly: the head kept in the keychain (module `head`)
//! catches it.

use crate::head::{ChainHead, HeadCheck};
use cmek_core::{Error, ErrorCode, Result, Secret};
use hmac::{Hmac, KeyInit, Mac};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use zeroize::Zeroizing;

/// Domain separator of every hash and MAC (bump on any change of the rule).
const DOMAIN: &str = "cmek-desk activity chain v1";
/// `prev_hash` of the first chain row.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Stored columns of an `activity` row, in canonical order.
pub(crate) const ACTIVITY_COLUMNS: &str = "id, at, actor, operation_id, kind, action, target, summary, before_json, after_json, status, error_json, intent_id";
/// Stored columns of a `snapshots` row, in canonical order.
pub(crate) const SNAPSHOT_COLUMNS: &str = "operation_id, created_at, kind, target, data";

/// The append-only triggers a trustworthy database has.
pub(crate) const TRIGGERS: [&str; 6] = [
    "activity_no_update",
    "activity_no_delete",
    "snapshots_no_update",
    "snapshots_no_delete",
    "chain_no_update",
    "chain_no_delete",
];

pub(crate) const CHAIN_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS chain (
    seq       INTEGER PRIMARY KEY,
    tbl       TEXT NOT NULL,
    row_ref   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    mac       TEXT NOT NULL,
    UNIQUE (tbl, row_ref)
);
CREATE TRIGGER IF NOT EXISTS chain_no_update BEFORE UPDATE ON chain
    BEGIN SELECT RAISE(ABORT, 'the activity chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS chain_no_delete BEFORE DELETE ON chain
    BEGIN SELECT RAISE(ABORT, 'the activity chain is append-only'); END;
"#;

/// The 32-byte HMAC key that authenticates the chain. Cannot be printed or serialised; zeroed
/// on drop. Kept in the OS keychain as 64 hex characters.
#[derive(Clone)]
pub struct ChainKey {
    bytes: Zeroizing<[u8; 32]>,
    authenticated: bool,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(redacted)")
    }
}

impl ChainKey {
    /// A new random key from the OS random source. Errors: the OS has no random source.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut())
            .map_err(|e| Error::internal(format!("no OS random source for the log key: {e}")))?;
        Ok(Self {
            bytes,
            authenticated: true,
        })
    }

    /// The key from its keychain form (64 hex characters). Errors: `Keychain` when the stored
    /// value is not 64 hex characters (the entry was altered).
    pub fn from_secret(secret: &Secret) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(secret.expose().trim(), bytes.as_mut()).map_err(|_| {
            Error::new(
                ErrorCode::Keychain,
                "The activity log key in the keychain is not 64 hexadecimal characters; it was \
                 altered. The log cannot be verified.",
            )
        })?;
        Ok(Self {
            bytes,
            authenticated: true,
        })
    }

    /// The keychain form (64 hex characters).
    pub fn to_secret(&self) -> Secret {
        Secret::new(hex::encode(self.bytes.as_ref()))
    }

    /// A fixed, public all-zero key for tools and tests that open a log without a keychain
    /// ([`crate::ActivityLog::open`]): the chain still detects accidental or naive changes but
    /// proves nothing against a forger, and [`ChainVerification::authenticated`] is false.
    pub fn unauthenticated() -> Self {
        Self {
            bytes: Zeroizing::new([0u8; 32]),
            authenticated: false,
        }
    }

    /// False for [`ChainKey::unauthenticated`].
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    fn mac(&self, seq: i64, hash: &str) -> String {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes.as_ref())
            .expect("HMAC takes a key of any length");
        m.update(format!("{DOMAIN}\n{seq}\n{hash}").as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    fn mac_ok(&self, seq: i64, hash: &str, mac: &str) -> bool {
        let Ok(tag) = hex::decode(mac) else {
            return false;
        };
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes.as_ref())
            .expect("HMAC takes a key of any length");
        m.update(format!("{DOMAIN}\n{seq}\n{hash}").as_bytes());
        m.verify_slice(&tag).is_ok()
    }
}

/// The first entry that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BadEntry {
    /// `activity` (an entry, `id` is its number), `snapshots` (`id` is the operation id),
    /// `chain` (`id` is the chain sequence number) or `head` (the file against the head kept in
    /// the keychain: `id` is the head's chain sequence number, or `keychain` when it has none or
    /// cannot be read).
    pub table: String,
    pub id: String,
    /// What is wrong, as one sentence.
    pub reason: String,
}

/// The result of checking the whole chain (start-up, and before finish or roll back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChainVerification {
    /// True when every row is chained, every hash matches and every MAC verifies.
    pub trustworthy: bool,
    /// True when the key came from the keychain (false: [`ChainKey::unauthenticated`]).
    pub authenticated: bool,
    /// Chain rows checked.
    #[ts(type = "number")]
    pub checked: u64,
    /// The first bad entry (`None` when trustworthy).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BadEntry>,
    /// One sentence for the banner and `cmek activity`.
    pub message: String,
    /// Set when this log replaced one that was deleted or emptied (its first entry says so,
    /// module `head`): one sentence, also in `message`, to show even when the log is
    /// trustworthy.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl ChainVerification {
    /// `Ok` when trustworthy; else a `FailedPrecondition` error naming the first bad entry and
    /// saying that `what` is refused and export still works.
    pub fn require(&self, what: &str) -> Result<()> {
        if self.trustworthy {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "{} {what} is refused: it would act on entries nobody can vouch for. The log \
                 can still be exported.",
                self.message
            ),
        ))
    }
}

fn json_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => serde_json::json!({ "blob": hex::encode(b) }),
    }
}

/// The canonical content of one row (`None`: no such row).
fn content(conn: &Connection, tbl: &str, row_ref: &str) -> Result<Option<String>> {
    let (cols, key) = match tbl {
        "activity" => (ACTIVITY_COLUMNS, "id"),
        "snapshots" => (SNAPSHOT_COLUMNS, "operation_id"),
        other => return Err(Error::internal(format!("activity chain: no table {other}"))),
    };
    let n = cols.split(',').count();
    let sql = format!("SELECT {cols} FROM {tbl} WHERE CAST({key} AS TEXT) = ?1");
    conn.query_row(&sql, [row_ref], |r| {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(json_of(r.get_ref(i)?));
        }
        Ok(Value::Array(values).to_string())
    })
    .optional()
    .map_err(crate::log::db)
}

fn hash(tbl: &str, row_ref: &str, prev: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{DOMAIN}\n{tbl}\n{row_ref}\n{prev}\n").as_bytes());
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// Chains the row `(tbl, row_ref)` just inserted (call inside the inserting transaction);
/// returns the new head, for the keychain once the transaction commits (module `head`).
pub(crate) fn append(
    conn: &Connection,
    key: &ChainKey,
    tbl: &str,
    row_ref: &str,
) -> Result<ChainHead> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(crate::log::db)?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let body = content(conn, tbl, row_ref)?
        .ok_or_else(|| Error::internal(format!("activity chain: {tbl} {row_ref} vanished")))?;
    let h = hash(tbl, row_ref, &prev, &body);
    conn.execute(
        "INSERT INTO chain (seq, tbl, row_ref, prev_hash, hash, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, tbl, row_ref, prev, h, key.mac(seq, &h)],
    )
    .map_err(crate::log::db)?;
    Ok(ChainHead {
        seq,
        hash: h,
        table: tbl.to_owned(),
        row_ref: row_ref.to_owned(),
    })
}

/// Rows of `activity` (by id) and `snapshots` (by operation id) that have no chain row, in
/// insertion order.
pub(crate) fn unchained(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (tbl, sql) in [
        ("activity", "SELECT CAST(id AS TEXT) FROM activity WHERE CAST(id AS TEXT) NOT IN (SELECT row_ref FROM chain WHERE tbl = 'activity') ORDER BY id"),
        ("snapshots", "SELECT operation_id FROM snapshots WHERE operation_id NOT IN (SELECT row_ref FROM chain WHERE tbl = 'snapshots') ORDER BY rowid"),
    ] {
        let mut st = conn.prepare(sql).map_err(crate::log::db)?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(crate::log::db)?;
        for r in rows {
            out.push((tbl.to_owned(), r.map_err(crate::log::db)?));
        }
    }
    Ok(out)
}

/// Seals every unchained row as found (the one-time migration; see the module doc); returns
/// how many and the new head.
pub(crate) fn adopt(conn: &Connection, key: &ChainKey) -> Result<(usize, Option<ChainHead>)> {
    let rows = unchained(conn)?;
    let mut head = None;
    for (tbl, row_ref) in &rows {
        head = Some(append(conn, key, tbl, row_ref)?);
    }
    Ok((rows.len(), head))
}

fn bad(tbl: &str, id: impl Into<String>, reason: impl Into<String>) -> BadEntry {
    BadEntry {
        table: tbl.to_owned(),
        id: id.into(),
        reason: reason.into(),
    }
}

fn describe(b: &BadEntry) -> String {
    match b.table.as_str() {
        "activity" => format!("entry #{}: {}", b.id, b.reason),
        "snapshots" => format!("the recovery snapshot of operation {}: {}", b.id, b.reason),
        "head" => b.reason.clone(),
        _ => format!("chain record {}: {}", b.id, b.reason),
    }
}

/// Checks the whole chain: links, hashes, MACs under `key`, rows outside the chain, the
/// append-only triggers (`missing_triggers`, found at open before they were re-created), and
/// the file against the head kept in the keychain (`head`, loaded before the chain is read).
pub(crate) fn verify(
    conn: &Connection,
    key: &ChainKey,
    missing_triggers: &[String],
    head: Option<std::result::Result<Option<ChainHead>, Error>>,
) -> Result<ChainVerification> {
    let mut st = conn
        .prepare("SELECT seq, tbl, row_ref, prev_hash, hash, mac FROM chain ORDER BY seq")
        .map_err(crate::log::db)?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(crate::log::db)?;
    let mut prev = GENESIS.to_owned();
    let mut checked = 0u64;
    let mut first_bad = None;
    // The first record verified: a replaced-log notice in it can be believed.
    let mut first_ok = false;
    for row in rows {
        let (seq, tbl, row_ref, prev_hash, h, mac) = row.map_err(crate::log::db)?;
        checked += 1;
        let problem = if prev_hash != prev {
            Some(bad(
                "chain",
                seq.to_string(),
                "does not follow the record before it (records were removed or reordered)",
            ))
        } else {
            match content(conn, &tbl, &row_ref)? {
                None => Some(bad(&tbl, &row_ref, "was deleted")),
                Some(body) if hash(&tbl, &row_ref, &prev_hash, &body) != h => {
                    Some(bad(&tbl, &row_ref, "was changed after it was written"))
                }
                Some(_) if !key.mac_ok(seq, &h, &mac) => Some(bad(
                    &tbl,
                    &row_ref,
                    "is not signed by this installation's key (forged, or the file was swapped \
                     in from elsewhere)",
                )),
                Some(_) => None,
            }
        };
        if let Some(p) = problem {
            first_bad = Some(p);
            break;
        }
        first_ok |= seq == 1;
        prev = h;
    }
    drop(st);
    if first_bad.is_none() {
        first_bad = unchained(conn)?.into_iter().next().map(|(tbl, id)| {
            bad(
                &tbl,
                id,
                "was not written by the app (it is outside the tamper-evident chain)",
            )
        });
    }
    if first_bad.is_none() {
        first_bad = missing_triggers.first().map(|t| {
            bad(
                "chain",
                t.clone(),
                format!("the append-only trigger {t} had been removed"),
            )
        });
    }
    if first_bad.is_none() {
        first_bad = head_problem(conn, head)?;
    }
    let mut message = match &first_bad {
        None => format!("The activity log is intact: {checked} entries verified."),
        Some(b) => format!("The activity log is not trustworthy: {}.", describe(b)),
    };
    let notice = if first_ok {
        crate::head::replaced_notice(conn)?
    } else {
        None
    };
    if let Some(n) = &notice {
        message = format!("{message} {n}");
    }
    Ok(ChainVerification {
        trustworthy: first_bad.is_none(),
        authenticated: key.is_authenticated(),
        checked,
        first_bad,
        message,
        notice,
    })
}

/// The head check as a bad entry (`table` `head`, `id` the head's chain record or `keychain`).
fn head_problem(
    conn: &Connection,
    head: Option<std::result::Result<Option<ChainHead>, Error>>,
) -> Result<Option<BadEntry>> {
    let Some(head) = head else {
        return Ok(None);
    };
    Ok(match crate::head::compare(conn, head)? {
        HeadCheck::Reached | HeadCheck::Empty => None,
        HeadCheck::Missing { log_id } => Some(bad(
            "head",
            "keychain",
            format!(
                "the keychain holds no head for this log (id {log_id}), so deleted newest \
                 entries cannot be ruled out"
            ),
        )),
        HeadCheck::Broken { seq, reason } => Some(bad("head", seq.to_string(), reason)),
        HeadCheck::Unreadable(e) => Some(bad(
            "head",
            "keychain",
            format!(
                "its head could not be read from the keychain, so deleted newest entries cannot \
                 be ruled out ({})",
                e.message.trim_end_matches('.')
            ),
        )),
    })
}

/// Names of the append-only triggers the database lacks (before the schema re-creates them).
pub(crate) fn missing_triggers(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in TRIGGERS {
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [t],
                |r| r.get(0),
            )
            .map_err(crate::log::db)?;
        if n == 0 {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// True when the database has a table `name`.
pub(crate) fn has_table(conn: &Connection, name: &str) -> Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(crate::log::db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_round_trips_through_its_keychain_form_and_never_prints() {
        let k = ChainKey::generate().unwrap();
        let back = ChainKey::from_secret(&k.to_secret()).unwrap();
        assert_eq!(k.mac(1, "h"), back.mac(1, "h"));
        assert_eq!(format!("{k:?}"), "ChainKey(redacted)");
        assert!(ChainKey::from_secret(&Secret::new("zz")).is_err());
        assert_ne!(k.mac(1, "h"), ChainKey::generate().unwrap().mac(1, "h"));
        assert!(k.mac_ok(1, "h", &k.mac(1, "h")));
        assert!(!k.mac_ok(2, "h", &k.mac(1, "h")));
    }
}
