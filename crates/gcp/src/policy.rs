//! Etag-safe IAM edits on any resource CMEK Desk touches (field reports B10, B11, B12).
//!
//! [`edit_policy`] is the only code path that writes an IAM policy: read with
//! `requestedPolicyVersion=3`, apply exactly the caller's grants ([`Policy::apply`]), write
//! with the etag from that read; on 409 ABORTED start again from a *fresh* read and re-apply
//! the same delta, under `cmek_retry::policy::ETAG_CONFLICT` (bounded attempts, backoff with
//! jitter, cancellable through the [`Google`]'s token). A write is skipped when the delta
//! changes nothing, so re-runs make zero write calls.

use crate::Google;
use cmek_core::iam::{EditOutcome, Grant, Policy};
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::policy::ETAG_CONFLICT;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// A resource with an IAM policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyTarget {
    /// `projects/…/cryptoKeys/…` or `projects/…/keyRings/…`.
    Kms(String),
    ServiceAccount {
        project: String,
        email: String,
    },
    Project(String),
}

impl fmt::Display for PolicyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kms(name) => f.write_str(name),
            Self::ServiceAccount { project, email } => {
                write!(f, "projects/{project}/serviceAccounts/{email}")
            }
            Self::Project(p) => write!(f, "projects/{p}"),
        }
    }
}

impl Google {
    /// Reads a policy (version 3, conditions included).
    pub async fn get_policy(&self, target: &PolicyTarget) -> Result<Policy> {
        match target {
            PolicyTarget::Kms(name) => self.kms.get_iam_policy(name).await,
            PolicyTarget::ServiceAccount { project, email } => {
                self.iam.get_iam_policy(project, email).await
            }
            PolicyTarget::Project(p) => self.crm.get_iam_policy(p).await,
        }
    }

    async fn set_policy(&self, target: &PolicyTarget, policy: &Policy) -> Result<Policy> {
        match target {
            PolicyTarget::Kms(name) => self.kms.set_iam_policy(name, policy).await,
            PolicyTarget::ServiceAccount { project, email } => {
                self.iam.set_iam_policy(project, email, policy).await
            }
            PolicyTarget::Project(p) => self.crm.set_iam_policy(p, policy).await,
        }
    }
}

/// The result of one successful edit.
#[derive(Debug, Clone)]
pub struct PolicyEdit {
    /// The policy as read in the attempt that succeeded.
    pub before: Policy,
    /// The policy as the server returned it after the write (or `before` when nothing changed).
    pub after: Policy,
    /// The grants actually added and removed (empty when nothing had to change).
    pub outcome: EditOutcome,
    /// How many writes were sent (0 when nothing changed; >1 after 409 retries).
    pub writes: u32,
}

/// Attempts before a persistent 409 is reported (`cmek_retry::policy::ETAG_CONFLICT`).
pub const MAX_POLICY_ATTEMPTS: u32 = match ETAG_CONFLICT.max_attempts {
    Some(n) => n,
    None => 6,
};

/// Adds and removes exactly `add`/`remove` on `target`'s policy, etag-safe.
///
/// Each attempt reads afresh, so a retry after 409 ABORTED never resends a stale etag (B11).
/// Waits between attempts end at once when `google`'s token ([`Google::with_cancel`]) is
/// cancelled. Errors: `Conflict` after [`MAX_POLICY_ATTEMPTS`] stale-etag answers; `Cancelled`;
/// any other error of the read or write as is (e.g. `MemberNotFound` when a member does not
/// exist: nothing written).
pub async fn edit_policy(
    google: &Google,
    target: &PolicyTarget,
    add: &[Grant],
    remove: &[Grant],
) -> Result<PolicyEdit> {
    let writes = AtomicU32::new(0);
    let result = cmek_retry::retry(
        &ETAG_CONFLICT,
        &google.cancel_token(),
        |e| e.code == ErrorCode::Conflict,
        |w| tracing::info!(%target, attempt = w.attempt, "IAM policy changed concurrently; re-reading"),
        || edit_once(google, target, add, remove, &writes),
    )
    .await;
    match result {
        Err(e) if e.code == ErrorCode::Conflict => Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "{target}: the IAM policy kept changing; gave up after {MAX_POLICY_ATTEMPTS} attempts"
            ),
        )
        .with_resource(target.to_string())),
        other => other,
    }
}

/// One read-modify-write cycle from a fresh read; counts the write it sends in `writes`.
async fn edit_once(
    google: &Google,
    target: &PolicyTarget,
    add: &[Grant],
    remove: &[Grant],
    writes: &AtomicU32,
) -> Result<PolicyEdit> {
    let before = google.get_policy(target).await?;
    let mut next = before.clone();
    let outcome = next.apply(add, remove);
    if outcome.is_noop() {
        return Ok(PolicyEdit {
            after: before.clone(),
            before,
            outcome,
            writes: writes.load(Ordering::Relaxed),
        });
    }
    if next.etag.is_none() {
        // Never write without an etag: that would overwrite concurrent changes (B10).
        return Err(Error::internal(format!(
            "{target}: the policy read carried no etag; refusing to write it"
        )));
    }
    let sent = writes.fetch_add(1, Ordering::Relaxed) + 1;
    match google.set_policy(target, &next).await {
        Ok(after) => Ok(PolicyEdit {
            before,
            after,
            outcome,
            writes: sent,
        }),
        Err(e) if e.code == ErrorCode::Conflict => Err(e),
        Err(e) => Err(e.with_resource(target.to_string())),
    }
}
