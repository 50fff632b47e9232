//! What `cmek rotate` and `cmek add-region` share: show the plan (and write it with `--out`),
//! apply it by id with `--yes`, or apply a reviewed plan file of the right kind with `--plan`.
//! Applying is `cmek apply`'s own (progress on stderr, Ctrl-C cancels, exit 130).

use super::{apply, plan};
use crate::args::ApplyChoice;
use crate::exit::{invalid, Outcome, OK};
use crate::output::{Out, Tone};
use cmek_core::change::PlanChange;
use cmek_core::plan::Plan;
use cmek_desk_core::Desk;
use std::path::Path;

/// `rotation` or `addRegion`: the plan's kind as its JSON names it.
fn kind_of(plan: &Plan) -> &'static str {
    match &plan.change {
        PlanChange::Setup => "setup",
        PlanChange::Rotation(_) => "rotation",
        PlanChange::AddRegion(_) => "addRegion",
    }
}

/// After planning: write `--out`, then apply (`--yes`) or show the plan with how to apply it.
pub async fn finish(
    desk: &Desk,
    plan: Plan,
    choice: &ApplyChoice,
    command: &str,
    out: &Out,
) -> Outcome {
    if let Some(path) = &choice.out {
        plan::write_plan(&plan, path)?;
    }
    if choice.yes {
        return apply::execute(desk, &plan, false, out).await;
    }
    if out.json {
        out.print_json(&plan);
        return Ok(OK);
    }
    print_change(&plan, out);
    plan::print_plan(&plan, out);
    match &choice.out {
        Some(path) => println!(
            "\nPlan written to {}. Apply it with: cmek {command} --plan {}",
            path.display(),
            path.display()
        ),
        None => println!("\nApply with --out FILE then `cmek {command} --plan FILE`, or run the same command with --yes."),
    }
    Ok(OK)
}

/// `--plan FILE`: refuses a file edited after planning or of another kind, then applies it.
pub async fn apply_file(desk: &Desk, path: &Path, kind: &str, out: &Out) -> Outcome {
    let plan = apply::read_plan(path)?;
    cmek_desk_core::plans::check_file_integrity(&plan)?;
    if kind_of(&plan) != kind {
        return Err(invalid(
            "--plan",
            format!(
                "{} is a {} plan, not a {kind} plan; apply it with `cmek apply --plan {}`",
                path.display(),
                kind_of(&plan),
                path.display()
            ),
        ));
    }
    apply::execute(desk, &plan, true, out).await
}

/// The lines that say what a rotation or add-region plan changes (nothing for setup plans).
pub fn print_change(plan: &Plan, out: &Out) {
    match &plan.change {
        PlanChange::Setup => {}
        PlanChange::Rotation(r) => {
            println!(
                "{} {} to new keys: {} change{}",
                out.paint("Rotation", Tone::Warn),
                plan.cluster.name,
                if r.changed_regions.is_empty() {
                    "no region".to_owned()
                } else {
                    r.changed_regions.join(", ")
                },
                if r.unchanged_regions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} already on their new key)",
                        r.unchanged_regions.join(", ")
                    )
                }
            );
            for c in &r.from {
                println!(
                    "  {}: from {} (kept: still needed to decrypt)",
                    c.region,
                    out.fit(&c.key_spec.uri, 80)
                );
            }
        }
        PlanChange::AddRegion(a) => {
            let nodes: Vec<String> = a
                .region_nodes
                .iter()
                .map(|(r, n)| format!("{r}={n}"))
                .collect();
            println!(
                "{} {} to {} ({}); nodes after: {}",
                out.paint("New region", Tone::Warn),
                a.request.region,
                plan.cluster.name,
                if a.reuses_key {
                    "its current key serves it"
                } else {
                    "with its own key"
                },
                nodes.join(", ")
            );
        }
    }
}
