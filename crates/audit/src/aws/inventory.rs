//! Reads the AWS inventory ([`AwsInventory`]): per region `ListKeys`, `DescribeKey` (only
//! `KeyManager = CUSTOMER` keys are kept), `ListAliases`, `GetKeyPolicy` and, for Enabled keys,
//! `GetKeyRotationStatus`; then `ListRoles` with each role's inline (`GetRolePolicy`) and
//! customer-managed attached policies (`GetPolicy` + `GetPolicyVersion`), the roles CockroachDB
//! clusters name (`auth_principal` of `AWS_KMS` key specs) looked up with `GetRole` when
//! `ListRoles` did not return them; and the CockroachDB organization id. Errors are kept on the
//! row or in [`AwsInventory::errors`]; the scan itself never fails.

use super::{AwsInventory, AwsKey, AwsRole, AwsScan, RolePolicy};
use crate::model::ClusterRow;
use cmek_aws::AwsClient;
use cmek_cockroach::CockroachClient;
use cmek_core::aws::arn::{KeyArn, RoleArn};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// `(key ARN, role ARN)` of every `AWS_KMS` key info (current and past) of every cluster.
pub fn cluster_specs(clusters: &[ClusterRow]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in clusters {
        for r in c.cmek.iter().flat_map(|i| i.region_infos.iter()) {
            for k in r.key_infos.iter().filter(|k| k.spec.key_type == "AWS_KMS") {
                let pair = (k.spec.uri.clone(), k.spec.auth_principal.clone());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

/// The regions to scan: those asked for plus those of the CockroachDB key ARNs, sorted.
pub fn regions(asked: &[String], clusters: &[ClusterRow]) -> Vec<String> {
    let mut set: BTreeSet<String> = asked.iter().cloned().collect();
    for (key, _) in cluster_specs(clusters) {
        if let Ok(k) = KeyArn::parse("uri", &key) {
            set.insert(k.region);
        }
    }
    set.into_iter().collect()
}

/// Reads the whole AWS inventory (see the module docs).
pub async fn scan(
    aws: AwsScan<'_>,
    crdb: Option<&CockroachClient>,
    clusters: &[ClusterRow],
    cancel: &AtomicBool,
) -> AwsInventory {
    let mut inv = AwsInventory {
        regions: regions(aws.regions, clusters),
        ..Default::default()
    };
    if let Some(c) = crdb {
        match c.get_organization().await {
            Ok(o) => inv.org_id = Some(o.id),
            Err(e) => inv.errors.push(e),
        }
    }
    for region in inv.regions.clone() {
        if cancel.load(Ordering::Relaxed) {
            return inv;
        }
        match read_region(aws.client, &region).await {
            Ok(keys) => inv.keys.extend(keys),
            Err(e) => inv.errors.push(e),
        }
    }
    match aws.client.list_roles().await {
        Ok(roles) => {
            for role in roles {
                if cancel.load(Ordering::Relaxed) {
                    return inv;
                }
                inv.roles.push(read_role(aws.client, role).await);
            }
        }
        Err(e) => inv.errors.push(e),
    }
    for (_, role_arn) in cluster_specs(clusters) {
        if inv.role(&role_arn).is_some() || inv.missing_roles.contains(&role_arn) {
            continue;
        }
        let Ok(arn) = RoleArn::parse("auth_principal", &role_arn) else {
            inv.missing_roles.push(role_arn);
            continue;
        };
        match aws.client.get_role(&arn.name).await {
            Ok(Some(r)) if r.arn == role_arn => inv.roles.push(read_role(aws.client, r).await),
            Ok(_) => inv.missing_roles.push(role_arn),
            Err(e) => inv.errors.push(e),
        }
    }
    inv
}

async fn read_region(client: &AwsClient, region: &str) -> cmek_core::Result<Vec<AwsKey>> {
    let ids = client.list_keys(region).await?;
    let aliases = client.list_aliases(region, None).await?;
    let mut out = Vec::new();
    for id in ids {
        let meta = match client.describe_key(region, &id).await {
            Ok(Some(m)) if m.key_manager == "CUSTOMER" => m,
            Ok(_) => continue,
            Err(e) => return Err(e),
        };
        let mut key = AwsKey {
            aliases: aliases
                .iter()
                .filter(|a| a.target_key_id.as_deref() == Some(meta.key_id.as_str()))
                .map(|a| a.alias_name.clone())
                .collect(),
            policy: None,
            rotation_enabled: None,
            error: None,
            meta,
        };
        match client.get_key_policy(region, &id).await {
            Ok(p) => key.policy = Some(p),
            Err(e) => key.error = Some(e),
        }
        if key.meta.key_state == "Enabled" {
            match client.key_rotation_enabled(region, &id).await {
                Ok(on) => key.rotation_enabled = Some(on),
                Err(e) => key.error = key.error.or(Some(e)),
            }
        }
        out.push(key);
    }
    Ok(out)
}

async fn read_role(client: &AwsClient, role: cmek_core::aws::model::IamRole) -> AwsRole {
    let mut row = AwsRole {
        role,
        policies: Vec::new(),
        aws_managed: Vec::new(),
        error: None,
    };
    let lists = match client.role_policies(&row.role.name).await {
        Ok(l) => l,
        Err(e) => {
            row.error = Some(e);
            return row;
        }
    };
    for name in lists.inline {
        match client.role_policy_document(&row.role.name, &name).await {
            Ok(document) => row.policies.push(RolePolicy {
                name,
                inline: true,
                document,
            }),
            Err(e) => row.error = row.error.take().or(Some(e)),
        }
    }
    for arn in lists.attached {
        if arn.contains(":iam::aws:policy/") {
            row.aws_managed.push(arn);
            continue;
        }
        match client.managed_policy_document(&arn).await {
            Ok(document) => row.policies.push(RolePolicy {
                name: arn,
                inline: false,
                document,
            }),
            Err(e) => row.error = row.error.take().or(Some(e)),
        }
    }
    row
}
