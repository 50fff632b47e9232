//! What `cmek plan` and `cmek apply` print for an AWS cluster: the plan (role, keys, steps,
//! the policies after applying, warnings), progress lines, and the result.

use crate::output::{Out, Tone};
use crate::progress::Progress;
use cmek_core::aws::plan::{AwsKeyKind, AwsPlan};
use cmek_core::plan::{ApplyEvent, ApplyResult, StepOutcome};
use std::collections::HashMap;

/// The AWS plan for people: role, keys, steps, policies after, warnings.
pub fn print_plan(plan: &AwsPlan, out: &Out) {
    println!(
        "AWS plan for {} ({}) in AWS account {} (as {})",
        out.paint(&plan.cluster.name, Tone::Good),
        plan.cluster.id,
        plan.account_id,
        plan.caller_arn
    );
    println!("  digest {}", out.paint(&plan.digest, Tone::Dim));
    let role_action = match (plan.role.exists, &plan.role.trust_issue) {
        (false, _) => "to create",
        (true, None) => "exists",
        (true, Some(_)) if plan.request.fix_trust => "exists; trust to fix (--fix-trust)",
        (true, Some(_)) => "exists; trust NOT as required (apply stops unless --fix-trust)",
    };
    println!(
        "  role {} ({role_action}), ExternalId {}, rotation {}",
        plan.role.arn,
        plan.organization_id,
        if plan.request.rotation { "on" } else { "off" }
    );
    let mut keys = out.table(&["ALIAS", "REGION", "KIND", "ACTION"]);
    for k in &plan.keys {
        let kind = match k.kind {
            AwsKeyKind::SingleRegion => "single-Region",
            AwsKeyKind::Primary => "multi-Region primary",
            AwsKeyKind::Replica => "replica",
        };
        let action = match (&k.arn, k.kind) {
            (Some(arn), _) => format!("adopt {}", out.fit(arn, 60)),
            (None, AwsKeyKind::Replica) => "replicate".to_owned(),
            (None, _) => "create".to_owned(),
        };
        keys.add_row(vec![
            out.cell(&k.alias, None),
            out.cell(&k.region, None),
            out.cell(kind, None),
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
    if plan.role.trust_policy_before.as_deref() != Some(plan.role.trust_policy_after.as_str()) {
        println!(
            "\nTrust policy of {} after applying:\n{}",
            plan.role.name, plan.role.trust_policy_after
        );
    }
    for k in plan
        .keys
        .iter()
        .filter(|k| k.key_policy_before.as_deref() != Some(k.key_policy_after.as_str()))
    {
        println!(
            "\nKey policy of {} in {} after applying:\n{}",
            k.alias, k.region, k.key_policy_after
        );
    }
    for w in &plan.warnings {
        println!("{} {w}", out.paint("warning:", Tone::Warn));
    }
}

pub fn on_event(
    progress: &Progress,
    titles: &HashMap<String, String>,
    out: &Out,
    event: ApplyEvent,
) {
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

pub fn print_result(result: &ApplyResult, out: &Out) {
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
