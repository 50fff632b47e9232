//! Equivalent `aws` CLI commands (AWS CLI v2) and the CockroachDB `curl` call for an
//! [`AwsPlan`]: what a reviewer would type by hand, in the order the apply runs.
//!
//! Only the flags in [`KNOWN_COMMANDS`] are emitted (transcribed from the AWS CLI v2 command
//! reference pages `iam/create-role`, `iam/update-assume-role-policy`, `kms/create-key`,
//! `kms/create-alias`, `kms/enable-key-rotation`, `kms/replicate-key`, `kms/put-key-policy`);
//! a test checks every command against it. Key ids of keys not created yet are shell variables
//! filled by the command that creates them.

use super::plan::{AwsKeyKind, AwsPlan};
use crate::cockroach::{CmekSpecBody, CC_VERSION};

/// `aws` commands we emit and the flags each accepts (global `--region`, `--query`, `--output`).
pub const KNOWN_COMMANDS: &[(&str, &[&str])] = &[
    (
        "aws iam create-role",
        &[
            "--role-name",
            "--assume-role-policy-document",
            "--description",
            "--path",
            "--tags",
        ],
    ),
    (
        "aws iam update-assume-role-policy",
        &["--role-name", "--policy-document"],
    ),
    (
        "aws kms create-key",
        &[
            "--region",
            "--key-spec",
            "--key-usage",
            "--description",
            "--multi-region",
            "--tags",
            "--policy",
            "--query",
            "--output",
        ],
    ),
    (
        "aws kms create-alias",
        &["--region", "--alias-name", "--target-key-id"],
    ),
    ("aws kms enable-key-rotation", &["--region", "--key-id"]),
    (
        "aws kms replicate-key",
        &[
            "--region",
            "--key-id",
            "--replica-region",
            "--description",
            "--tags",
            "--policy",
            "--query",
            "--output",
        ],
    ),
    (
        "aws kms put-key-policy",
        &["--region", "--key-id", "--policy-name", "--policy"],
    ),
];

/// Tag every key CMEK Desk creates carries: the alias it was created for (so an interrupted
/// run finds the key again before its alias exists).
pub const ALIAS_TAG: &str = "cmek-desk:alias";

/// `'…'` with embedded single quotes escaped for POSIX shells.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn key_var(region: &str) -> String {
    format!("KEY_{}", region.replace('-', "_").to_ascii_uppercase())
}

/// The commands for `plan`, skipping what already exists.
pub fn commands(plan: &AwsPlan) -> Vec<String> {
    let mut out = Vec::new();
    let role = &plan.role;
    let trust = compact(&role.trust_policy_after);
    if !role.exists {
        out.push(format!(
            "aws iam create-role --role-name {} --assume-role-policy-document {} --description {}",
            role.name,
            shell_quote(&trust),
            shell_quote("CockroachDB Cloud CMEK: assumed by CockroachDB's AWS account, no permissions of its own")
        ));
    } else if role.trust_issue.is_some() {
        out.push(format!(
            "aws iam update-assume-role-policy --role-name {} --policy-document {}",
            role.name,
            shell_quote(&trust)
        ));
    }
    for k in &plan.keys {
        let var = key_var(&k.region);
        let key_ref = match &k.arn {
            Some(arn) => arn.clone(),
            None => format!("${var}"),
        };
        if k.arn.is_none() {
            let tags = format!("TagKey={ALIAS_TAG},TagValue={}", k.alias);
            match k.kind {
                AwsKeyKind::Replica => {
                    let primary = plan.keys.iter().find(|p| p.kind == AwsKeyKind::Primary);
                    let (p_region, p_ref) = primary.map_or((String::new(), String::new()), |p| {
                        (p.region.clone(), p.arn.clone().unwrap_or_else(|| format!("${}", key_var(&p.region))))
                    });
                    out.push(format!(
                        "{var}=$(aws kms replicate-key --region {p_region} --key-id {p_ref} --replica-region {} --tags {tags} --query ReplicaKeyMetadata.Arn --output text)",
                        k.region
                    ));
                }
                _ => out.push(format!(
                    "{var}=$(aws kms create-key --region {} --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT{} --description {} --tags {tags} --query KeyMetadata.Arn --output text)",
                    k.region,
                    if k.kind == AwsKeyKind::Primary { " --multi-region" } else { "" },
                    shell_quote(&format!("CockroachDB CMEK for cluster {} ({})", plan.cluster.name, k.alias)),
                )),
            }
            out.push(format!(
                "aws kms create-alias --region {} --alias-name {} --target-key-id {key_ref}",
                k.region, k.alias
            ));
        }
        if plan.request.rotation
            && k.kind != AwsKeyKind::Replica
            && k.rotation_enabled != Some(true)
        {
            out.push(format!(
                "aws kms enable-key-rotation --region {} --key-id {key_ref}",
                k.region
            ));
        }
        if k.key_policy_before.as_deref().map(compact) != Some(compact(&k.key_policy_after)) {
            out.push(format!(
                "aws kms put-key-policy --region {} --key-id {key_ref} --policy-name default --policy {}",
                k.region,
                shell_quote(&compact(&k.key_policy_after))
            ));
        }
    }
    let body = serde_json::to_string(&CmekSpecBody {
        region_specs: plan.region_specs.clone(),
    })
    .unwrap_or_default();
    out.push(format!(
        "curl -X POST https://cockroachlabs.cloud/api/v1/clusters/{}/cmek -H \"Authorization: Bearer $COCKROACH_API_KEY\" -H \"Cc-Version: {CC_VERSION}\" --json {}",
        plan.cluster.id,
        shell_quote(&body)
    ));
    out
}

/// Indented JSON made compact (unchanged if not JSON).
fn compact(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_owned())
}
