//! CMEK Desk's local activity log: every change the app makes (sign-in, each write call, revoke,
//! recover, key actions), with who, when, what, before and after, in an embedded SQLite
//! database in the app data folder ([`DB_FILE_NAME`]).
//!
//! Rules (issue #5; ARCHITECTURE.md invariant 3):
//! - **Append-only.** SQLite triggers abort every `UPDATE` and `DELETE` on the log and the
//!   snapshot tables; this crate only ever `INSERT`s.
//! - **Written before and after each change.** A change is an [`EntryKind::Intent`] row
//!   (committed, fsynced: WAL with `synchronous=FULL`) before the call and an
//!   [`EntryKind::Outcome`] row after it, so a crash leaves a truthful record: an intent without
//!   an outcome means "sent or about to be sent, result unknown".
//! - **Operations** (a revocation, a recovery, a key action) group entries under one
//!   `operation_id`, opened by [`EntryKind::OperationStarted`] and closed by
//!   [`EntryKind::OperationFinished`]; [`ActivityLog::pending_operations`] lists the ones a
//!   crash interrupted, for the app to offer "finish" or "roll back" on start-up.
//! - **Recovery snapshots** live in the same file (`snapshots` table) and survive restarts.
//! - **No secret ever.** Entries are built from `&str` labels and `impl Serialize` values;
//!   `cmek_core::Secret` implements neither `Serialize` nor a revealing `Display`, so it cannot
//!   be written (tested by scanning the database file bytes).

mod chain;
mod export;
pub use cmek_core::files;
mod head;
mod log;
mod pending;

pub use chain::{BadEntry, ChainKey, ChainVerification};
pub use export::ExportFormat;
pub use head::{folder_id, ChainHead, HeadStore, REPLACED_ACTION};
pub use log::{ActivityLog, DB_FILE_NAME};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// What a log row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EntryKind {
    /// A single fact (sign-in, sign-out, export): no before/after pair.
    Event,
    /// An operation (revoke, recover, key action) begins; `before` holds its request.
    OperationStarted,
    /// A change is about to be sent; `before` holds the state it was decided on.
    Intent,
    /// The change's result; `intent_id` points at its intent, `after` holds the observed state.
    Outcome,
    /// The operation ended (`status` says how); `after` holds its report.
    OperationFinished,
}

/// Result of an outcome or a finished operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EntryStatus {
    /// Intent written, no outcome yet.
    Pending,
    Ok,
    /// Nothing needed doing (already in the wanted state).
    Skipped,
    Failed,
    Cancelled,
    /// An interrupted operation was rolled back (recovered) instead of finished.
    RolledBack,
}

impl EntryStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::RolledBack => "rolled_back",
        }
    }
}

/// One row of the activity log, as shown and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityEntry {
    /// Monotonic row id (insertion order).
    #[ts(type = "number")]
    pub id: i64,
    /// RFC 3339 UTC time the row was written.
    pub at: String,
    /// Who: the signed-in Google identity (`user:…`) or `app` for the app itself.
    pub actor: String,
    /// The operation this row belongs to, if any.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    pub kind: EntryKind,
    /// Machine name of the action, e.g. `revoke.remove_access`, `iam.setIamPolicy`, `sign_in`.
    pub action: String,
    /// The resource acted on (resource name, service-account email, cluster id).
    pub target: String,
    /// One human sentence.
    pub summary: String,
    /// State before (or the request), as JSON.
    #[ts(optional, type = "unknown")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Observed state after, as JSON.
    #[ts(optional, type = "unknown")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<EntryStatus>,
    /// The domain error of a failed change.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<cmek_core::Error>,
    /// For an outcome: the id of its intent.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<i64>,
}

/// An operation that was started and never finished (the app crashed or was killed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PendingOperation {
    pub operation_id: String,
    /// The operation's action, e.g. `revoke`.
    pub action: String,
    pub target: String,
    pub actor: String,
    pub started_at: String,
    pub summary: String,
    /// Actions of the intents that got an `ok`/`skipped` outcome, in order.
    pub completed: Vec<String>,
    /// Intents without an outcome: sent or about to be sent when the process died; re-read
    /// the resource before deciding (the change may or may not have happened).
    pub unresolved: Vec<ActivityEntry>,
    /// True when a recovery snapshot was saved for this operation.
    pub has_snapshot: bool,
    /// False when the log's tamper-evident chain does not verify
    /// ([`ActivityLog::verify`]): nothing may finish or roll back this operation.
    #[serde(default)]
    pub trusted: bool,
}

/// The JSON of any serialisable value (`null` if it cannot be serialised).
pub fn to_json<T: Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
