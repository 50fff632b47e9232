//! Executing an [`AwsPlan`]: each step is check → act → verify, reported through a sink, with
//! the GCP setup's events and cancellation ([`ApplyControl`]). Resumability comes from the
//! steps: each reads first and acts only on what is missing.

use super::{cmek, key_policy, keys, role};
use crate::apply::ApplyControl;
use crate::connection::Connection;
use cmek_aws::AwsClient;
use cmek_core::aws::model::KeyMetadata;
use cmek_core::aws::plan::{AwsPlan, AwsPlanStep, AwsPlannedKey, AwsStepKind};
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::plan::{ApplyEvent, ApplyResult, StepOutcome};
use cmek_core::{Error, ErrorCode, Result};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What a step reports when it ends well.
pub(crate) type StepDone = (StepOutcome, String);

/// State shared by the steps of one run.
pub(crate) struct AwsRun<'a> {
    pub conn: &'a Connection,
    pub aws: &'a AwsClient,
    pub plan: &'a AwsPlan,
    pub control: &'a ApplyControl,
    emit: &'a (dyn Fn(ApplyEvent) + Send + Sync),
    /// ARNs of what this run created (a role KMS cannot see yet is retried only if here, B26).
    fresh: Mutex<HashSet<String>>,
    /// Keys found or made so far, by region.
    keys: Mutex<HashMap<String, KeyMetadata>>,
    pub step: AwsPlanStep,
    /// CockroachDB's settled answer the CMEK wait ended on, when no step ran after it: the
    /// run's result, with no further `GET …/cmek` (docs/performance.md, "Setup call counts").
    pub settled: Mutex<Option<CmekClusterInfo>>,
}

impl AwsRun<'_> {
    /// A progress note on the current step.
    pub fn note(&self, message: impl Into<String>) {
        (self.emit)(ApplyEvent::StepProgress {
            step_id: self.step.id.clone(),
            message: message.into(),
        });
    }
    pub fn mark_fresh(&self, arn: &str) {
        self.fresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(arn.to_owned());
    }
    pub fn is_fresh(&self, arn: &str) -> bool {
        self.fresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(arn)
    }
    pub fn cancel(&self) -> cmek_retry::CancellationToken {
        self.control.token()
    }
    /// The planned key of the current step (its resource is `region/alias`).
    pub fn planned_key(&self) -> Result<&AwsPlannedKey> {
        let region = self.step.resource.split('/').next().unwrap_or_default();
        self.plan
            .keys
            .iter()
            .find(|k| k.region == region)
            .ok_or_else(|| Error::internal(format!("no planned key for step {}", self.step.id)))
    }
    /// Remembers the key of `region`.
    pub fn remember(&self, key: &KeyMetadata) {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.region.clone(), key.clone());
    }
    /// The key of `region`: remembered, else looked up by its alias. Errors: `FAILED_PRECONDITION`
    /// when it does not exist (the step that makes it has not run).
    pub async fn key(&self, region: &str) -> Result<KeyMetadata> {
        if let Some(k) = self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(region)
        {
            return Ok(k.clone());
        }
        let alias = &self
            .plan
            .keys
            .first()
            .map(|k| k.alias.clone())
            .unwrap_or_default();
        match self.aws.describe_key(region, alias).await? {
            Some(k) => {
                self.remember(&k);
                Ok(k)
            }
            None => Err(Error::new(ErrorCode::FailedPrecondition, format!("The key {alias} in {region} does not exist: the step that creates it has not run. Apply the plan from its start.")).with_resource(format!("{region}/{alias}"))),
        }
    }
}

/// Applies `plan` with `aws` for the AWS calls and `conn` for CockroachDB. Events arrive in
/// order: per step `StepStarted`, any `StepProgress`, then `StepFinished` or `StepFailed` (the
/// run stops); finally `Finished`. `write_calls` counts AWS and CockroachDB write attempts.
pub async fn apply_aws(
    conn: &Connection,
    aws: &AwsClient,
    plan: &AwsPlan,
    control: &ApplyControl,
    on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<ApplyResult> {
    super::plan::validate(&plan.request)?;
    let cancellable = conn.with_cancel(&control.token());
    let aws = aws.clone().with_cancel(control.token());
    let (conn, aws) = (&cancellable, &aws);
    let writes_before = conn.write_calls() + aws.write_calls();
    let mut run = AwsRun {
        conn,
        aws,
        plan,
        control,
        emit: on_event,
        fresh: Mutex::new(HashSet::new()),
        keys: Mutex::new(HashMap::new()),
        settled: Mutex::new(None),
        step: AwsPlanStep {
            id: String::new(),
            kind: AwsStepKind::CheckIdentity,
            title: String::new(),
            resource: String::new(),
            already_done: false,
        },
    };
    for step in &plan.steps {
        run.step = step.clone();
        run.settled.lock().unwrap_or_else(|p| p.into_inner()).take();
        on_event(ApplyEvent::StepStarted {
            step_id: step.id.clone(),
        });
        let result = match control.check() {
            Ok(()) => run_step(&run).await,
            Err(e) => Err(e),
        };
        let result = result.map_err(|e| match e.code {
            ErrorCode::Cancelled => control.check().err().unwrap_or(e),
            _ => e,
        });
        match result {
            Ok((outcome, detail)) => on_event(ApplyEvent::StepFinished {
                step_id: step.id.clone(),
                outcome,
                detail,
            }),
            Err(error) => {
                tracing::warn!(step = %step.id, code = ?error.code, "AWS setup step failed");
                on_event(ApplyEvent::StepFailed {
                    step_id: step.id.clone(),
                    error: error.clone(),
                });
                return Err(error);
            }
        }
    }
    let settled = run.settled.into_inner().unwrap_or_else(|p| p.into_inner());
    let cmek = match settled {
        Some(info) => info,
        None => crate::cmek_status(conn, &plan.request.cluster_id).await?,
    };
    let result = ApplyResult {
        cluster_id: plan.cluster.id.clone(),
        cluster_name: plan.cluster.name.clone(),
        auth_principal: plan.role.arn.clone(),
        cmek,
        write_calls: conn.write_calls() + aws.write_calls() - writes_before,
    };
    on_event(ApplyEvent::Finished {
        result: result.clone(),
    });
    Ok(result)
}

/// Runs the current step; each step's future is boxed (the AWS SDK's futures are large).
async fn run_step(run: &AwsRun<'_>) -> Result<StepDone> {
    match run.step.kind {
        AwsStepKind::CheckIdentity => Box::pin(role::check_identity(run)).await,
        AwsStepKind::CreateRole => Box::pin(role::create_role(run)).await,
        AwsStepKind::CreateKey => Box::pin(keys::create_key(run)).await,
        AwsStepKind::EnableKeyRotation => Box::pin(keys::enable_rotation(run)).await,
        AwsStepKind::ReplicateKey => Box::pin(keys::replicate_key(run)).await,
        AwsStepKind::WriteKeyPolicy => Box::pin(key_policy::write_key_policy(run)).await,
        AwsStepKind::EnableCmek => Box::pin(cmek::enable_cmek(run)).await,
        AwsStepKind::WaitForCmek => Box::pin(cmek::wait_for_cmek(run)).await,
    }
}

/// `Adopted` when the plan thought the step still to do, else `Unchanged`.
pub(crate) fn found_outcome(run: &AwsRun<'_>) -> StepOutcome {
    if run.step.already_done {
        StepOutcome::Unchanged
    } else {
        StepOutcome::Adopted
    }
}
