//! Guided setup in the activity log: an operation per apply, and an intent before and an
//! outcome after every write call it sends (issue 8; ARCHITECTURE invariant 9). Rotations and
//! new regions (issue 10) are recorded the same way, as `rotate` and `add_region` operations
//! whose write calls are labelled `rotate.{step kind}` and `add_region.{step kind}`.
//!
//! [`SetupRecorder`] is the `cmek_core::observe::WriteObserver` the app core attaches to the
//! connection of one apply, so the Google HTTP layer and the CockroachDB client call it per
//! attempt: the log then holds exactly one intent/outcome pair for each write request that
//! left the app, each labelled with the plan step it belongs to (`setup.createKeyRing`, …)
//! and the step's resource. If an intent cannot be written, the call is not sent.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::observe::{WriteCall, WriteObserver};
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan};
use cmek_core::{Error, Result};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Records one apply.
pub struct SetupRecorder {
    log: Arc<ActivityLog>,
    operation_id: String,
    actor: String,
    /// `(step id, kind, resource)` of every step of the plan.
    steps: Vec<(String, String, String)>,
    /// `setup`, `rotate` or `add_region` (`cmek_core::change::PlanChange::action`).
    action: &'static str,
    /// The cluster id (the operation's target).
    target: String,
    /// The step running now: its action name and resource.
    current: Mutex<(String, String)>,
}

impl SetupRecorder {
    /// Opens the `setup` operation for `plan` (its request is the operation's `before`).
    pub fn start(log: Arc<ActivityLog>, actor: &str, plan: &Plan) -> Result<Arc<Self>> {
        let action = plan.change.action();
        let what = match action {
            "rotate" => "Rotate CMEK to new keys for",
            "add_region" => "Add a region with its key to",
            _ => "Set up CMEK for",
        };
        let summary = format!("{what} {} ({} steps)", plan.cluster.name, plan.steps.len());
        let operation_id = log.start_operation(
            actor,
            action,
            &plan.cluster.id,
            &summary,
            &json!({ "request": plan.request, "change": plan.change, "planDigest": plan.digest }),
        )?;
        let steps = plan
            .steps
            .iter()
            .map(|s| {
                let kind = serde_json::to_value(s.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                (s.id.clone(), kind, s.resource.clone())
            })
            .collect();
        Ok(Arc::new(Self {
            log,
            operation_id,
            actor: actor.to_owned(),
            steps,
            action,
            target: plan.cluster.id.clone(),
            current: Mutex::new((action.into(), plan.cluster.id.clone())),
        }))
    }

    /// The operation id in the activity log.
    pub fn operation_id(&self) -> &str {
        &self.operation_id
    }

    /// Follows the apply's progress: a started step labels the write calls that follow.
    pub fn on_event(&self, event: &ApplyEvent) {
        if let ApplyEvent::StepStarted { step_id } = event {
            if let Some((_, kind, resource)) = self.steps.iter().find(|(id, _, _)| id == step_id) {
                *self.lock() = (format!("{}.{kind}", self.action), resource.clone());
            }
        }
    }

    /// Closes the operation with the apply's result.
    pub fn finish(&self, result: &Result<ApplyResult>) {
        let written = match result {
            Ok(r) => self.log.finish_operation(
                &self.operation_id,
                EntryStatus::Ok,
                match self.action {
                    "rotate" => "CMEK rotated to the new keys",
                    "add_region" => "Region added with its key",
                    _ => "CMEK set up",
                },
                r,
                None,
            ),
            Err(e) => {
                let status = if e.code == cmek_core::ErrorCode::Cancelled {
                    EntryStatus::Cancelled
                } else {
                    EntryStatus::Failed
                };
                self.log.finish_operation(
                    &self.operation_id,
                    status,
                    "Stopped; applying the plan again continues from here",
                    &Value::Null,
                    Some(e),
                )
            }
        };
        if let Err(e) = written {
            tracing::error!(message = %e.message, "could not close the setup operation in the activity log");
        }
        if result.is_ok() {
            close_superseded(&self.log, self.action, &self.target, &self.operation_id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (String, String)> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Closes the earlier operations of `action` on cluster `target` that a crash cut off
/// (listed by `ActivityLog::pending_operations`) once `operation_id` — the same change applied
/// again — succeeded: it re-planned from what the clouds hold, checked every step and verified
/// the end state, so nothing of theirs is left to resume, and the faces stop offering them
/// (issue 13). Each gets an `operation_finished` entry naming `operation_id`; nothing is
/// rewritten (the log is append-only). Failures are logged, not returned: the change is made.
pub(crate) fn close_superseded(log: &ActivityLog, action: &str, target: &str, operation_id: &str) {
    let pending = match log.pending_operations() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(message = %e.message, "could not list interrupted operations");
            return;
        }
    };
    let summary = format!(
        "Completed by operation {operation_id} (the same change applied again after an interruption)"
    );
    for p in pending
        .iter()
        .filter(|p| p.action == action && p.target == target && p.operation_id != operation_id)
    {
        let written = log.finish_operation(
            &p.operation_id,
            EntryStatus::Ok,
            &summary,
            &json!({ "completedBy": operation_id }),
            None,
        );
        if let Err(e) = written {
            tracing::error!(message = %e.message, "could not close an interrupted operation");
        }
    }
}

impl WriteObserver for SetupRecorder {
    fn before(&self, call: &WriteCall<'_>) -> Result<i64> {
        let (action, resource) = self.lock().clone();
        let summary = format!("{} {} ({})", call.method, call.url, call.service);
        let request = json!({
            "method": call.method,
            "url": call.url,
            "query": call.query.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "body": call.body,
        });
        self.log.intent(
            Some(&self.operation_id),
            &self.actor,
            &action,
            &resource,
            &summary,
            &request,
        )
    }

    fn after(&self, token: i64, outcome: std::result::Result<&Value, &Error>) {
        let written = match outcome {
            Ok(answer) => self
                .log
                .outcome(token, EntryStatus::Ok, "done", answer, None),
            Err(e) => self.log.outcome(
                token,
                EntryStatus::Failed,
                &e.message,
                &Value::Null,
                Some(e),
            ),
        };
        if let Err(e) = written {
            tracing::error!(message = %e.message, "could not record a setup outcome in the activity log");
        }
    }
}
