//! `cmek plan CLUSTER [flags] [--out FILE]`: starts from the core's suggestion for the cluster
//! (`Desk::suggest_setup`), overrides what the flags say, and asks the core for the plan (reads
//! only). The plan file holds the plan with its id and digest, for `cmek apply --plan`.

use super::resolve_cluster;
use crate::args::{PlanArgs, PlanOptions, Rotation};
use crate::exit::{invalid, Outcome, OK};
use crate::output::{Out, Tone};
use cmek_core::change::PlanChange;
use cmek_core::cockroach::Cluster;
use cmek_core::plan::{KeyLayout, Plan, ProtectionLevel, SetupRequest};
use cmek_core::{Error, Result};
use cmek_desk_core::Desk;
use std::path::Path;

pub async fn run(desk: &Desk, args: PlanArgs, out: &Out) -> Outcome {
    let cluster = resolve_cluster(desk, &args.cluster).await?;
    if super::aws_setup::is_aws(&cluster, &args.options)? {
        return super::aws_setup::plan(desk, &cluster, &args.options, args.out.as_deref(), out)
            .await;
    }
    let request = request_for(desk, &cluster, &args.options).await?;
    let plan = desk.plan_setup(request).await?;
    if let Some(path) = &args.out {
        write_plan(&plan, path)?;
    }
    if out.json {
        out.print_json(&plan);
    } else {
        // Another key on an ENABLED cluster: the plan is a rotation (issue 10).
        super::change_flow::print_change(&plan, out);
        print_plan(&plan, out);
        match &args.out {
            Some(path) => println!(
                "\nPlan written to {}. Apply it with: cmek apply --plan {}",
                path.display(),
                path.display()
            ),
            None => println!("\nApply with --out FILE then `cmek apply --plan FILE`, or `cmek apply CLUSTER --yes`."),
        }
    }
    Ok(OK)
}

/// The suggested request for `cluster` with the flags applied.
pub async fn request_for(desk: &Desk, cluster: &Cluster, o: &PlanOptions) -> Result<SetupRequest> {
    let mut req = desk.suggest_setup(&cluster.id).await?;
    if let Some(project) = &o.project {
        req.project = project.clone();
    }
    if let Some(key_project) = &o.key_project {
        req.key_project = Some(key_project.clone());
    }
    if req.project.is_empty() {
        return Err(invalid(
            "--project",
            "no project is visible to suggest one; name the project for the keys with --project",
        ));
    }
    let regions = cluster.region_names();
    if o.key_per_region {
        req.layout = KeyLayout::KeyPerRegion;
    } else if o.same_key {
        let [only] = regions.as_slice() else {
            return Err(invalid(
                "--same-key",
                format!(
                    "puts one key in the cluster's only region, but {} has {} regions ({}); use --key-per-region or --multi-region LOCATION",
                    cluster.name,
                    regions.len(),
                    regions.join(", ")
                ),
            ));
        };
        req.layout = KeyLayout::SingleKey {
            location: only.clone(),
        };
    } else if let Some(location) = &o.multi_region {
        req.layout = KeyLayout::SingleKey {
            location: location.clone(),
        };
    }
    if o.hsm {
        req.protection_level = ProtectionLevel::Hsm;
    }
    match o.rotation {
        Some(Rotation::Days(days)) => req.rotation_period_days = Some(days.into()),
        Some(Rotation::Never) => req.rotation_period_days = None,
        None => {}
    }
    if let Some(ring) = &o.key_ring {
        req.key_ring = ring.clone();
    }
    if let Some(key) = &o.key {
        req.crypto_key = key.clone();
    }
    if let Some(sa) = &o.service_account {
        req.service_account_id = sa.clone();
    }
    Ok(req)
}

pub(super) fn write_plan(plan: &Plan, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(plan)
        .map_err(|e| Error::internal(format!("cannot render the plan: {e}")))?;
    // 0600: a plan names IAM members and keys (issue 13).
    cmek_activity::files::write_private(path, (text + "\n").as_bytes())
        .map_err(|e| Error::internal(format!("--out: {}", e.message)))
}

/// How the plan's separation-of-duties warnings begin (`cmek_setup`'s C12 warning).
const C12_PREFIX: &str = "Separation of duties (audit check C12)";

/// The plan for people: what is created or adopted, the steps, the IAM grants, the warnings.
pub fn print_plan(plan: &Plan, out: &Out) {
    let r = &plan.request;
    println!(
        "Plan for {} ({}) in project {}{}",
        out.paint(&plan.cluster.name, Tone::Good),
        plan.cluster.id,
        r.project,
        r.separate_key_project()
            .map(|kp| format!(", keys in key project {kp}"))
            .unwrap_or_default()
    );
    println!("  digest {}", out.paint(&plan.digest, Tone::Dim));
    let rotation = r
        .rotation_days()
        .map_or("never".to_owned(), |d| format!("every {d} days"));
    println!("  protection {:?}, rotation {rotation}", r.protection_level);
    println!(
        "  service account {} ({})",
        plan.service_account_email,
        if plan.service_account_exists {
            "exists"
        } else {
            "to create"
        }
    );
    let mut keys = out.table(&["KEY", "LOCATION", "REGIONS", "ACTION"]);
    for k in &plan.keys {
        let action = if k.exists { "adopt" } else { "create" };
        keys.add_row(vec![
            out.cell(out.fit(&k.name, 72), None),
            out.cell(&k.location, None),
            out.cell(k.regions.join(", "), None),
            out.cell(action, Some(if k.exists { Tone::Dim } else { Tone::Warn })),
        ]);
    }
    println!();
    out.print_table(&keys);
    let mut steps = out.table(&["#", "STEP", "RESOURCE", "STATE"]);
    for (i, s) in plan.steps.iter().enumerate() {
        let (state, tone) = if s.already_done {
            ("already done", Tone::Dim)
        } else {
            ("to do", Tone::Warn)
        };
        steps.add_row(vec![
            out.cell(i + 1, None),
            out.cell(&s.title, None),
            out.cell(out.fit(&s.resource, 60), None),
            out.cell(state, Some(tone)),
        ]);
    }
    println!();
    out.print_table(&steps);
    if !plan.iam_changes.is_empty() {
        let mut iam = out.table(&["GRANT ROLE", "TO MEMBER", "ON RESOURCE"]);
        for c in &plan.iam_changes {
            iam.add_row(vec![
                out.cell(&c.grant.role, None),
                out.cell(&c.grant.member, None),
                out.cell(out.fit(&c.resource, 60), None),
            ]);
        }
        println!();
        out.print_table(&iam);
    }
    for w in &plan.warnings {
        // The C12 fix is a flag here (the window has a button for it).
        let fix = match (w.starts_with(C12_PREFIX) && plan.offer_key_project, &plan.change) {
            (false, _) => "",
            (true, PlanChange::Rotation(_)) => {
                " With cmek rotate: --project PROJECT, a project no person owns (the service account stays where it is)."
            }
            (true, _) => {
                " With cmek: --key-project PROJECT (the service account stays in --project)."
            }
        };
        println!("{} {w}{fix}", out.paint("warning:", Tone::Warn));
    }
}
