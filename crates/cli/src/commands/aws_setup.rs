//! `cmek plan` and `cmek apply` for a cluster whose provider is AWS: the request from
//! `Desk::suggest_aws_setup` with the AWS flags (`--role-name`, `--key-alias`,
//! `--key-per-region` | `--multi-region-key [PRIMARY]`, `--rotation never`, `--fix-trust`), the
//! plan held by the core (`Desk::plan_aws_setup`), applied by id or from a plan file
//! (`Desk::apply_aws_plan_file`, refused when edited or when the world changed).

use crate::args::{PlanOptions, Rotation};
use crate::cancel::cancellable;
use crate::exit::{invalid, Outcome, OK};
use crate::output::Out;
use crate::progress::Progress;
use cmek_core::aws::plan::{AwsKeyLayout, AwsPlan, AwsSetupRequest};
use cmek_core::cockroach::Cluster;
use cmek_core::plan::ApplyEvent;
use cmek_core::{Error, ErrorCode, Result};
use cmek_desk_core::{Desk, Operation};
use std::collections::HashMap;
use std::path::Path;

/// True for an AWS cluster. Refuses the flags of the other cloud, naming the flag.
pub fn is_aws(cluster: &Cluster, o: &PlanOptions) -> Result<bool> {
    let aws = cluster.cloud_provider == "AWS";
    let gcp_flags = [
        ("--project", o.project.is_some()),
        ("--key-project", o.key_project.is_some()),
        ("--same-key", o.same_key),
        ("--multi-region", o.multi_region.is_some()),
        ("--hsm", o.hsm),
        ("--key-ring", o.key_ring.is_some()),
        ("--key", o.key.is_some()),
        ("--service-account", o.service_account.is_some()),
    ];
    let aws_flags = [
        ("--role-name", o.role_name.is_some()),
        ("--key-alias", o.key_alias.is_some()),
        ("--multi-region-key", o.multi_region_key.is_some()),
        ("--fix-trust", o.fix_trust),
    ];
    let (wrong, cloud) = if aws {
        (&gcp_flags[..], "Google Cloud")
    } else {
        (&aws_flags[..], "AWS")
    };
    if let Some((flag, _)) = wrong.iter().find(|(_, given)| *given) {
        return Err(invalid(
            flag,
            format!(
                "applies to {cloud} clusters; {} runs on {}",
                cluster.name, cluster.cloud_provider
            ),
        ));
    }
    Ok(aws)
}

/// The suggested AWS request for `cluster` with the flags applied.
pub async fn request_for(
    desk: &Desk,
    cluster: &Cluster,
    o: &PlanOptions,
) -> Result<AwsSetupRequest> {
    let mut req = desk.suggest_aws_setup(&cluster.id).await?;
    if let Some(name) = &o.role_name {
        req.role_name = name.clone();
    }
    if let Some(alias) = &o.key_alias {
        req.key_alias = alias.clone();
    }
    if let Some(primary) = &o.multi_region_key {
        let regions = cluster.region_names();
        let primary = if primary.is_empty() {
            cluster
                .regions
                .iter()
                .find(|r| r.primary)
                .map(|r| r.name.clone())
                .or_else(|| regions.first().cloned())
                .unwrap_or_default()
        } else {
            primary.clone()
        };
        if !regions.contains(&primary) {
            return Err(invalid(
                "--multi-region-key",
                format!(
                    "{primary} is not a region of {} ({})",
                    cluster.name,
                    regions.join(", ")
                ),
            ));
        }
        req.layout = AwsKeyLayout::MultiRegion {
            primary_region: primary,
        };
    } else if o.key_per_region {
        req.layout = AwsKeyLayout::KeyPerRegion;
    }
    match o.rotation {
        Some(Rotation::Never) => req.rotation = false,
        Some(Rotation::Days(365)) | None => req.rotation = true,
        Some(Rotation::Days(d)) => {
            return Err(invalid(
                "--rotation",
                format!("AWS KMS rotates a key once a year here: use 365d or never (got {d}d)"),
            ))
        }
    }
    req.fix_trust = o.fix_trust;
    Ok(req)
}

/// `cmek plan` for an AWS cluster.
pub async fn plan(
    desk: &Desk,
    cluster: &Cluster,
    o: &PlanOptions,
    file: Option<&Path>,
    out: &Out,
) -> Outcome {
    let plan = desk
        .plan_aws_setup(request_for(desk, cluster, o).await?)
        .await?;
    if let Some(path) = file {
        let text = serde_json::to_string_pretty(&plan)
            .map_err(|e| Error::internal(format!("cannot render the plan: {e}")))?;
        // 0600: a plan names roles, keys and account ids (issue 13).
        cmek_activity::files::write_private(path, (text + "\n").as_bytes())
            .map_err(|e| Error::internal(format!("--out: {}", e.message)))?;
    }
    if out.json {
        out.print_json(&plan);
        return Ok(OK);
    }
    super::aws_output::print_plan(&plan, out);
    match file {
        Some(path) => println!(
            "\nPlan written to {}. Apply it with: cmek apply --plan {}",
            path.display(),
            path.display()
        ),
        None => println!(
            "\nApply with --out FILE then `cmek apply --plan FILE`, or `cmek apply CLUSTER --yes`."
        ),
    }
    Ok(OK)
}

/// The AWS plan in a plan file, if the file holds one (`None`: a Google Cloud plan).
pub fn read_aws_plan(path: &Path) -> Result<Option<AwsPlan>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid("--plan", format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        invalid(
            "--plan",
            format!(
                "{} is not a plan file written by `cmek plan --out` ({e})",
                path.display()
            ),
        )
    })?;
    if value["cluster"]["cloud_provider"] != "AWS" || value.get("role").is_none() {
        return Ok(None);
    }
    serde_json::from_value(value).map(Some).map_err(|e| {
        invalid(
            "--plan",
            format!(
                "{} is not an AWS plan file written by `cmek plan --out` ({e})",
                path.display()
            ),
        )
    })
}

/// `cmek apply --plan FILE` with an AWS plan file.
pub async fn apply_file(desk: &Desk, plan: &AwsPlan, out: &Out) -> Outcome {
    cmek_desk_core::aws_plans::check_file_integrity(plan)?;
    execute(desk, plan, true, out).await
}

/// `cmek apply CLUSTER --yes` for an AWS cluster.
pub async fn apply_cluster(desk: &Desk, cluster: &Cluster, o: &PlanOptions, out: &Out) -> Outcome {
    let plan = desk
        .plan_aws_setup(request_for(desk, cluster, o).await?)
        .await?;
    execute(desk, &plan, false, out).await
}

async fn execute(desk: &Desk, plan: &AwsPlan, from_file: bool, out: &Out) -> Outcome {
    if !out.json {
        out.note(format!(
            "Applying the AWS plan for {} ({} steps)…",
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
    let sink = |event: ApplyEvent| super::aws_output::on_event(&progress, &titles, out, event);
    let work = async {
        if from_file {
            desk.apply_aws_plan_file(plan, &sink).await
        } else {
            desk.apply_aws_setup(&plan.plan_id, &sink).await
        }
    };
    let (result, interrupted) = cancellable(desk, Operation::Apply, &progress, work).await;
    progress.finish();
    match result {
        Ok(result) => {
            super::aws_output::print_result(&result, out);
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
