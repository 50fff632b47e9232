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

/// Where one call is in its life, for the process-wide call hook ([`set_call_hook`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPoint {
    /// A call attempt (read or write) is about to start: nothing of it is recorded or sent.
    Start,
    /// A write's intent is recorded (when a [`WriteObserver`] is attached) and its request is
    /// about to be sent.
    WriteSend,
    /// A write's answer arrived (or sending it failed): the change may be applied, and its
    /// outcome is not recorded yet.
    WriteAnswered,
    /// The activity log recorded an outcome (`cmek_activity::ActivityLog::outcome`); the site
    /// is [`OUTCOME_SITE`].
    OutcomeLogged,
}

/// The site [`outcome_logged`] reports: no call, the activity log.
pub const OUTCOME_SITE: CallSite<'static> = CallSite {
    service: "activity",
    method: "",
    url: "",
    write: false,
};

/// The call a [`CallPoint`] is about: no body, no query, no secret.
#[derive(Debug, Clone, Copy)]
pub struct CallSite<'a> {
    /// `google`, `cockroach` or `aws`.
    pub service: &'a str,
    /// HTTP method (`POST` for every AWS call).
    pub method: &'a str,
    /// The URL without its query (AWS: the endpoint and `#Action`).
    pub url: &'a str,
    /// True for a call that changes something.
    pub write: bool,
}

/// A process-wide call hook: see [`set_call_hook`].
pub type CallHook = Box<dyn Fn(CallPoint, &CallSite<'_>) + Send + Sync>;

static CALL_HOOK: std::sync::OnceLock<CallHook> = std::sync::OnceLock::new();

/// Installs the process-wide call hook, told of every [`CallPoint`] of every call the HTTP
/// layers (Google, CockroachDB, AWS) make. For test harnesses only: the `cmek` command line
/// installs one in debug builds when `CMEK_DESK_KILL_AT` is set, to kill itself with SIGKILL
/// at an exact write (the crash harness, issue 13). Returns false (and drops `hook`) when a
/// hook is already installed; there is no way to remove one.
pub fn set_call_hook(hook: CallHook) -> bool {
    CALL_HOOK.set(hook).is_ok()
}

/// Tells the installed call hook, if any, that `site` reached `point` (a no-op without one).
/// Called by the HTTP layers once per attempt at each point.
pub fn call_point(point: CallPoint, site: &CallSite<'_>) {
    if let Some(hook) = CALL_HOOK.get() {
        hook(point, site);
    }
}

/// Tells the installed call hook, if any, that the activity log just recorded an outcome
/// ([`CallPoint::OutcomeLogged`]): the crash harness's "after the outcome is logged" point.
pub fn outcome_logged() {
    call_point(CallPoint::OutcomeLogged, &OUTCOME_SITE);
}
