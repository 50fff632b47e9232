//! After day one (issue 10): what the CMEK state machine allows on a cluster, and rotation and
//! add-region plans, held and applied exactly like setup plans (id + digest, re-planned from
//! their own request and compared before anything is written; every write call in the activity
//! log as a `rotate` or `add_region` operation).

use crate::Desk;
use cmek_core::change::{AddRegionRequest, PlanChange, RotationRequest};
use cmek_core::lifecycle::ActionAvailability;
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan};
use cmek_core::{Error, ErrorCode, Result};

impl Desk {
    /// Every action (setup, rotate, add region, revoke, recover, key emergency) with whether
    /// the cluster's CMEK status allows it and, when not, why and what to do (reads only).
    pub async fn allowed_actions(&self, cluster_id: &str) -> Result<Vec<ActionAvailability>> {
        cmek_setup::allowed_actions(&*self.connection().await?, cluster_id).await
    }

    /// A rotation request prefilled for `cluster_id`: the current key's project and key ring,
    /// a new key id stamped with today's date, the current layout and protection level — or,
    /// when a rotation of this cluster was interrupted (a crash; listed by
    /// [`Desk::pending_operations`] and the log verifies), that rotation's own request, so
    /// applying it again resumes it (its plan verifies what was done and writes only what is
    /// left) instead of rotating a second time to yet another key (issue 13).
    pub async fn suggest_rotation(&self, cluster_id: &str) -> Result<RotationRequest> {
        if let Some(request) = self.interrupted_rotation(cluster_id)? {
            return Ok(request);
        }
        cmek_setup::suggest_rotation(&*self.connection().await?, cluster_id).await
    }

    /// The request of the newest interrupted, trusted `rotate` operation on `cluster_id`.
    fn interrupted_rotation(&self, cluster_id: &str) -> Result<Option<RotationRequest>> {
        let log = self.activity.log()?;
        let pending = log.pending_operations()?;
        for p in pending
            .iter()
            .rev()
            .filter(|p| p.trusted && p.action == "rotate" && p.target == cluster_id)
        {
            let started = log
                .operation_entries(&p.operation_id)?
                .into_iter()
                .find(|e| e.kind == cmek_activity::EntryKind::OperationStarted);
            let change = started.and_then(|e| e.before).map(|b| b["change"].clone());
            if let Some(Ok(PlanChange::Rotation(r))) = change.map(serde_json::from_value) {
                return Ok(Some(r.request));
            }
        }
        Ok(None)
    }

    /// What rotating to the requested keys would do (`Plan` with `change.kind == "rotation"`),
    /// held under an id with its digest. Makes no write call. Refused (`FAILED_PRECONDITION`,
    /// with why and what to do) when the cluster's CMEK status forbids a rotation.
    pub async fn plan_rotation(&self, request: RotationRequest) -> Result<Plan> {
        let plan = cmek_setup::plan_rotation(&*self.connection().await?, request).await?;
        Ok(self.plans.hold(plan))
    }

    /// What adding a region with its key would do (`change.kind == "addRegion"`), held under an
    /// id with its digest. Makes no write call.
    pub async fn plan_add_region(&self, request: AddRegionRequest) -> Result<Plan> {
        let plan = cmek_setup::plan_add_region(&*self.connection().await?, request).await?;
        Ok(self.plans.hold(plan))
    }

    /// Applies the rotation plan handed out as `plan_id` (re-planned and compared first), with
    /// progress to `on_event`; polls through `ROTATING` to `ENABLED`, and fails with
    /// CockroachDB's `user_message` on `ROTATE_FAILED` (`CMEK_FAILED`).
    pub async fn apply_rotation(
        &self,
        plan_id: &str,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let reviewed = self.held_of_kind(plan_id, "rotation")?;
        self.apply_reviewed(&reviewed, on_event).await
    }

    /// Applies the add-region plan handed out as `plan_id` (re-planned and compared first);
    /// polls until the new region is `ENABLED`.
    pub async fn apply_add_region(
        &self,
        plan_id: &str,
        on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    ) -> Result<ApplyResult> {
        let reviewed = self.held_of_kind(plan_id, "addRegion")?;
        self.apply_reviewed(&reviewed, on_event).await
    }

    fn held_of_kind(&self, plan_id: &str, kind: &str) -> Result<Plan> {
        let plan = self.plans.get(plan_id)?;
        let actual = match &plan.change {
            PlanChange::Setup => "setup",
            PlanChange::Rotation(_) => "rotation",
            PlanChange::AddRegion(_) => "addRegion",
        };
        if actual != kind {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!("This is a {actual} plan, not a {kind} plan. Nothing was applied."),
            ));
        }
        Ok(plan)
    }
}
