//! `cmek apply --plan FILE` or `cmek apply CLUSTER --yes [plan flags]`.
//!
//! A plan file goes to `Desk::apply_plan_file`, which refuses a file edited after planning
//! (digest mismatch) or a world that changed since, and otherwise executes the freshly
//! computed plan. With CLUSTER the plan is made here and applied by its id. Progress on stderr;
//! Ctrl-C cancels through the Desk (exit 130).

use super::{plan, resolve_cluster};
use crate::args::ApplyArgs;
use crate::cancel::cancellable;
use crate::exit::{invalid, Outcome, OK};
use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_core::change::PlanChange;
use cmek_core::plan::{ApplyEvent, ApplyResult, Plan, StepOutcome};
use cmek_core::{ErrorCode, Result};
use cmek_desk_core::{Desk, Operation};
use std::collections::HashMap;
use std::path::Path;

pub async fn run(desk: &Desk, args: ApplyArgs, out: &Out) -> Outcome {
    let (plan, from_file) = match (&args.plan, &args.cluster) {
        (Some(path), _) => {
            if let Some(aws) = super::aws_setup::read_aws_plan(path)? {
                return super::aws_setup::apply_file(desk, &aws, out).await;
            }
            let plan = read_plan(path)?;
            // Refused before anything is printed or read (the core checks again when applying).
            cmek_desk_core::plans::check_file_integrity(&plan)?;
            (plan, true)
        }
        (None, Some(cluster)) => {
            if !args.yes {
                return Err(invalid(
                    "--yes",
                    "applying changes cloud resources: review with `cmek plan CLUSTER --out FILE` and apply the file with --plan, or pass --yes",
                ));
            }
            let cluster = resolve_cluster(desk, cluster).await?;
            if super::aws_setup::is_aws(&cluster, &args.options)? {
                return super::aws_setup::apply_cluster(desk, &cluster, &args.options, out).await;
            }
            let request = plan::request_for(desk, &cluster, &args.options).await?;
            (desk.plan_setup(request).await?, false)
        }
        (None, None) => return Err(invalid("CLUSTER", "give a cluster or --plan FILE")),
    };
    execute(desk, &plan, from_file, out).await
}

/// Applies `plan` (a setup, rotation or add-region plan) with progress on stderr: a plan file
/// through `Desk::apply_plan_file`, a plan made in this process by its id. Ctrl-C cancels
/// through the Desk (exit 130).
pub(super) async fn execute(desk: &Desk, plan: &Plan, from_file: bool, out: &Out) -> Outcome {
    if !out.json {
        out.note(format!(
            "Applying the plan for {} ({} steps)…",
            plan.cluster.name,
            plan.steps.len()
        ));
    }
    let titles: HashMap<String, String> = plan
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.title.clone()))
        .collect();
    let progress = Progress::bar(out, plan.steps.len() as u64);
    let sink = |event: ApplyEvent| on_event(&progress, &titles, out, event);
    let work = async {
        if from_file {
            desk.apply_plan_file(plan, &sink).await
        } else {
            match &plan.change {
                PlanChange::Setup => desk.apply_setup(&plan.plan_id, &sink).await,
                PlanChange::Rotation(_) => desk.apply_rotation(&plan.plan_id, &sink).await,
                PlanChange::AddRegion(_) => desk.apply_add_region(&plan.plan_id, &sink).await,
            }
        }
    };
    let (result, interrupted) = cancellable(desk, Operation::Apply, &progress, work).await;
    progress.finish();
    match result {
        Ok(result) => {
            print_result(&result, out);
            Ok(OK)
        }
        Err(e) => {
            if interrupted && e.code == ErrorCode::Cancelled {
                out.note("Apply stopped. Run the same command again to resume; finished steps are kept and verified.");
            }
            Err(e)
        }
    }
}

pub(super) fn read_plan(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid("--plan", format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(
            "--plan",
            format!(
                "{} is not a plan file written by `cmek plan --out` ({e})",
                path.display()
            ),
        )
    })
}

fn on_event(progress: &Progress, titles: &HashMap<String, String>, out: &Out, event: ApplyEvent) {
    let title = |id: &str| titles.get(id).cloned().unwrap_or_else(|| id.to_owned());
    match event {
        ApplyEvent::StepStarted { step_id } => progress.message(title(&step_id)),
        ApplyEvent::StepProgress { step_id, message } => {
            progress.message(format!("{}: {message}", title(&step_id)))
        }
        ApplyEvent::StepFinished {
            step_id,
            outcome,
            detail,
        } => {
            let (mark, tone) = match outcome {
                StepOutcome::Done => ("✓", Tone::Good),
                StepOutcome::Adopted => ("✓ adopted", Tone::Good),
                StepOutcome::Unchanged => ("= unchanged", Tone::Dim),
            };
            progress.done(format!(
                "{} {}: {detail}",
                out.paint(mark, tone),
                title(&step_id)
            ));
        }
        ApplyEvent::StepFailed { step_id, error } => progress.line(format!(
            "{} {}: {}",
            out.paint("✗", Tone::Bad),
            title(&step_id),
            error.message
        )),
        ApplyEvent::Finished { .. } => progress.finish(),
    }
}

fn print_result(result: &ApplyResult, out: &Out) {
    if out.json {
        out.print_json(result);
        return;
    }
    println!(
        "CMEK for {} is {} ({} write calls; auth principal {})",
        result.cluster_name,
        out.paint(
            &result.cmek.status,
            crate::output::status_tone(&result.cmek.status)
        ),
        result.write_calls,
        result.auth_principal
    );
    super::status::print_regions(&result.cmek, out);
}
