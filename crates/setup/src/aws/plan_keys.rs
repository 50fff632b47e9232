//! The keys of an AWS plan: which key serves which cluster region, what exists already (found
//! by alias, or a replica of the primary by key id), whether CockroachDB can use it, and the key
//! policy before and after the read-modify-write.

use cmek_aws::AwsClient;
use cmek_core::aws::model::KeyMetadata;
use cmek_core::aws::plan::{AwsKeyKind, AwsKeyLayout, AwsPlannedKey, AwsSetupRequest};
use cmek_core::aws::statements::{
    compare_statement, default_key_policy, key_statement, KEY_POLICY_SID,
};
use cmek_core::cockroach::Cluster;
use cmek_core::{Error, ErrorCode, Result};

/// A step a key needs, with whether it is already done.
pub(crate) enum KeyStep {
    Create(bool),
    Rotate(bool),
    Replicate(bool),
    Policy(bool),
}

/// `(region, kind)` of every key the layout asks for, primary first.
pub(crate) fn layout_keys(req: &AwsSetupRequest, cluster: &Cluster) -> Vec<(String, AwsKeyKind)> {
    let regions = cluster.region_names();
    match &req.layout {
        AwsKeyLayout::KeyPerRegion => regions
            .into_iter()
            .map(|r| (r, AwsKeyKind::SingleRegion))
            .collect(),
        AwsKeyLayout::MultiRegion { primary_region } => {
            std::iter::once((primary_region.clone(), AwsKeyKind::Primary))
                .chain(
                    regions
                        .into_iter()
                        .filter(|r| r != primary_region)
                        .map(|r| (r, AwsKeyKind::Replica)),
                )
                .collect()
        }
    }
}

/// Refuses a key CockroachDB cannot use, or one that does not fit its place in the layout.
pub(crate) fn check_key(
    m: &KeyMetadata,
    kind: AwsKeyKind,
    primary: Option<&KeyMetadata>,
    alias: &str,
    region: &str,
) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::new(ErrorCode::FailedPrecondition, format!("The alias {alias} in {region} names the key {}, which {why}. Choose another alias, or fix the key.", m.arn)).with_resource(format!("{region}/{alias}")))
    };
    if let Err(why) = m.usable_for_cmek() {
        return refuse(format!("CockroachDB cannot use: {why}"));
    }
    match kind {
        AwsKeyKind::Primary if !m.multi_region || m.multi_region_key_type.as_deref() == Some("REPLICA") => {
            refuse("is not a multi-Region primary key (the multi-Region layout needs one; or choose one key per region)".into())
        }
        AwsKeyKind::Replica => match primary {
            Some(p) if m.primary_arn.as_deref() == Some(p.arn.as_str()) => Ok(()),
            Some(p) => refuse(format!("is not a replica of the primary {}", p.arn)),
            None => refuse("is in a replica region but the primary does not exist yet".into()),
        },
        _ => Ok(()),
    }
}

/// Reads every key of the layout and what it needs.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn plan_keys(
    aws: &AwsClient,
    req: &AwsSetupRequest,
    cluster: &Cluster,
    alias: &str,
    partition: &str,
    account: &str,
    role_arn: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<(AwsPlannedKey, Vec<KeyStep>)>> {
    let mut out = Vec::new();
    let mut primary: Option<KeyMetadata> = None;
    for (region, kind) in layout_keys(req, cluster) {
        let (meta, alias_exists) = match aws.describe_key(&region, alias).await? {
            Some(m) => (Some(m), true),
            None => match (&primary, kind) {
                (Some(p), AwsKeyKind::Replica) => {
                    (aws.describe_key(&region, &p.key_id).await?, false)
                }
                _ => (None, false),
            },
        };
        if let Some(m) = &meta {
            check_key(m, kind, primary.as_ref(), alias, &region)?;
            warnings.push(format!(
                "Key {alias} in {region} already exists ({}); it will be adopted, not re-created.",
                m.arn
            ));
        }
        if kind == AwsKeyKind::Primary {
            primary = meta.clone();
        }
        let before = match &meta {
            Some(m) => Some(aws.get_key_policy(&region, &m.key_id).await?),
            None => None,
        };
        let mut after = before
            .clone()
            .unwrap_or_else(|| default_key_policy(partition, account));
        let ours = key_statement(role_arn);
        if let Some(s) = before.as_ref().and_then(|b| b.find_sid(KEY_POLICY_SID)) {
            let diffs = compare_statement(&ours, s);
            if !diffs.is_empty() {
                warnings.push(format!("The key policy of {alias} in {region} has a statement {KEY_POLICY_SID} that differs ({}); applying replaces it with exactly the five actions for {role_arn}.", diffs.join("; ")));
            }
        }
        let policy_done = meta.is_some() && !after.upsert(ours);
        let rotation = match (&meta, kind) {
            (Some(m), AwsKeyKind::SingleRegion | AwsKeyKind::Primary) => {
                Some(aws.key_rotation_enabled(&region, &m.key_id).await?)
            }
            _ => None,
        };
        let mut steps = Vec::new();
        match kind {
            AwsKeyKind::Replica => steps.push(KeyStep::Replicate(meta.is_some() && alias_exists)),
            _ => {
                steps.push(KeyStep::Create(meta.is_some() && alias_exists));
                if req.rotation {
                    steps.push(KeyStep::Rotate(rotation == Some(true)));
                }
            }
        }
        steps.push(KeyStep::Policy(policy_done));
        if !req.rotation && rotation == Some(false) {
            warnings.push(format!("Automatic rotation of {alias} in {region} is off and stays off (you chose no rotation)."));
        }
        out.push((
            AwsPlannedKey {
                alias: alias.to_owned(),
                region: region.clone(),
                regions: vec![region],
                kind,
                exists: meta.is_some(),
                arn: meta.as_ref().map(|m| m.arn.clone()),
                key_state: meta.as_ref().map(|m| m.key_state.clone()),
                rotation_enabled: rotation,
                key_policy_before: before.map(|b| b.to_pretty_json()),
                key_policy_after: after.to_pretty_json(),
            },
            steps,
        ));
    }
    if matches!(req.layout, AwsKeyLayout::MultiRegion { .. }) {
        warnings.push("Multi-Region keys share key material and rotation with their primary; each replica has its own key policy, which CMEK Desk writes too.".into());
    }
    Ok(out)
}
