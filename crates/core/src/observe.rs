//! A hook on every write call a client sends, so the app core can record an intent before and
//! an outcome after each one in the activity log (issue 8: "every change is logged"; ARCHITECTURE
//! invariant 9). The Google HTTP layer and the CockroachDB client call it per attempt, so the
//! log holds exactly one intent and one outcome for each write request that left the app.

use crate::error::{Error, Result};
use serde_json::Value;

/// One write request about to be sent. No secret: the token is a header, never part of this.
#[derive(Debug, Clone, Copy)]
pub struct WriteCall<'a> {
    /// `google` or `cockroach`.
    pub service: &'a str,
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The URL without its query.
    pub url: &'a str,
    /// The query pairs (resource ids such as `keyRingId`, update masks).
    pub query: &'a [(String, String)],
    /// The JSON body, if any.
    pub body: Option<&'a Value>,
}

/// Records write calls. `before` runs before the request is sent; when it fails, the request
/// is not sent (a change that cannot be recorded is not made) and its error is returned.
pub trait WriteObserver: Send + Sync {
    /// Records the intent; returns a token for [`WriteObserver::after`].
    fn before(&self, call: &WriteCall<'_>) -> Result<i64>;
    /// Records the outcome of the call whose intent returned `token`: the answer's JSON, or
    /// the error (including "could not reach", where the call may or may not have arrived).
    fn after(&self, token: i64, outcome: std::result::Result<&Value, &Error>);
}
