//! Blast radius of an AWS revocation (reads only): the cluster's current specs give its roles
//! and keys; every other AWS cluster of the organization whose current spec uses one of the
//! roles (trust lever) or one of the keys through one of the roles (key-policy lever) is cut
//! off too. Each lever lists the exact statements it would remove.

use cmek_core::aws::arn::{account_root_arn, RoleArn};
use cmek_core::cockroach::{Cluster, CmekClusterInfo};
use cmek_core::Result;

use super::edit::find;
use super::{client, AwsPolicyRef};
use crate::blast_radius::{affected_names, uniq, uses_of, ClusterKeyUse};
use crate::lever::{Lever, LeverInfo, Reach};
use crate::{RevokeContext, RevokePreview, SharingCluster};

/// The confirmation data for an AWS cluster (called by [`crate::preview_revoke`]).
pub(crate) async fn preview(
    ctx: &RevokeContext,
    cluster: &Cluster,
    organization_id: String,
    cmek: CmekClusterInfo,
) -> Result<RevokePreview> {
    let aws = client(ctx)?;
    let mine: Vec<ClusterKeyUse> = uses_of(cluster, &cmek)
        .into_iter()
        .filter(|u| u.current)
        .collect();
    let roles = uniq(mine.iter().map(|u| u.auth_principal.clone()).collect());
    let keys = uniq(mine.iter().map(|u| u.key_uri.clone()).collect());
    let pairs: Vec<(String, String)> = mine
        .iter()
        .map(|u| (u.key_uri.clone(), u.auth_principal.clone()))
        .collect();
    let partition = roles
        .first()
        .and_then(|r| RoleArn::parse("role", r).ok())
        .map(|r| r.partition)
        .unwrap_or_else(|| "aws".to_owned());
    let crl_root = account_root_arn(&partition, &cluster.account_id);
    let mut warnings = Vec::new();
    if cmek.status == "REVOKED" || cmek.status == "REVOKING" {
        warnings.push(format!(
            "CockroachDB already reports this cluster as {}.",
            cmek.status
        ));
    }

    let mut sharing = Vec::new();
    for c in ctx.cockroach.list_clusters().await? {
        if c.id == cluster.id || c.cloud_provider != "AWS" {
            continue;
        }
        let Some(info) = ctx.cockroach.get_cmek(&c.id).await? else {
            continue;
        };
        let theirs: Vec<ClusterKeyUse> = uses_of(&c, &info)
            .into_iter()
            .filter(|u| u.current)
            .collect();
        let shares_role = theirs.iter().any(|u| roles.contains(&u.auth_principal));
        let shared_keys = uniq(
            theirs
                .iter()
                .filter(|u| keys.contains(&u.key_uri))
                .map(|u| u.key_uri.clone())
                .collect(),
        );
        let mut cut_off_by = Vec::new();
        if theirs
            .iter()
            .any(|u| pairs.contains(&(u.key_uri.clone(), u.auth_principal.clone())))
        {
            cut_off_by.push(Lever::KeyPolicyStatement);
        }
        // Removing CockroachDB's account from a role's trust cuts every cluster using the role
        // (CockroachDB assumes it from the same account for all of them).
        if shares_role {
            cut_off_by.push(Lever::RoleTrust);
        }
        if cut_off_by.is_empty() && shared_keys.is_empty() {
            continue;
        }
        sharing.push(SharingCluster {
            cluster_id: c.id.clone(),
            cluster_name: c.name.clone(),
            cmek_status: info.status.clone(),
            regions: c.region_names(),
            shares_service_account: shares_role,
            shared_keys,
            holds_token_creator: false,
            cut_off_by,
        });
    }

    let mut levers = Vec::new();
    for lever in Lever::AWS {
        let mut removals = Vec::new();
        let mut lw = Vec::new();
        match lever {
            Lever::KeyPolicyStatement => {
                for key in &keys {
                    let policy = AwsPolicyRef::key(key);
                    let doc = policy.read(aws).await?;
                    for role in roles_for(&pairs, key) {
                        let f = find(&policy, &doc, &role);
                        removals.extend(f.removal);
                        lw.extend(f.warnings);
                    }
                }
            }
            _ => {
                for role in &roles {
                    let policy = AwsPolicyRef::trust(role);
                    let doc = policy.read(aws).await?;
                    let f = find(&policy, &doc, &crl_root);
                    removals.extend(f.removal);
                    lw.extend(f.warnings);
                }
            }
        }
        if removals.is_empty() {
            lw.push("No statement for CockroachDB was found in the policy: access may come from another statement (a wildcard or several principals), which this lever does not remove.".to_owned());
        }
        let mut affected = vec![cluster.id.clone()];
        affected.extend(
            sharing
                .iter()
                .filter(|s| s.cut_off_by.contains(&lever))
                .map(|s| s.cluster_id.clone()),
        );
        let (typical, max) = lever.delay_secs();
        let what = match lever.reach() {
            Reach::ClustersUsingRoleWithKey => "key through the same role",
            _ => "role",
        };
        let reach_text = if affected.len() == 1 {
            format!(
                "Today that is {}; any other cluster using the same {what} would be cut off too.",
                cluster.name
            )
        } else {
            format!(
                "{} clusters: {}.",
                affected.len(),
                affected_names(cluster, &sharing, &affected)
            )
        };
        levers.push(LeverInfo {
            lever,
            title: lever.title().to_owned(),
            reach: lever.reach(),
            reach_text,
            delay_text: lever.delay_text().to_owned(),
            typical_delay_secs: typical,
            max_delay_secs: max,
            is_default: lever == Lever::AWS[0],
            removals: vec![],
            disables: vec![],
            affected_clusters: affected,
            warnings: lw,
            aws_removals: removals,
        });
    }

    let regions = cluster.region_names();
    let stops_working = vec![
        format!("All access to the data of {} will be prevented: CockroachDB restarts the cluster and its nodes cannot start without the key.", cluster.name),
        format!("Every region: {}.", regions.join(", ")),
        "Managed backups fail, and data cannot be restored from them while access is revoked.".to_owned(),
        "Restoring access afterwards does not bring nodes back: Cockroach Labs support must be contacted (cluster id and organisation id).".to_owned(),
    ];
    Ok(RevokePreview {
        cluster_id: cluster.id.clone(),
        cluster_name: cluster.name.clone(),
        organization_id,
        regions,
        cmek,
        cockroach_principal: crl_root,
        service_accounts: vec![],
        keys,
        other_key_users: vec![],
        stops_working,
        sharing,
        levers,
        confirm_text: cluster.name.clone(),
        warnings,
        roles,
    })
}

fn roles_for(pairs: &[(String, String)], key: &str) -> Vec<String> {
    uniq(
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
            .collect(),
    )
}
