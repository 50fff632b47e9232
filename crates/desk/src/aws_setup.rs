//! The AWS setup use cases (issue 9): suggest, plan (held by id and digest), apply by id or from
//! a plan file, with every AWS and CockroachDB write attempt recorded in the activity log (an
//! intent before, an outcome after, labelled with the step: `setup.createRole`, …).

use crate::aws_plans::{self, AwsPlanStore};
use crate::operations::OperationKind;
use crate::Desk;
use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::aws::plan::{AwsPlan, AwsSetupRequest};
use cmek_core::observe::{WriteCall, WriteObserver};
use cmek_core::plan::{ApplyEvent, ApplyResult};
use cmek_core::{Error, ErrorCode, Result};
use cmek_setup::ApplyControl;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

impl Desk {
    /// A request prefilled for the AWS cluster `cluster_id` (role and alias from the cluster id,
    /// one key per region, rotation on).
    pub async fn suggest_aws_setup(&self, cluster_id: &str) -> Result<AwsSetupRequest> {
        cmek_setup::suggest_aws_request(&*self.connection().await?, cluster_id).await
    }

    /// Reads the current state (CockroachDB and AWS) and returns what applying would do, with
    /// the id it is held under and its digest. Makes no write call.
    pub async fn plan_aws_setup(&self, request: AwsSetupRequest) -> Result<AwsPlan> {
        let connection = self.connection().await?;
        let aws = self.aws_client().await?;
        let plan = cmek_setup::plan_aws(&connection, &aws, request).await?;
        Ok(self.aws_plans.hold(plan))
    }

    /// Applies the AWS plan handed out as `plan_id`: re-plans from its request, refuses
    /// (nothing written) when the fresh plan differs, then executes the fresh plan with every
    /// write recorded. [`Desk::cancel`]`(Apply)` stops it before its next step.
    pub async fn apply_aws_setup(
        &self,
        plan_id: &str,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let reviewed = self.aws_plans.get(plan_id)?;
        self.apply_aws_reviewed(&reviewed, on_event).await
    }

    /// Applies an AWS plan file made by `cmek plan --out`: refuses a file edited after
    /// planning, then proceeds as [`Desk::apply_aws_setup`].
    pub async fn apply_aws_plan_file(
        &self,
        plan: &AwsPlan,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        aws_plans::check_file_integrity(plan)?;
        self.apply_aws_reviewed(plan, on_event).await
    }

    async fn apply_aws_reviewed(
        &self,
        reviewed: &AwsPlan,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let connection = self.connection().await?;
        let aws = self.aws_client().await?;
        let fresh = cmek_setup::plan_aws(&connection, &aws, reviewed.request.clone()).await?;
        aws_plans::check_unchanged(reviewed, &fresh)?;
        let fresh = AwsPlan {
            plan_id: reviewed.plan_id.clone(),
            digest: reviewed.digest.clone(),
            ..fresh
        };
        let actor = format!(
            "{} (AWS {})",
            connection.info.google_identity, fresh.caller_arn
        );
        let recorder = AwsSetupRecorder::start(self.activity.log()?, &actor, &fresh)?;
        let recorded = connection.with_write_observer(recorder.clone());
        let aws = aws.with_observer(recorder.clone());
        let running = self.operations.start(OperationKind::Apply);
        let control = ApplyControl::from_token(running.token.clone());
        tracing::info!(cluster = %fresh.cluster.id, steps = fresh.steps.len(), "applying AWS setup plan");
        let sink = |event: ApplyEvent| {
            recorder.on_event(&event);
            on_event(event);
        };
        let result = cmek_setup::apply_aws(&recorded, &aws, &fresh, &control, &sink).await;
        recorder.finish(&result);
        result
    }
}

/// Records one AWS apply in the activity log (the AWS twin of `crate::setup_log`).
struct AwsSetupRecorder {
    log: Arc<ActivityLog>,
    operation_id: String,
    actor: String,
    /// `(step id, kind, resource)`.
    steps: Vec<(String, String, String)>,
    /// The cluster id (the operation's target).
    target: String,
    current: Mutex<(String, String)>,
}

impl AwsSetupRecorder {
    fn start(log: Arc<ActivityLog>, actor: &str, plan: &AwsPlan) -> Result<Arc<Self>> {
        let summary = format!(
            "Set up AWS CMEK for {} ({} steps)",
            plan.cluster.name,
            plan.steps.len()
        );
        let operation_id = log.start_operation(
            actor,
            "setup",
            &plan.cluster.id,
            &summary,
            &json!({ "request": plan.request, "planDigest": plan.digest }),
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
            target: plan.cluster.id.clone(),
            current: Mutex::new(("setup".into(), plan.cluster.id.clone())),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (String, String)> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn on_event(&self, event: &ApplyEvent) {
        if let ApplyEvent::StepStarted { step_id } = event {
            if let Some((_, kind, resource)) = self.steps.iter().find(|(id, _, _)| id == step_id) {
                *self.lock() = (format!("setup.{kind}"), resource.clone());
            }
        }
    }

    fn finish(&self, result: &Result<ApplyResult>) {
        let written = match result {
            Ok(r) => self.log.finish_operation(
                &self.operation_id,
                EntryStatus::Ok,
                "AWS CMEK set up",
                r,
                None,
            ),
            Err(e) => {
                let status = if e.code == ErrorCode::Cancelled {
                    EntryStatus::Cancelled
                } else {
                    EntryStatus::Failed
                };
                self.log.finish_operation(
                    &self.operation_id,
                    status,
                    "Setup stopped; applying the plan again continues from here",
                    &Value::Null,
                    Some(e),
                )
            }
        };
        if let Err(e) = written {
            tracing::error!(message = %e.message, "could not close the AWS setup operation in the activity log");
        }
        if result.is_ok() {
            crate::setup_log::close_superseded(
                &self.log,
                "setup",
                &self.target,
                &self.operation_id,
            );
        }
    }
}

impl WriteObserver for AwsSetupRecorder {
    fn before(&self, call: &WriteCall<'_>) -> Result<i64> {
        let (action, resource) = self.lock().clone();
        let summary = format!("{} {} ({})", call.method, call.url, call.service);
        let request = json!({"method": call.method, "url": call.url, "body": call.body});
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
            tracing::error!(message = %e.message, "could not record an AWS setup outcome in the activity log");
        }
    }
}

/// Keeps the store type reachable for [`Desk`]'s field.
pub(crate) type Store = AwsPlanStore;
