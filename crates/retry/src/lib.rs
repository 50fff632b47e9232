//! `cmek-retry`: the one retry module of CMEK Desk (Tauri-free).
//!
//! - [`may_retry`] is the one rule deciding whether a failed HTTP attempt may be sent again,
//!   by [`CallKind`]: 429 and 503 for every call (after `Retry-After`); 500/502/504, transport
//!   failures and time-outs only for reads and idempotent writes; nothing else, ever.
//! - [`policy`] names every bounded repetition with its source: transient HTTP failures, IAM
//!   propagation (B09), not-yet-visible new resources (B06, B07), etag conflicts, operation and
//!   status polling.
//! - [`retry`] and [`poll`] run an operation or a check under a policy with backoff, jitter and
//!   `Retry-After`, and stop at once when their [`CancellationToken`] is cancelled.
//! - [`WritePacer`] paces every write attempt per service and project, so nested loops cannot
//!   multiply writes beyond a quota (KMS: 60 writes/min).
//!
//! Used by `cmek-gcp` and `cmek-cockroach` at their HTTP layers, and by `cmek-setup` and
//! `cmek-revoke` for their waits. Nothing else in the workspace sleeps in a loop.

mod pace;
pub mod policy;
mod rule;
mod run;
pub mod test_clock;

pub use pace::{pacing_key, Pacing, WritePacer, COCKROACH_WRITES, GOOGLE_WRITES};
pub use policy::Policy;
pub use rule::{may_retry, CallKind};
pub use run::{cancelled, poll, quietly, retry, Check, Wait};
/// Re-exported so callers can name the token without depending on `tokio-util` themselves.
pub use tokio_util::sync::CancellationToken;
