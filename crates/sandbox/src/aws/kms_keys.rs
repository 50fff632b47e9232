//! KMS key lifecycle: `CreateKey` (KeySpec, KeyUsage, MultiRegion, Policy, Description,
//! Tags), `DescribeKey`, `ListKeys`, `EnableKey`/`DisableKey`, `ScheduleKeyDeletion`/
//! `CancelKeyDeletion` (PendingDeletion + DeletionDate; cancelling leaves the key Disabled, as
//! KMS does), `ReplicateKey` (same `mrk-…` id in another region) and rotation
//! (`EnableKeyRotation` with `RotationPeriodInDays`, `DisableKeyRotation`,
//! `GetKeyRotationStatus`).

use serde_json::{json, Value};

use super::dispatch::Ctx;
use super::kms::{key, key_mut, metadata, page, required, target, KeyRef};
use super::kms_policy::{default_policy, validate_key_policy};
use super::wire::{self, AwsError};
use super::Key;
use crate::state::State;

const SPECS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "HMAC_256",
];

fn tags(input: &Value) -> Vec<(String, String)> {
    input["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["TagKey"].as_str().unwrap_or_default().to_string(),
                t["TagValue"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn invalid_state(k: &Key) -> AwsError {
    let what = if k.state == "PendingDeletion" {
        "pending deletion"
    } else {
        "not in a valid state for this operation"
    };
    AwsError::new(
        400,
        "KMSInvalidStateException",
        format!("{} is {what}.", k.arn),
    )
}

fn create_key(state: &mut State, ctx: &Ctx, input: &Value) -> Result<Value, AwsError> {
    let spec = input["KeySpec"]
        .as_str()
        .or(input["CustomerMasterKeySpec"].as_str())
        .unwrap_or("SYMMETRIC_DEFAULT");
    let usage = input["KeyUsage"].as_str().unwrap_or("ENCRYPT_DECRYPT");
    if !SPECS.contains(&spec) {
        return Err(AwsError::validation(format!("1 validation error detected: Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: {SPECS:?}")));
    }
    let fits = match spec {
        "SYMMETRIC_DEFAULT" => usage == "ENCRYPT_DECRYPT",
        "HMAC_256" => usage == "GENERATE_VERIFY_MAC",
        s if s.starts_with("ECC") => usage == "SIGN_VERIFY",
        _ => usage == "ENCRYPT_DECRYPT" || usage == "SIGN_VERIFY",
    };
    if !fits {
        return Err(AwsError::validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    let account = ctx.caller.account.clone();
    let policy = match input["Policy"].as_str() {
        Some(p) => {
            validate_key_policy(state, p)?;
            p.to_string()
        }
        None => default_policy(&account),
    };
    let multi = input["MultiRegion"].as_bool().unwrap_or(false);
    let id = if multi {
        format!("mrk-{}", uuid::Uuid::new_v4().simple())
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let region = ctx.region.clone();
    let k = Key {
        arn: format!("arn:aws:kms:{region}:{account}:key/{id}"),
        id: id.clone(),
        region: region.clone(),
        account: account.clone(),
        description: input["Description"].as_str().unwrap_or("").to_string(),
        state: "Enabled".into(),
        created: wire::now(),
        deletion_date: None,
        pending_window: None,
        spec: spec.into(),
        usage: usage.into(),
        multi_region: multi,
        primary_region: multi.then(|| region.clone()),
        policy,
        rotation: None,
        tags: tags(input),
    };
    let meta = metadata(state, &k);
    state
        .aws
        .accounts
        .entry(account)
        .or_default()
        .keys
        .insert((region, id), k);
    Ok(json!({ "KeyMetadata": meta }))
}

fn replicate(state: &mut State, ctx: &Ctx, input: &Value) -> Result<Value, AwsError> {
    let r = target(state, ctx, input, "kms:ReplicateKey")?;
    let to = required(input, "ReplicaRegion")?.to_string();
    let src = key(state, &r).clone();
    if !src.multi_region || src.primary_region.as_deref() != Some(src.region.as_str()) {
        return Err(AwsError::new(
            400,
            "UnsupportedOperationException",
            format!("{} is not a multi-region primary key.", src.arn),
        ));
    }
    if to == src.region {
        return Err(AwsError::validation(format!(
            "The replica region {to} must be different from the primary key region {}.",
            src.region
        )));
    }
    let exists = state.aws.accounts[&r.0]
        .keys
        .contains_key(&(to.clone(), src.id.clone()));
    if exists {
        return Err(AwsError::new(
            400,
            "AlreadyExistsException",
            format!(
                "Replica key arn:aws:kms:{to}:{}:key/{} already exists.",
                r.0, src.id
            ),
        ));
    }
    let policy = match input["Policy"].as_str() {
        Some(p) => {
            validate_key_policy(state, p)?;
            p.to_string()
        }
        None => default_policy(&r.0),
    };
    let replica = Key {
        arn: format!("arn:aws:kms:{to}:{}:key/{}", r.0, src.id),
        region: to.clone(),
        description: input["Description"]
            .as_str()
            .map(String::from)
            .unwrap_or(src.description.clone()),
        created: wire::now(),
        policy: policy.clone(),
        tags: tags(input),
        state: "Enabled".into(),
        deletion_date: None,
        pending_window: None,
        ..src
    };
    let tags_out: Vec<Value> = replica
        .tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    let aws = &mut state.aws;
    if let Some(a) = aws.accounts.get_mut(&r.0) {
        a.keys.insert((to, replica.id.clone()), replica.clone());
    }
    let meta = metadata(state, &replica);
    Ok(json!({"ReplicaKeyMetadata": meta, "ReplicaPolicy": policy, "ReplicaTags": tags_out}))
}

fn rotation(state: &mut State, r: &KeyRef, op: &str, input: &Value) -> Result<Value, AwsError> {
    let k = key(state, r);
    if k.spec != "SYMMETRIC_DEFAULT" {
        return Err(AwsError::new(
            400,
            "UnsupportedOperationException",
            format!("{} key spec is not supported for this operation.", k.spec),
        ));
    }
    if k.primary_region.as_deref().is_some_and(|p| p != k.region) {
        return Err(AwsError::new(
            400,
            "UnsupportedOperationException",
            format!("{} is a multi-region replica key.", k.arn),
        ));
    }
    match k.state.as_str() {
        "Enabled" => {}
        "Disabled" => {
            return Err(AwsError::new(
                400,
                "DisabledException",
                format!("{} is disabled.", k.arn),
            ))
        }
        _ => return Err(invalid_state(k)),
    }
    let days = if op == "EnableKeyRotation" {
        let d = input["RotationPeriodInDays"].as_i64().unwrap_or(365);
        if !(90..=2560).contains(&d) {
            return Err(AwsError::validation(format!("1 validation error detected: Value '{d}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560")));
        }
        Some(d)
    } else {
        None
    };
    key_mut(state, r).rotation = days;
    Ok(Value::Null)
}

/// Handles the key lifecycle actions.
pub(crate) fn handle(
    state: &mut State,
    ctx: &Ctx,
    op: &str,
    input: &Value,
) -> Result<Value, AwsError> {
    match op {
        "CreateKey" => create_key(state, ctx, input),
        "ReplicateKey" => replicate(state, ctx, input),
        "ListKeys" => {
            let items: Vec<Value> = state
                .aws
                .accounts
                .get(&ctx.caller.account)
                .into_iter()
                .flat_map(|a| a.keys.values())
                .filter(|k| k.region == ctx.region)
                .map(|k| json!({"KeyId": k.id, "KeyArn": k.arn}))
                .collect();
            Ok(page(items, input, "Keys"))
        }
        "DescribeKey" => {
            let r = target(state, ctx, input, "kms:DescribeKey")?;
            Ok(json!({"KeyMetadata": metadata(state, key(state, &r))}))
        }
        "GetKeyRotationStatus" => {
            let r = target(state, ctx, input, "kms:GetKeyRotationStatus")?;
            let k = key(state, &r);
            let mut out = json!({"KeyRotationEnabled": k.rotation.is_some(), "KeyId": k.arn});
            if let Some(d) = k.rotation {
                out["RotationPeriodInDays"] = json!(d);
                out["NextRotationDate"] = wire::epoch(k.created + time::Duration::days(d));
            }
            Ok(out)
        }
        "EnableKeyRotation" | "DisableKeyRotation" => {
            let r = target(state, ctx, input, &format!("kms:{op}"))?;
            rotation(state, &r, op, input)
        }
        "EnableKey" | "DisableKey" => {
            let r = target(state, ctx, input, &format!("kms:{op}"))?;
            let k = key_mut(state, &r);
            if k.state == "PendingDeletion" {
                return Err(invalid_state(k));
            }
            k.state = if op == "EnableKey" {
                "Enabled"
            } else {
                "Disabled"
            }
            .into();
            Ok(Value::Null)
        }
        "ScheduleKeyDeletion" => {
            let r = target(state, ctx, input, "kms:ScheduleKeyDeletion")?;
            let days = input["PendingWindowInDays"].as_i64().unwrap_or(30);
            if !(7..=30).contains(&days) {
                return Err(AwsError::validation(format!("1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30")));
            }
            let k = key_mut(state, &r);
            if k.state == "PendingDeletion" {
                return Err(invalid_state(k));
            }
            let date = wire::now() + time::Duration::days(days);
            k.state = "PendingDeletion".into();
            k.deletion_date = Some(date);
            k.pending_window = Some(days);
            Ok(
                json!({"KeyId": k.arn, "DeletionDate": wire::epoch(date), "KeyState": "PendingDeletion", "PendingWindowInDays": days}),
            )
        }
        "CancelKeyDeletion" => {
            let r = target(state, ctx, input, "kms:CancelKeyDeletion")?;
            let k = key_mut(state, &r);
            if k.state != "PendingDeletion" {
                return Err(AwsError::new(
                    400,
                    "KMSInvalidStateException",
                    format!("{} is not pending deletion.", k.arn),
                ));
            }
            k.state = "Disabled".into();
            k.deletion_date = None;
            k.pending_window = None;
            Ok(json!({"KeyId": k.arn}))
        }
        _ => Err(AwsError::new(400, "UnknownOperationException", "")),
    }
}
