//! Executing a [`Plan`]: each step is check → act → verify, reported through a sink.
//!
//! Resumability comes from the steps themselves: each first reads the current state and acts
//! only on what is missing, so re-running a finished plan writes nothing and re-running an
//! interrupted one continues where it stopped.

use crate::change_steps;
use crate::cmek_steps;
use crate::connection::Connection;
use crate::gcp_steps;
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan, PlanStep, StepKind, StepOutcome};
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::CancellationToken;
use std::collections::HashSet;
use std::sync::Mutex;

/// Lets the UI cancel a running apply: between steps, during every wait (IAM propagation,
/// polls, HTTP retry backoff, write pacing) at once, never in the middle of a call already sent.
///
/// A [`CancellationToken`] underneath: [`ApplyControl::default`] makes its own, and
/// [`ApplyControl::from_token`] uses the caller's (the app core's operations registry).
#[derive(Clone, Default)]
pub struct ApplyControl {
    token: CancellationToken,
}

impl ApplyControl {
    /// A control cancelled when `token` is (and cancelling it through [`ApplyControl::cancel`]
    /// cancels `token`).
    pub fn from_token(token: CancellationToken) -> Self {
        Self { token }
    }
    /// The token the apply's waits observe.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }
    pub fn cancel(&self) {
        self.token.cancel();
    }
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::new(
                ErrorCode::Cancelled,
                "Stopped by you. Everything done so far stays; applying again continues from here.",
            ));
        }
        Ok(())
    }
}

/// State shared by the steps of one run.
pub(crate) struct Run<'a> {
    pub conn: &'a Connection,
    pub plan: &'a Plan,
    pub control: &'a ApplyControl,
    emit: &'a (dyn Fn(ApplyEvent) + Send + Sync),
    /// Resources this run created (so "not visible yet" answers on them are retried).
    pub fresh: Mutex<HashSet<String>>,
    pub step_id: String,
    /// CockroachDB's settled answer the CMEK wait ended on, when no step ran after it: the
    /// run's result, so the run does not read `GET …/cmek` once more (docs/performance.md,
    /// "Setup call counts").
    pub settled: Mutex<Option<cmek_core::cockroach::CmekClusterInfo>>,
}

impl Run<'_> {
    /// A progress note on the current step.
    pub fn note(&self, message: impl Into<String>) {
        (self.emit)(ApplyEvent::StepProgress {
            step_id: self.step_id.clone(),
            message: message.into(),
        });
    }
    pub fn mark_fresh(&self, resource: &str) {
        self.fresh
            .lock()
            .expect("fresh set lock")
            .insert(resource.to_owned());
    }
    pub fn is_fresh(&self, resource: &str) -> bool {
        self.fresh
            .lock()
            .expect("fresh set lock")
            .contains(resource)
    }
    /// The token this run's waits observe.
    pub fn cancel(&self) -> CancellationToken {
        self.control.token()
    }
}

/// What a step reports when it ends well.
pub(crate) type StepDone = (StepOutcome, String);

/// Applies `plan` (a setup, a rotation or a new region: `plan.change`), after the CMEK state
/// machine allowed it for the cluster's current status. Events arrive in order: for each step `StepStarted`, any `StepProgress`,
/// then `StepFinished` or `StepFailed` (after which the run stops); finally `Finished`.
/// Errors: the failing step's error (its code tells the UI what to offer).
pub async fn apply(
    conn: &Connection,
    plan: &Plan,
    control: &ApplyControl,
    on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
) -> Result<ApplyResult> {
    crate::plan::validate(&plan.request)?;
    // Every client wait of this run (retry backoff, write pacing) ends when `control` cancels.
    let cancellable = conn.with_cancel(&control.token());
    let conn = &cancellable;
    let writes_before = conn.write_calls();
    // The CMEK state machine, before any step and so before any write (issue 10).
    crate::change_steps::gate(conn, plan).await?;
    let mut run = Run {
        conn,
        plan,
        control,
        emit: on_event,
        fresh: Mutex::new(HashSet::new()),
        step_id: String::new(),
        settled: Mutex::new(None),
    };
    for step in &plan.steps {
        run.step_id = step.id.clone();
        run.settled.lock().unwrap_or_else(|p| p.into_inner()).take();
        on_event(ApplyEvent::StepStarted {
            step_id: step.id.clone(),
        });
        let result = match control.check() {
            Ok(()) => run_step(&run, step).await,
            Err(e) => Err(e),
        };
        // A wait ended by the token reports the same "stopped by you" as a stop between steps.
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
                tracing::warn!(step = %step.id, code = ?error.code, "setup step failed");
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
        auth_principal: plan.service_account_email.clone(),
        cmek,
        write_calls: conn.write_calls() - writes_before,
    };
    on_event(ApplyEvent::Finished {
        result: result.clone(),
    });
    Ok(result)
}

async fn run_step(run: &Run<'_>, step: &PlanStep) -> Result<StepDone> {
    match step.kind {
        StepKind::CheckPermissions if !run.plan.change.is_setup() => {
            change_steps::check_permissions(run).await
        }
        StepKind::CheckPermissions => gcp_steps::check_permissions(run).await,
        StepKind::EnableApis => gcp_steps::enable_apis(run).await,
        StepKind::CreateServiceAccount => gcp_steps::create_service_account(run).await,
        StepKind::GrantTokenCreator => gcp_steps::grant_token_creator(run).await,
        StepKind::CreateKeyRing => gcp_steps::create_key_ring(run, &step.resource).await,
        StepKind::CreateCryptoKey => gcp_steps::create_crypto_key(run, &step.resource).await,
        StepKind::GrantEncrypterDecrypter => {
            gcp_steps::grant_encrypter_decrypter(run, &step.resource).await
        }
        StepKind::EnableCmek => cmek_steps::enable_cmek(run).await,
        StepKind::WaitForCmek => cmek_steps::wait_for_cmek(run).await,
        StepKind::UpdateCmek => change_steps::update_cmek(run).await,
        StepKind::AddRegion => change_steps::add_region(run).await,
    }
}
