//! Building an [`AwsPlan`]: check the request and the layout against the cluster's regions
//! (before any call), then read the cluster, the organization (ExternalId), the caller, the
//! role and the keys. No write call is made here.

use super::plan_keys::{plan_keys, KeyStep};
use crate::connection::Connection;
use cmek_aws::AwsClient;
use cmek_core::aws::arn::{
    normalize_alias, partition_of, validate_region, validate_role_name, RoleArn,
};
use cmek_core::aws::commands::commands;
use cmek_core::aws::plan::{
    pending_key_uri, AwsKeyLayout, AwsPlan, AwsPlanStep, AwsPlannedRole, AwsSetupRequest,
    AwsStepKind,
};
use cmek_core::aws::statements::{check_trust, fix_trust, trust_policy};
use cmek_core::cockroach::{Cluster, CmekKeySpec, CmekRegionSpec};
use cmek_core::names::ClusterId;
use cmek_core::{Error, ErrorCode, Result};

/// A sensible request: role and alias named after the cluster id's suffix, one key per cluster
/// region in that region, rotation on, no trust rewrite without consent. Errors: the cluster
/// read's, or `NOT_ELIGIBLE` for a cluster that does not run on AWS.
pub async fn suggest_aws_request(conn: &Connection, cluster_id: &str) -> Result<AwsSetupRequest> {
    let id = ClusterId::parse(cluster_id)?;
    let cluster = conn.cockroach.get_cluster(id.as_str()).await?;
    if cluster.cloud_provider != "AWS" {
        return Err(Error::new(
            ErrorCode::NotEligible,
            format!(
                "Cluster {} runs on {}, not AWS.",
                cluster.name, cluster.cloud_provider
            ),
        ));
    }
    Ok(AwsSetupRequest {
        cluster_id: id.to_string(),
        role_name: format!("crdb-cmek-{}", id.suffix()),
        key_alias: format!("alias/crdb-cmek-{}", id.suffix()),
        layout: AwsKeyLayout::KeyPerRegion,
        rotation: true,
        fix_trust: false,
    })
}

/// Checks every field locally; the error names the field and the rule.
pub(crate) fn validate(req: &AwsSetupRequest) -> Result<(ClusterId, String)> {
    use cmek_core::setup_fields::fields::{AWS_ALIAS, AWS_PRIMARY, AWS_ROLE};
    let id = crate::form::cluster_id(&req.cluster_id)?;
    validate_role_name(AWS_ROLE.label, &req.role_name).map_err(|e| AWS_ROLE.relabel(e))?;
    let alias =
        normalize_alias(AWS_ALIAS.label, &req.key_alias).map_err(|e| AWS_ALIAS.relabel(e))?;
    if let AwsKeyLayout::MultiRegion { primary_region } = &req.layout {
        validate_region(AWS_PRIMARY.label, primary_region).map_err(|e| AWS_PRIMARY.relabel(e))?;
    }
    Ok((id, alias))
}

/// Checks the layout against the cluster's regions (before any AWS call): every region is an
/// AWS region of one partition, and a multi-Region primary is one of them.
pub(crate) fn check_layout(req: &AwsSetupRequest, cluster: &Cluster) -> Result<String> {
    let regions = cluster.region_names();
    if regions.is_empty() {
        return Err(Error::new(
            ErrorCode::NotEligible,
            format!("Cluster {} reports no regions.", cluster.name),
        ));
    }
    for r in &regions {
        validate_region("cluster region", r)?;
    }
    let partition = partition_of(&regions[0]);
    if let Some(r) = regions.iter().find(|r| partition_of(r) != partition) {
        return Err(cmek_core::setup_fields::fields::AWS_LAYOUT.error(format!("cluster regions {} and {r} are in different AWS partitions; one key layout cannot serve both", regions[0])));
    }
    if let AwsKeyLayout::MultiRegion { primary_region } = &req.layout {
        if !regions.contains(primary_region) {
            return Err(cmek_core::setup_fields::fields::AWS_PRIMARY.error(
                format!("{primary_region} is not a region of cluster {} ({}); the multi-Region primary must be in one of them", cluster.name, regions.join(", ")),
            ));
        }
    }
    Ok(partition.to_owned())
}

fn step(kind: AwsStepKind, title: String, resource: &str, already_done: bool) -> AwsPlanStep {
    let slug = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    AwsPlanStep {
        id: format!("{slug}:{resource}"),
        kind,
        title,
        resource: resource.to_owned(),
        already_done,
    }
}

/// Reads the current state and lays out the steps. Errors: `INVALID_INPUT` (a field or the
/// layout), `NOT_ELIGIBLE` (plan, visibility, state, provider), `FAILED_PRECONDITION` (an
/// alias names a key CockroachDB cannot use), or a read's own error.
pub async fn plan_aws(
    conn: &Connection,
    aws: &AwsClient,
    request: AwsSetupRequest,
) -> Result<AwsPlan> {
    let (id, alias) = validate(&request)?;
    let cluster = conn.cockroach.get_cluster(id.as_str()).await?;
    cluster.check_eligible()?;
    if cluster.cloud_provider != "AWS" {
        return Err(Error::new(
            ErrorCode::NotEligible,
            format!(
                "Cluster {} runs on {}; this setup creates AWS keys.",
                cluster.name, cluster.cloud_provider
            ),
        ));
    }
    let partition = check_layout(&request, &cluster)?;
    let org_id = conn.cockroach.get_organization().await?.id;
    let me = aws.caller_identity().await?;
    let crl = cluster.account_id.clone();
    let mut warnings = vec!["CockroachDB's advanced security add-on cannot be checked through the API; if it is off, CockroachDB will refuse the key and the last step will say so.".to_owned()];

    let existing = aws.get_role(&request.role_name).await?;
    let role = match &existing {
        None => AwsPlannedRole {
            name: request.role_name.clone(),
            arn: RoleArn::new(&partition, &me.account, &request.role_name).to_string(),
            exists: false,
            trust_policy_before: None,
            trust_policy_after: trust_policy(&partition, &crl, &org_id).to_pretty_json(),
            trust_issue: None,
            permission_policies: Vec::new(),
        },
        Some(r) => {
            let issue = check_trust(&r.trust_policy, &partition, &crl, &org_id).issue;
            let policies = aws.role_policies(&r.name).await?;
            let permission_policies: Vec<String> = policies
                .attached
                .into_iter()
                .chain(policies.inline)
                .collect();
            if !permission_policies.is_empty() {
                warnings.push(format!("Role {} has permission policies ({}); CockroachDB needs none (the key policy grants the key). CMEK Desk leaves them as they are.", r.name, permission_policies.join(", ")));
            }
            if let Some(why) = &issue {
                warnings.push(if request.fix_trust {
                    format!("Role {}: {why}. Applying rewrites its trust policy (your consent), keeping every other statement.", r.name)
                } else {
                    format!("Role {}: {why}. Applying stops at the role step unless you allow fixing the trust policy (--fix-trust).", r.name)
                });
            }
            AwsPlannedRole {
                name: r.name.clone(),
                arn: r.arn.clone(),
                exists: true,
                trust_policy_before: Some(r.trust_policy.to_pretty_json()),
                trust_policy_after: fix_trust(&r.trust_policy, &partition, &crl, &org_id)
                    .to_pretty_json(),
                trust_issue: issue,
                permission_policies,
            }
        }
    };

    let planned = plan_keys(
        aws,
        &request,
        &cluster,
        &alias,
        &partition,
        &me.account,
        &role.arn,
        &mut warnings,
    )
    .await?;
    let mut steps = vec![
        step(
            AwsStepKind::CheckIdentity,
            format!("Check the AWS credentials (account {})", me.account),
            &me.account,
            false,
        ),
        step(
            AwsStepKind::CreateRole,
            format!(
                "Create the role {} CockroachDB assumes (ExternalId = organization id)",
                role.name
            ),
            &role.arn,
            role.exists && role.trust_issue.is_none(),
        ),
    ];
    for (key, todo) in &planned {
        let resource = format!("{}/{}", key.region, key.alias);
        for s in todo {
            steps.push(match s {
                KeyStep::Create(done) => step(
                    AwsStepKind::CreateKey,
                    format!("Create the key {} in {}", key.alias, key.region),
                    &resource,
                    *done,
                ),
                KeyStep::Rotate(done) => step(
                    AwsStepKind::EnableKeyRotation,
                    format!(
                        "Turn on automatic rotation of {} in {}",
                        key.alias, key.region
                    ),
                    &resource,
                    *done,
                ),
                KeyStep::Replicate(done) => step(
                    AwsStepKind::ReplicateKey,
                    format!("Replicate the key into {} as {}", key.region, key.alias),
                    &resource,
                    *done,
                ),
                KeyStep::Policy(_) => continue,
            });
        }
    }
    for (key, todo) in &planned {
        if let Some(KeyStep::Policy(done)) = todo.iter().find(|s| matches!(s, KeyStep::Policy(_))) {
            steps.push(step(
                AwsStepKind::WriteKeyPolicy,
                format!(
                    "Let the role use {} in {} (key policy)",
                    key.alias, key.region
                ),
                &format!("{}/{}", key.region, key.alias),
                *done,
            ));
        }
    }
    let keys: Vec<_> = planned.into_iter().map(|(k, _)| k).collect();
    let region_specs: Vec<CmekRegionSpec> = cluster
        .region_names()
        .into_iter()
        .filter_map(|r| {
            let k = keys.iter().find(|k| k.regions.contains(&r))?;
            let uri = k
                .arn
                .clone()
                .unwrap_or_else(|| pending_key_uri(&k.alias, &k.region));
            Some(CmekRegionSpec {
                region: r,
                key_spec: CmekKeySpec {
                    key_type: "AWS_KMS".into(),
                    uri,
                    auth_principal: role.arn.clone(),
                },
            })
        })
        .collect();
    let cmek = conn.cockroach.get_cmek(id.as_str()).await?;
    let enabled = cmek.as_ref().is_some_and(|c| {
        c.status == "ENABLED"
            && region_specs.iter().all(|s| {
                c.region(&s.region)
                    .and_then(|r| r.current())
                    .is_some_and(|k| k.spec == s.key_spec)
            })
    });
    steps.push(step(
        AwsStepKind::EnableCmek,
        "Ask CockroachDB to use the keys (enable CMEK)".into(),
        id.as_str(),
        enabled,
    ));
    steps.push(step(
        AwsStepKind::WaitForCmek,
        "Wait until every region is ENABLED".into(),
        id.as_str(),
        enabled,
    ));

    let mut plan = AwsPlan {
        plan_id: String::new(),
        digest: String::new(),
        request,
        cluster,
        organization_id: org_id,
        account_id: me.account,
        caller_arn: me.arn,
        partition,
        role,
        keys,
        steps,
        region_specs,
        commands: Vec::new(),
        warnings,
    };
    plan.commands = commands(&plan);
    Ok(plan)
}

#[cfg(test)]
mod form_tests {
    //! The AWS setup form's fields, table-driven (issue #11): label, key and rule.
    use super::*;

    fn req(role: &str, alias: &str, layout: AwsKeyLayout) -> AwsSetupRequest {
        AwsSetupRequest {
            cluster_id: "25ebef5e-d2aa-4c1f-9a3e-0123456789ab".into(),
            role_name: role.into(),
            key_alias: alias.into(),
            layout,
            rotation: true,
            fix_trust: false,
        }
    }

    #[test]
    fn role_name_alias_and_primary_region_fields() {
        let per = || AwsKeyLayout::KeyPerRegion;
        for (role, alias) in [
            ("crdb-cmek", "alias/crdb-cmek"),
            ("a+b=c,d.e@f_g-h", "crdb"),
        ] {
            validate(&req(role, alias, per())).unwrap();
        }
        let cases = [
            (req("", "alias/k", per()), "role_name", "IAM role name: "),
            (
                req("has space", "alias/k", per()),
                "role_name",
                "IAM role name: ",
            ),
            (
                req(&"r".repeat(65), "alias/k", per()),
                "role_name",
                "IAM role name: ",
            ),
            (
                req("crdb", "alias/aws/x", per()),
                "key_alias",
                "Key alias: alias/aws/… is reserved",
            ),
            (
                req("crdb", "alias/bad alias", per()),
                "key_alias",
                "Key alias: a KMS alias is alias/",
            ),
            (
                req(
                    "crdb",
                    "alias/k",
                    AwsKeyLayout::MultiRegion {
                        primary_region: "mars".into(),
                    },
                ),
                "layout.primary_region",
                "Multi-Region primary region: an AWS region looks like us-east-1",
            ),
        ];
        for (r, key, want) in cases {
            let e = validate(&r).unwrap_err();
            assert_eq!(e.resource.as_deref(), Some(key), "{e:?}");
            assert!(
                e.message.starts_with(want),
                "{:?} should start with {want:?}",
                e.message
            );
        }
    }
}
