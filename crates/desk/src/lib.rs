//! CMEK Desk's application core: one Tauri-free API that both the desktop window
//! (`src-tauri/`, a few lines per command) and the `cmek` command line (`crates/cli`) call.
//!
//! [`Desk`] holds what lives between calls: the [`session`] (credentials restored once,
//! sign-in, sign-out), the [`settings`], the current connection (sandbox or live), the
//! built-in [`sandbox`], the [`activity`] log, the [`operations`] registry (one
//! `CancellationToken` per running operation) and the [`plans`] handed out for review. Every
//! use case the window offers is one async method with typed requests and results; nothing
//! above this crate decides anything.
//!
//! Rules kept here:
//! - **Plans are held by the backend.** [`Desk::plan_setup`] returns a plan with an id and a
//!   digest; [`Desk::apply_setup`] takes the id, re-plans from the stored request and refuses
//!   when the world changed; [`Desk::apply_plan_file`] (command line) also refuses a file whose
//!   content no longer matches its digest. A plan sent by a caller is never executed.
//! - **The CMEK state machine decides first** (`cmek_core::lifecycle`, issue 10):
//!   [`Desk::allowed_actions`] tells the faces what a cluster allows; planning and applying a
//!   setup, a rotation ([`Desk::plan_rotation`]) or a new region ([`Desk::plan_add_region`])
//!   refuse what it forbids before any write. Rotation and add-region plans are held, digested
//!   and re-planned like setup plans.
//! - **Every change is logged.** Setup records an intent before and an outcome after each
//!   write call ([`setup_log`]); revocation, recovery and key actions log through `cmek_revoke`.
//! - **Settings are safe in release builds** (`cmek_core::settings`): a refused endpoint
//!   override stops every use case that would send a credential.

pub mod activity;
pub mod activity_rows;
pub mod aws;
mod aws_audit;
pub mod aws_plans;
mod aws_setup;
mod changes;
mod connection;
pub mod drift;
mod emergency;
pub mod input;
pub mod operations;
pub mod plans;
mod revoke_aws;
pub mod sandbox;
pub mod session;
pub mod settings;
pub mod setup_log;
pub mod wire;

use crate::activity::{revoke_context, Activity, APP_ACTOR};
use crate::operations::{OperationKind, Operations};
use crate::plans::PlanStore;
use crate::session::Session;
use crate::settings::Settings;
use crate::wire::{CredentialSource, SessionStatus, SignInEvent};
use cmek_activity::{ActivityEntry, ChainVerification, ExportFormat, PendingOperation};
use cmek_audit::export::{write_export, AuditExportFormat};
use cmek_audit::{AuditReport, ScanEvent, ScanOptions};
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::plan::{
    ApplyEvent, ApplyResult, ClusterSummary, ConnectionInfo, Plan, SetupRequest,
};
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_revoke::{
    KeyActionReport, KeyPreview, RecoverReport, RevokeControl, RevokeEvent, RevokePreview,
    RevokeReport, RevokeRequest,
};
use cmek_setup::{ApplyControl, Connection};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

pub use operations::OperationKind as Operation;

/// The application core of one running app or command-line invocation.
pub struct Desk {
    session: Session,
    /// The connection every use case uses; `None` until the user connects.
    connection: RwLock<Option<Arc<Connection>>>,
    /// The in-process sandbox, kept alive while the app talks to it.
    pub sandbox: sandbox::Slot,
    activity: Activity,
    operations: Operations,
    plans: PlanStore,
    /// The AWS part of the session (client and identity), `aws`.
    aws: aws::AwsSession,
    /// The AWS plans handed out for review, `aws_plans`.
    aws_plans: aws_setup::Store,
    /// The last audit report (for export).
    last_audit: Mutex<Option<Arc<AuditReport>>>,
}

impl Default for Desk {
    /// Settings from the environment and the OS keychain in this build's namespace.
    fn default() -> Self {
        let settings = Settings::from_environment();
        let namespace = settings.keychain_namespace();
        Self::new(Session::new(settings, session::Keychain::Os(namespace)))
    }
}

impl Desk {
    /// A core over `session` (tests: settings and an `InMemoryStore`). The activity log opens on
    /// first use in `CMEK_DESK_DATA_DIR`, else the app data folder.
    pub fn new(session: Session) -> Self {
        let settings = session.settings();
        let activity = Activity::new(
            settings.data_dir_or_default(),
            settings.revoke_pause_after(),
        )
        .with_key_source(session.chain_key_source());
        Self {
            session,
            connection: RwLock::new(None),
            sandbox: Default::default(),
            activity,
            operations: Operations::default(),
            plans: PlanStore::default(),
            aws: Default::default(),
            aws_plans: Default::default(),
            last_audit: Mutex::new(None),
        }
    }

    /// The settings of this run.
    pub fn settings(&self) -> &Settings {
        self.session.settings()
    }

    /// The session (the window sets its browser opener and config folder at start-up).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The running operations (so "Stop" and Ctrl-C reach them).
    pub fn operations(&self) -> &Operations {
        &self.operations
    }

    /// Asks the running operation of `kind` to stop before its next change (no-op when none).
    pub fn cancel(&self, kind: OperationKind) {
        tracing::info!(?kind, "cancellation requested");
        self.operations.cancel(kind);
    }

    // ---- Session and connection ------------------------------------------------------------

    /// Who is signed in, whether a key is stored, and any credential problem.
    pub async fn session_status(&self) -> SessionStatus {
        let mut status = self.session.status().await;
        status.aws = Some(self.aws_status().await);
        status
    }

    /// Google sign-in in the system browser; `on_event` gets the URL to show while waiting.
    pub async fn sign_in_google(&self, on_event: impl Fn(SignInEvent)) -> Result<SessionStatus> {
        let status = self.session.sign_in_google(on_event).await?;
        if let Some(google) = &status.google {
            let who = &google.identity;
            self.activity
                .record(who, "sign_in", who, "Signed in with Google", google);
        }
        Ok(status)
    }

    /// Stops a sign-in that waits for the browser.
    pub fn cancel_sign_in(&self) {
        self.session.cancel_sign_in();
    }

    /// Uses a service-account key file, Application Default Credentials or the gcloud user.
    pub async fn use_google_credentials(&self, source: CredentialSource) -> Result<SessionStatus> {
        self.session.use_google_credentials(source).await
    }

    /// Validates the CockroachDB Cloud API key and keeps it in the keychain. Never echoed.
    pub async fn save_cockroach_key(&self, key: Secret) -> Result<SessionStatus> {
        self.session.save_cockroach_key(key).await
    }

    /// Deletes the stored API key.
    pub async fn forget_cockroach_key(&self) -> Result<SessionStatus> {
        self.session.forget_cockroach_key().await
    }

    /// Revokes the Google token at Google, deletes it from the keychain and forgets a live
    /// connection.
    pub async fn sign_out(&self) -> Result<SessionStatus> {
        let who = self.session.status().await.google.map(|g| g.identity);
        {
            let mut connection = self.connection.write().await;
            if connection
                .as_ref()
                .is_some_and(|c| c.info.mode == cmek_core::plan::ConnectionMode::Live)
            {
                *connection = None;
            }
        }
        let result = self.session.sign_out().await;
        if let Some(who) = who {
            let summary = match &result {
                Ok(_) => "Signed out",
                Err(_) => "Signed out; Google did not confirm the token revocation",
            };
            self.activity.record(&who, "sign_out", &who, summary, &());
        }
        result
    }

    /// Connects to Google Cloud and CockroachDB Cloud with the session's credentials.
    pub async fn connect_live(&self) -> Result<ConnectionInfo> {
        let connection = self.session.connect_live().await?;
        self.leave_sandbox_aws().await;
        Ok(self
            .set_connection(
                connection,
                "Connected to Google Cloud and CockroachDB Cloud",
            )
            .await)
    }

    /// Starts (or reuses) the in-process sandbox on 127.0.0.1 and connects to it.
    pub async fn connect_sandbox(&self) -> Result<ConnectionInfo> {
        tracing::info!("connecting to the sandbox");
        let start = sandbox::Start::from_settings(self.settings());
        let connection = sandbox::connect(&self.sandbox, &start).await?;
        let base = self.sandbox.lock().await.as_ref().map(|h| h.base_url());
        if let Some(base) = base {
            self.sandbox_aws(&base).await;
        }
        Ok(self
            .set_connection(connection, "Connected to the sandbox")
            .await)
    }

    /// Connects to a sandbox already running at `base` (`cmek-sandbox` or another process).
    pub async fn connect_external_sandbox(&self, base: &str) -> Result<ConnectionInfo> {
        let connection = sandbox::connect_external(base).await?;
        self.sandbox_aws(base).await;
        Ok(self
            .set_connection(connection, "Connected to an external sandbox")
            .await)
    }

    /// The sandbox's AWS side (`{base}/aws`); a sandbox without one still serves Google and
    /// CockroachDB, so a failure is logged, not returned.
    async fn sandbox_aws(&self, base: &str) {
        if let Err(e) = self.use_sandbox_aws(base).await {
            tracing::warn!(code = ?e.code, message = %e.message, "the sandbox's AWS endpoint did not answer");
        }
    }

    async fn set_connection(&self, connection: Connection, summary: &str) -> ConnectionInfo {
        let info = connection.info.clone();
        *self.connection.write().await = Some(Arc::new(connection));
        let org = &info.organization.id;
        self.activity
            .record(&info.google_identity, "connect", org, summary, &info);
        info
    }

    /// The current connection, or `UNAUTHENTICATED` when the user has not connected yet.
    pub async fn connection(&self) -> Result<Arc<Connection>> {
        self.connection.read().await.clone().ok_or_else(|| {
            Error::new(
                ErrorCode::Unauthenticated,
                "Not connected. Choose Sandbox or a Google account first.",
            )
        })
    }

    // ---- Clusters and guided setup ---------------------------------------------------------

    /// Every cluster of the organisation with its CMEK eligibility and status.
    pub async fn list_clusters(&self) -> Result<Vec<ClusterSummary>> {
        cmek_setup::list_clusters(&*self.connection().await?).await
    }

    /// A request prefilled for `cluster_id` (names derived from the cluster, one key per region)
    /// — or, when a setup of this cluster was interrupted (a crash; listed by
    /// [`Desk::pending_operations`] and the log verifies), that setup's own request, its project
    /// and key project included, so applying again resumes it where it stopped (issue 11).
    pub async fn suggest_setup(&self, cluster_id: &str) -> Result<SetupRequest> {
        if let Some(request) = self.interrupted_setup(cluster_id) {
            return Ok(request);
        }
        cmek_setup::suggest_request(&*self.connection().await?, cluster_id).await
    }

    /// The request of the newest interrupted, trusted `setup` operation on `cluster_id` (none
    /// when the log cannot be read: the plain suggestion then stands).
    fn interrupted_setup(&self, cluster_id: &str) -> Option<SetupRequest> {
        let log = self.activity.log().ok()?;
        let pending = log.pending_operations().ok()?;
        pending
            .iter()
            .rev()
            .filter(|p| p.trusted && p.action == "setup" && p.target == cluster_id)
            .find_map(|p| {
                let started = log
                    .operation_entries(&p.operation_id)
                    .ok()?
                    .into_iter()
                    .find(|e| e.kind == cmek_activity::EntryKind::OperationStarted)?;
                serde_json::from_value(started.before?["request"].clone()).ok()
            })
    }

    /// Reads the current state and returns what applying would do, with the id it is held
    /// under and its digest. Makes no write call.
    pub async fn plan_setup(&self, request: SetupRequest) -> Result<Plan> {
        let plan = cmek_setup::plan(&*self.connection().await?, request).await?;
        Ok(self.plans.hold(plan))
    }

    /// Applies the plan handed out as `plan_id`: re-plans from its request, refuses (nothing
    /// written) when the fresh plan differs from the reviewed one, then executes the fresh
    /// plan with every write call recorded in the activity log. Progress goes to `on_event`;
    /// [`Desk::cancel`]`(Apply)` stops it before its next step.
    pub async fn apply_setup(
        &self,
        plan_id: &str,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let reviewed = self.plans.get(plan_id)?;
        self.apply_reviewed(&reviewed, on_event).await
    }

    /// Applies a plan file made by `cmek plan --out` (possibly in another process): refuses a
    /// file edited after planning, then proceeds as [`Desk::apply_setup`].
    pub async fn apply_plan_file(
        &self,
        plan: &Plan,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        plans::check_file_integrity(plan)?;
        self.apply_reviewed(plan, on_event).await
    }

    async fn apply_reviewed(
        &self,
        reviewed: &Plan,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let connection = self.connection().await?;
        let fresh = cmek_setup::replan(&connection, reviewed).await?;
        plans::check_unchanged(reviewed, &fresh)?;
        let log = self.activity.log()?;
        let recorder =
            setup_log::SetupRecorder::start(log, &connection.info.google_identity, &fresh)?;
        let recorded = connection.with_write_observer(recorder.clone());
        let running = self.operations.start(OperationKind::Apply);
        let control = ApplyControl::from_token(running.token.clone());
        tracing::info!(cluster = %fresh.cluster.id, steps = fresh.steps.len(), "applying setup plan");
        let sink = |event: ApplyEvent| {
            recorder.on_event(&event);
            on_event(event);
        };
        let result = cmek_setup::apply(&recorded, &fresh, &control, &sink).await;
        recorder.finish(&result);
        result
    }

    /// CockroachDB's current CMEK status of a cluster.
    pub async fn cmek_status(&self, cluster_id: &str) -> Result<CmekClusterInfo> {
        cmek_setup::cmek_status(&*self.connection().await?, cluster_id).await
    }

    // ---- Revocation, recovery and key actions ----------------------------------------------

    async fn revoke_parts(
        &self,
    ) -> Result<(cmek_revoke::RevokeContext, Arc<cmek_activity::ActivityLog>)> {
        let ctx = revoke_context(&*self.connection().await?);
        Ok((ctx, self.activity.log()?))
    }

    /// A revoke control registered as the running `Revoke` operation.
    fn revoke_control(&self) -> (operations::Running, RevokeControl) {
        let running = self.operations.start(OperationKind::Revoke);
        let control = RevokeControl {
            pause_after: self.activity.pause_after(),
            ..RevokeControl::from_token(running.token.clone())
        };
        (running, control)
    }

    /// Everything the confirmation shows: regions, what stops, who shares the SA or key, levers.
    pub async fn preview_revoke(&self, cluster_id: &str) -> Result<RevokePreview> {
        let ctx = revoke_context(&*self.connection().await?);
        let ctx = self.with_aws_for_cluster(ctx, cluster_id).await?;
        cmek_revoke::preview_revoke(&ctx, cluster_id).await
    }

    /// Revokes CMEK for a cluster (`confirm_name` must be its name), reporting every step.
    pub async fn revoke_cluster(
        &self,
        request: &RevokeRequest,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<RevokeReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let ctx = self.with_aws_for_cluster(ctx, &request.cluster_id).await?;
        let (_running, control) = self.revoke_control();
        cmek_revoke::revoke(&ctx, &log, request, &control, on_event).await
    }

    /// Finishes a revocation a crash interrupted (listed by [`Desk::pending_operations`]).
    pub async fn resume_revoke(
        &self,
        operation_id: &str,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<RevokeReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let ctx = self.with_aws_for_operation(ctx, &log, operation_id).await?;
        let (_running, control) = self.revoke_control();
        cmek_revoke::resume_revoke(&ctx, &log, operation_id, &control, on_event).await
    }

    /// Restores exactly what revocation `operation_id` removed (also rolls back an interrupted one).
    pub async fn recover_revoke(
        &self,
        operation_id: &str,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<RecoverReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let ctx = self.with_aws_for_operation(ctx, &log, operation_id).await?;
        cmek_revoke::recover(&ctx, &log, operation_id, on_event).await
    }

    /// The key's versions, what each key action would touch, the destroy guard, the rotation
    /// schedule, the freeze left to undo and what else the key protects in its organisation
    /// (KMS Inventory, or why not checked) (reads only).
    pub async fn preview_key(&self, key: &str) -> Result<KeyPreview> {
        let (ctx, log) = self.revoke_parts().await?;
        let (preview, protected) = tokio::join!(
            cmek_revoke::preview_key(&ctx, key),
            cmek_audit::protected::for_key(&ctx.google, key)
        );
        let mut preview = preview?;
        preview.freeze = cmek_revoke::latest_freeze(&log, key)?;
        preview.protected_resources = Some(protected);
        Ok(preview)
    }

    /// Stops the key's automatic rotation, then disables every ENABLED version of `key`
    /// (`confirm_key` must be the key id), so the freeze holds past `nextRotationTime`; the
    /// report's `rotation` holds the exact schedule cleared ([`Desk::unfreeze_key`] puts it back).
    pub async fn disable_key_versions(
        &self,
        key: &str,
        confirm_key: &str,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<KeyActionReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let (_running, control) = self.revoke_control();
        cmek_revoke::disable_all_versions(&ctx, &log, key, confirm_key, &control, on_event).await
    }

    /// Restores every version scheduled for destruction (then enables it if `enable_after`).
    pub async fn restore_key_versions(
        &self,
        key: &str,
        confirm_key: &str,
        enable_after: bool,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<KeyActionReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let (_running, control) = self.revoke_control();
        cmek_revoke::restore_scheduled_versions(
            &ctx,
            &log,
            key,
            confirm_key,
            enable_after,
            &control,
            on_event,
        )
        .await
    }

    // ---- Activity log ----------------------------------------------------------------------

    /// Every entry of the activity log, oldest first.
    pub fn activity_entries(&self) -> Result<Vec<ActivityEntry>> {
        self.activity.log()?.entries()
    }

    /// The activity log as the officer reads it: one row per write (its intent paired with its
    /// outcome), per operation (start with finish) or per fact, oldest first; an intent with
    /// no outcome is [`activity_rows::RowState::NoOutcome`] (`activity_rows::pair`).
    pub fn activity_rows(&self) -> Result<Vec<activity_rows::ActivityRow>> {
        Ok(activity_rows::pair(&self.activity_entries()?))
    }

    /// Operations a crash interrupted (the window offers "Finish revocation" or "Roll back"
    /// only for those with `trusted`; [`Desk::resume_revoke`] and [`Desk::recover_revoke`]
    /// refuse the others).
    pub fn pending_operations(&self) -> Result<Vec<PendingOperation>> {
        self.activity.log()?.pending_operations()
    }

    /// The activity log's tamper-evident chain checked now (start-up banner, `cmek activity`):
    /// `trustworthy`, the first bad entry and one sentence to show. Export works either way.
    pub fn verify_activity(&self) -> Result<ChainVerification> {
        self.activity.verify()
    }

    /// Exports the whole log as JSON or CSV into the export folder ([`Desk::export_dir`], where
    /// audit exports go too) as `cmek-activity-YYYYMMDD-HHMMSSZ.{json|csv}`; returns the path.
    pub async fn export_activity(&self, format: ExportFormat) -> Result<String> {
        let actor = match self.connection().await {
            Ok(c) => c.info.google_identity.clone(),
            Err(_) => APP_ACTOR.to_owned(),
        };
        self.activity.export(&actor, format, &self.export_dir()?)
    }

    // ---- Audit -----------------------------------------------------------------------------

    /// Scans `options.projects` (and the CockroachDB clusters), sending every progress event.
    /// Never fails once connected: per-project errors are on their rows; a cancelled scan
    /// ([`Desk::cancel`]`(Audit)`) returns its partial report (`cancelled: true`).
    pub async fn start_audit(
        &self,
        options: &ScanOptions,
        on_event: &(dyn Fn(ScanEvent) + Send + Sync),
    ) -> Result<AuditReport> {
        // AWS too when a cluster runs on AWS ([`Desk::start_audit_with_aws`], issue #9).
        self.start_audit_with_aws(options, &[], on_event).await
    }

    /// Writes the last report in `format` into the export folder and returns the file's path:
    /// `CMEK_DESK_EXPORT_DIR`, else `{data folder}/exports`.
    pub fn export_audit(&self, format: AuditExportFormat) -> Result<String> {
        let report = self
            .last_audit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::FailedPrecondition,
                    "No audit has run yet: start a scan first.",
                )
            })?;
        write_export(&report, format, &self.export_dir()?)
    }

    /// Where audit and activity exports go: `CMEK_DESK_EXPORT_DIR`, else `{data folder}/exports`.
    pub fn export_dir(&self) -> Result<PathBuf> {
        let settings = self.settings();
        settings
            .export_dir()
            .or_else(|| Some(settings.data_dir_or_default()?.join("exports")))
            .ok_or_else(|| Error::internal("no app data folder to export into"))
    }
}

/// Runs `f` when `token` is cancelled (the audit's scan still takes a flag). The waiting task
/// ends when the token is cancelled, which [`operations::Running`] does when the operation
/// ends, or with the runtime; `f` is cheap (sets a flag).
fn on_cancel(token: &CancellationToken, f: impl FnOnce() + Send + 'static) {
    let token = token.clone();
    tokio::spawn(async move {
        token.cancelled().await;
        f();
    });
}
