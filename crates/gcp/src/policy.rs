//! Etag-safe IAM edits on any resource CMEK Desk touches (field reports B10, B11, B12).
//!
//! [`edit_policy`] is the only code path that writes an IAM policy: read with
//! `requestedPolicyVersion=3`, apply exactly the caller's grants ([`Policy::apply`]), write
//! with the etag from that read; on 409 ABORTED start again from a *fresh* read and re-apply
//! the same delta, with exponential backoff, a bounded number of times. A write is skipped
//! when the delta changes nothing, so re-runs make zero write calls.

use crate::Google;
use cmek_core::iam::{EditOutcome, Grant, Policy};
use cmek_core::{Error, ErrorCode, Result};
use std::fmt;
use std::time::Duration;

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

/// Attempts before a persistent 409 is reported.
pub const MAX_POLICY_ATTEMPTS: u32 = 6;

/// Adds and removes exactly `add`/`remove` on `target`'s policy, etag-safe.
///
/// Errors: `Conflict` after [`MAX_POLICY_ATTEMPTS`] stale-etag answers; any other error of the
/// read or write as is (e.g. `MemberNotFound` when a member does not exist: nothing written).
pub async fn edit_policy(
    google: &Google,
    target: &PolicyTarget,
    add: &[Grant],
    remove: &[Grant],
) -> Result<PolicyEdit> {
    let mut writes = 0;
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=MAX_POLICY_ATTEMPTS {
        let before = google.get_policy(target).await?;
        let mut next = before.clone();
        let outcome = next.apply(add, remove);
        if outcome.is_noop() {
            return Ok(PolicyEdit {
                after: before.clone(),
                before,
                outcome,
                writes,
            });
        }
        if next.etag.is_none() {
            // Never write without an etag: that would overwrite concurrent changes (B10).
            return Err(Error::internal(format!(
                "{target}: the policy read carried no etag; refusing to write it"
            )));
        }
        writes = attempt;
        match google.set_policy(target, &next).await {
            Ok(after) => {
                return Ok(PolicyEdit {
                    before,
                    after,
                    outcome,
                    writes,
                })
            }
            Err(e) if e.code == ErrorCode::Conflict && attempt < MAX_POLICY_ATTEMPTS => {
                tracing::info!(%target, attempt, "IAM policy changed concurrently; re-reading");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e.with_resource(target.to_string())),
        }
    }
    Err(Error::new(
        ErrorCode::Conflict,
        format!(
            "{target}: the IAM policy kept changing; gave up after {MAX_POLICY_ATTEMPTS} attempts"
        ),
    ))
}
