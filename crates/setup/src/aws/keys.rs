//! The keys: create or adopt a symmetric key with its alias, turn on rotation, replicate a
//! multi-Region primary. A key created just before an interruption (no alias yet) is found
//! again by its description and adopted, never duplicated.

use super::apply::{found_outcome, AwsRun, StepDone};
use super::plan_keys::check_key;
use super::{key_description, CREATED_BY};
use crate::wait::{fresh_resource, resource_ready};
use cmek_core::aws::commands::ALIAS_TAG;
use cmek_core::aws::model::{KeyMetadata, NewKey};
use cmek_core::aws::plan::AwsKeyKind;
use cmek_core::plan::StepOutcome;
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::Check;

/// Creates the key of the step's region with its alias, or adopts the key the alias names.
pub(crate) async fn create_key(run: &AwsRun<'_>) -> Result<StepDone> {
    let planned = run.planned_key()?;
    let (region, alias) = (&planned.region, &planned.alias);
    if let Some(m) = run.aws.describe_key(region, alias).await? {
        check_key(&m, planned.kind, None, alias, region)?;
        run.remember(&m);
        return Ok((
            found_outcome(run),
            format!("{alias} in {region} is {} ({}).", m.arn, m.key_state),
        ));
    }
    let multi = planned.kind == AwsKeyKind::Primary;
    if let Some(m) = find_orphan(run, region, alias, multi).await? {
        create_alias(run, region, alias, &m).await?;
        run.remember(&m);
        return Ok((StepOutcome::Adopted, format!("Found {} (created by an interrupted run, no alias yet) and gave it the alias {alias}.", m.arn)));
    }
    let key = NewKey {
        description: key_description(run.plan, alias),
        multi_region: multi,
        tags: vec![(ALIAS_TAG.to_owned(), alias.clone())],
    };
    let m = run.aws.create_key(region, &key).await?;
    run.mark_fresh(&m.arn);
    create_alias(run, region, alias, &m).await?;
    run.remember(&m);
    Ok((
        StepOutcome::Done,
        format!(
            "Created {} (symmetric, encrypt/decrypt{}) with the alias {alias}.",
            m.arn,
            if multi { ", multi-Region primary" } else { "" }
        ),
    ))
}

/// `CreateAlias`, retrying "not found" on a key this run just created (B06's AWS twin). An
/// alias that already exists is fine when it names this key (made meanwhile, or — moto —
/// visible in the replica's region after `ReplicateKey`); naming another key is an error.
async fn create_alias(
    run: &AwsRun<'_>,
    region: &str,
    alias: &str,
    key: &KeyMetadata,
) -> Result<()> {
    let fresh = run.is_fresh(&key.arn);
    let made = cmek_retry::retry(
        &fresh_resource(&run.conn.timing),
        &run.cancel(),
        |e| fresh && e.code == ErrorCode::NotFound,
        cmek_retry::quietly,
        || run.aws.create_alias(region, alias, &key.key_id),
    )
    .await;
    match made {
        Err(e) if e.code == ErrorCode::AlreadyExists => match run.aws.describe_key(region, alias).await? {
            Some(m) if m.key_id == key.key_id => Ok(()),
            Some(m) => Err(Error::new(ErrorCode::AlreadyExists, format!("The alias {alias} in {region} already names another key, {}; CMEK Desk leaves it alone. Choose another alias.", m.arn)).with_resource(format!("{region}/{alias}"))),
            None => Err(e),
        },
        other => other,
    }
}

/// A key this app created for `alias` whose alias was never made (an interruption between the
/// two calls): the newest enabled customer key whose description names the alias.
async fn find_orphan(
    run: &AwsRun<'_>,
    region: &str,
    alias: &str,
    multi: bool,
) -> Result<Option<KeyMetadata>> {
    let marker = format!("({alias}); {CREATED_BY}");
    let mut best: Option<KeyMetadata> = None;
    for id in run.aws.list_keys(region).await? {
        let Some(m) = run.aws.describe_key(region, &id).await? else {
            continue;
        };
        let fits = m.description.ends_with(&marker)
            && m.key_manager == "CUSTOMER"
            && m.key_state == "Enabled"
            && m.multi_region == multi
            && m.multi_region_key_type.as_deref() != Some("REPLICA");
        if fits
            && best
                .as_ref()
                .is_none_or(|b| m.creation_date > b.creation_date)
        {
            best = Some(m);
        }
    }
    Ok(best)
}

/// Turns on automatic rotation of the step's key (a replica follows its primary).
pub(crate) async fn enable_rotation(run: &AwsRun<'_>) -> Result<StepDone> {
    let planned = run.planned_key()?;
    let key = run.key(&planned.region).await?;
    if run
        .aws
        .key_rotation_enabled(&planned.region, &key.key_id)
        .await?
    {
        return Ok((
            found_outcome(run),
            format!("Automatic rotation of {} is on.", key.arn),
        ));
    }
    run.aws
        .enable_key_rotation(&planned.region, &key.key_id)
        .await?;
    if !run
        .aws
        .key_rotation_enabled(&planned.region, &key.key_id)
        .await?
    {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "Rotation of {} still reads as off after EnableKeyRotation.",
                key.arn
            ),
        )
        .with_resource(key.arn));
    }
    Ok((
        StepOutcome::Done,
        format!("Turned on automatic rotation of {}.", key.arn),
    ))
}

/// Replicates the primary into the step's region with the alias, or adopts the replica.
pub(crate) async fn replicate_key(run: &AwsRun<'_>) -> Result<StepDone> {
    let planned = run.planned_key()?;
    let (region, alias) = (&planned.region, &planned.alias);
    let primary_region = run
        .plan
        .keys
        .iter()
        .find(|k| k.kind == AwsKeyKind::Primary)
        .map(|k| k.region.clone())
        .ok_or_else(|| Error::internal("a replica step without a primary key in the plan"))?;
    let primary = run.key(&primary_region).await?;
    if let Some(m) = run.aws.describe_key(region, alias).await? {
        check_key(&m, AwsKeyKind::Replica, Some(&primary), alias, region)?;
        run.remember(&m);
        return Ok((
            found_outcome(run),
            format!("{alias} in {region} is the replica {}.", m.arn),
        ));
    }
    let (replica, outcome) = match run.aws.describe_key(region, &primary.key_id).await? {
        Some(m) => (m, StepOutcome::Adopted),
        None => {
            let tags = [(ALIAS_TAG.to_owned(), alias.clone())];
            let m = run
                .aws
                .replicate_key(
                    &primary_region,
                    &primary.key_id,
                    region,
                    &key_description(run.plan, alias),
                    &tags,
                )
                .await?;
            run.mark_fresh(&m.arn);
            (m, StepOutcome::Done)
        }
    };
    let replica = wait_until_usable(run, region, &replica).await?;
    create_alias(run, region, alias, &replica).await?;
    run.remember(&replica);
    Ok((
        outcome,
        format!(
            "{} replicates {} in {region}, alias {alias}.",
            replica.arn, primary.arn
        ),
    ))
}

/// Polls a new replica until it leaves `Creating` (its key policy cannot be written before).
async fn wait_until_usable(
    run: &AwsRun<'_>,
    region: &str,
    key: &KeyMetadata,
) -> Result<KeyMetadata> {
    cmek_retry::poll(
        &resource_ready(&run.conn.timing),
        &run.cancel(),
        cmek_retry::quietly,
        || async {
            let m = run.aws.describe_key(region, &key.key_id).await?;
            Ok(match m {
                Some(m) if m.key_state != "Creating" => Check::Ready(m),
                other => {
                    let state = other.map_or("not visible".to_owned(), |m| m.key_state);
                    run.note(format!("The replica in {region} is {state}; waiting."));
                    Check::NotYet(Error::new(
                        ErrorCode::Timeout,
                        format!("The replica {} in {region} is still {state}.", key.arn),
                    ))
                }
            })
        },
    )
    .await
}
