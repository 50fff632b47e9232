//! Blast radius of a revocation (reads only): which clusters share this cluster's service
//! account or key, from `list_clusters` + `get_cmek` of each + the IAM policies of the service
//! account and key, and the exact grants each [`Lever`] would remove.
//!
//! Sharing rule (cmek-procedure §12): removing Token Creator for one CockroachDB principal
//! reaches one cluster; removing Encrypter/Decrypter for service account S on key K reaches
//! every cluster whose current spec is (K, S); disabling S reaches every cluster using S.

use cmek_core::cockroach::{Cluster, CmekClusterInfo};
use cmek_core::iam::{service_account_member, Grant, ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use cmek_core::names::{cockroach_principal, ClusterId};
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lever::{IamResource, Lever, LeverInfo, Reach, Removal};
use crate::RevokeContext;

/// One region's use of a key by a cluster, current or past (`key_infos`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClusterKeyUse {
    pub cluster_id: String,
    pub cluster_name: String,
    pub region: String,
    pub key_uri: String,
    pub auth_principal: String,
    /// The key info's `CMEKStatus`.
    pub status: String,
    /// True for the region's current (newest) spec, false for a past one.
    pub current: bool,
}

/// Another cluster that a wider lever would also cut off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SharingCluster {
    pub cluster_id: String,
    pub cluster_name: String,
    pub cmek_status: String,
    pub regions: Vec<String>,
    /// Its current spec uses one of our service accounts.
    pub shares_service_account: bool,
    /// Keys of ours that its current specs use.
    pub shared_keys: Vec<String>,
    /// Its CockroachDB principal holds Token Creator on one of our service accounts (IAM view).
    pub holds_token_creator: bool,
    /// Levers that would cut it off too.
    pub cut_off_by: Vec<Lever>,
}

/// Everything the revoke confirmation shows. `confirm_text` is what the user must type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokePreview {
    pub cluster_id: String,
    pub cluster_name: String,
    pub organization_id: String,
    pub regions: Vec<String>,
    pub cmek: CmekClusterInfo,
    pub cockroach_principal: String,
    /// Customer service accounts in the current specs (emails).
    pub service_accounts: Vec<String>,
    /// Keys in the current specs (resource names).
    pub keys: Vec<String>,
    /// Members other than ours holding Encrypter/Decrypter on our keys (informational).
    pub other_key_users: Vec<String>,
    pub stops_working: Vec<String>,
    pub sharing: Vec<SharingCluster>,
    pub levers: Vec<LeverInfo>,
    pub confirm_text: String,
    pub warnings: Vec<String>,
    /// AWS clusters: the IAM roles in the current specs (ARNs; `keys` then holds key ARNs and
    /// `cockroach_principal` CockroachDB's account root ARN).
    #[serde(default)]
    pub roles: Vec<String>,
}

pub(crate) fn uniq(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Every region's current and past key specs of every cluster with CMEK (404 = no CMEK skipped).
pub async fn key_uses(ctx: &RevokeContext) -> Result<Vec<ClusterKeyUse>> {
    let mut out = Vec::new();
    for c in ctx.cockroach.list_clusters().await? {
        if let Some(info) = ctx.cockroach.get_cmek(&c.id).await? {
            out.extend(uses_of(&c, &info));
        }
    }
    Ok(out)
}

pub(crate) fn uses_of(c: &Cluster, info: &CmekClusterInfo) -> Vec<ClusterKeyUse> {
    let mut out = Vec::new();
    for r in &info.region_infos {
        let current = r.current().map(|k| k.created_at.clone());
        for k in &r.key_infos {
            out.push(ClusterKeyUse {
                cluster_id: c.id.clone(),
                cluster_name: c.name.clone(),
                region: r.region.clone(),
                key_uri: k.spec.uri.clone(),
                auth_principal: k.spec.auth_principal.clone(),
                status: k.status.clone(),
                current: current.as_deref() == Some(k.created_at.as_str()),
            });
        }
    }
    out
}

/// The confirmation data for revoking `cluster_id` (reads only).
///
/// Errors: `FailedPrecondition` when CMEK was never enabled on the cluster.
pub async fn preview_revoke(ctx: &RevokeContext, cluster_id: &str) -> Result<RevokePreview> {
    let id = ClusterId::parse(cluster_id)?;
    let cluster = ctx.cockroach.get_cluster(id.as_str()).await?;
    let org = ctx.cockroach.get_organization().await?;
    let cmek = ctx.cockroach.get_cmek(id.as_str()).await?.ok_or_else(|| {
        Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "CMEK is not enabled on cluster {}; there is nothing to revoke.",
                cluster.name
            ),
        )
        .with_resource(id.to_string())
    })?;
    if cluster.cloud_provider == "AWS" {
        return crate::aws::preview::preview(ctx, &cluster, org.id, cmek).await;
    }
    let mine: Vec<ClusterKeyUse> = uses_of(&cluster, &cmek)
        .into_iter()
        .filter(|u| u.current)
        .collect();
    let sas = uniq(mine.iter().map(|u| u.auth_principal.clone()).collect());
    let keys = uniq(mine.iter().map(|u| u.key_uri.clone()).collect());
    let principal = cockroach_principal(&id, &cluster.account_id);
    let principal_member = service_account_member(&principal);
    let mut warnings = Vec::new();
    if cmek.status == "REVOKED" || cmek.status == "REVOKING" {
        warnings.push(format!(
            "CockroachDB already reports this cluster as {}.",
            cmek.status
        ));
    }

    // IAM view: who holds Token Creator on our service accounts, who uses our keys.
    let mut sa_policies = Vec::new();
    for sa in &sas {
        let res = IamResource::service_account(sa);
        sa_policies.push((res.clone(), ctx.google.get_policy(&res.target()).await?));
    }
    let mut key_policies = Vec::new();
    for k in &keys {
        let res = IamResource::Kms { name: k.clone() };
        key_policies.push((res.clone(), ctx.google.get_policy(&res.target()).await?));
    }
    let sa_members: Vec<String> = sas.iter().map(|s| service_account_member(s)).collect();
    let token_creator_holders: Vec<String> = sa_policies
        .iter()
        .flat_map(|(_, p)| p.grants_list())
        .filter(|g| g.role == ROLE_TOKEN_CREATOR)
        .map(|g| g.member)
        .collect();
    let other_key_users = uniq(
        key_policies
            .iter()
            .flat_map(|(_, p)| p.grants_list())
            .filter(|g| g.role == ROLE_ENCRYPTER_DECRYPTER && !sa_members.contains(&g.member))
            .map(|g| g.member)
            .collect(),
    );

    // Other clusters sharing a service account or key.
    let mut sharing = Vec::new();
    for c in ctx.cockroach.list_clusters().await? {
        if c.id == cluster.id || c.cloud_provider != "GCP" {
            continue;
        }
        let Some(info) = ctx.cockroach.get_cmek(&c.id).await? else {
            continue;
        };
        let theirs: Vec<ClusterKeyUse> = uses_of(&c, &info)
            .into_iter()
            .filter(|u| u.current)
            .collect();
        let shares_sa = theirs.iter().any(|u| sas.contains(&u.auth_principal));
        let shared_keys = uniq(
            theirs
                .iter()
                .filter(|u| keys.contains(&u.key_uri))
                .map(|u| u.key_uri.clone())
                .collect(),
        );
        let holds_tc = ClusterId::parse(&c.id)
            .map(|cid| {
                token_creator_holders.contains(&service_account_member(&cockroach_principal(
                    &cid,
                    &c.account_id,
                )))
            })
            .unwrap_or(false);
        if !shares_sa && shared_keys.is_empty() && !holds_tc {
            continue;
        }
        let mut cut_off_by = Vec::new();
        if theirs
            .iter()
            .any(|u| sas.contains(&u.auth_principal) && keys.contains(&u.key_uri))
        {
            cut_off_by.push(Lever::EncrypterDecrypter);
        }
        if shares_sa {
            cut_off_by.push(Lever::DisableServiceAccount);
        }
        sharing.push(SharingCluster {
            cluster_id: c.id.clone(),
            cluster_name: c.name.clone(),
            cmek_status: info.status.clone(),
            regions: c.region_names(),
            shares_service_account: shares_sa,
            shared_keys,
            holds_token_creator: holds_tc,
            cut_off_by,
        });
    }

    let mut levers = Vec::new();
    for lever in Lever::ALL {
        let (removals, disables) = match lever {
            Lever::TokenCreator => (
                matching(&sa_policies, |g| {
                    g.role == ROLE_TOKEN_CREATOR && g.member == principal_member
                }),
                vec![],
            ),
            Lever::EncrypterDecrypter => (
                matching(&key_policies, |g| {
                    g.role == ROLE_ENCRYPTER_DECRYPTER && sa_members.contains(&g.member)
                }),
                vec![],
            ),
            Lever::DisableServiceAccount => (vec![], sas.clone()),
            Lever::KeyPolicyStatement | Lever::RoleTrust => continue,
        };
        let mut lw = Vec::new();
        if lever != Lever::DisableServiceAccount && removals.is_empty() {
            lw.push("No direct grant was found on the resource: access may be inherited from a key ring, project or group binding, which this lever does not remove.".to_owned());
        }
        let mut affected = vec![cluster.id.clone()];
        affected.extend(
            sharing
                .iter()
                .filter(|s| s.cut_off_by.contains(&lever))
                .map(|s| s.cluster_id.clone()),
        );
        let (typical, max) = lever.delay_secs();
        let reach_text = match lever.reach() {
            Reach::ThisCluster => format!("Only {}.", cluster.name),
            _ if affected.len() == 1 => format!(
                "Today that is {}; any other cluster using the same {} would be cut off too.",
                cluster.name,
                if lever == Lever::DisableServiceAccount {
                    "service account"
                } else {
                    "service account and key"
                }
            ),
            _ => format!(
                "{} clusters: {}.",
                affected.len(),
                affected_names(&cluster, &sharing, &affected)
            ),
        };
        levers.push(LeverInfo {
            lever,
            title: lever.title().to_owned(),
            reach: lever.reach(),
            reach_text,
            delay_text: lever.delay_text().to_owned(),
            typical_delay_secs: typical,
            max_delay_secs: max,
            is_default: lever == Lever::DEFAULT,
            removals,
            disables,
            affected_clusters: affected,
            warnings: lw,
            aws_removals: vec![],
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
        organization_id: org.id,
        regions,
        cmek,
        cockroach_principal: principal,
        service_accounts: sas,
        keys,
        other_key_users,
        stops_working,
        sharing,
        levers,
        confirm_text: cluster.name.clone(),
        warnings,
        roles: vec![],
    })
}

fn matching(
    policies: &[(IamResource, cmek_core::iam::Policy)],
    pred: impl Fn(&Grant) -> bool,
) -> Vec<Removal> {
    policies
        .iter()
        .filter_map(|(res, p)| {
            let grants: Vec<Grant> = p.grants_list().into_iter().filter(|g| pred(g)).collect();
            (!grants.is_empty()).then(|| Removal {
                resource: res.clone(),
                grants,
            })
        })
        .collect()
}

pub(crate) fn affected_names(
    cluster: &Cluster,
    sharing: &[SharingCluster],
    ids: &[String],
) -> String {
    ids.iter()
        .map(|id| {
            if *id == cluster.id {
                cluster.name.clone()
            } else {
                sharing
                    .iter()
                    .find(|s| &s.cluster_id == id)
                    .map(|s| s.cluster_name.clone())
                    .unwrap_or_else(|| id.clone())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
