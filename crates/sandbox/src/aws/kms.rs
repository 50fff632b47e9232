//! KMS over JSON 1.1: the action table, key resolution (`KeyId` = key id, key ARN,
//! `alias/name` or alias ARN; keys are regional, the region is the credential scope's) and
//! `KeyMetadata` rendering. Key lifecycle actions are in `kms_keys`, key policies and aliases
//! in `kms_policy`.

use serde_json::{json, Value};

use super::dispatch::Ctx;
use super::wire::{self, AwsError};
use super::{kms_keys, kms_policy, Key};
use crate::state::State;

/// Where a key lives: (account, region, key id).
pub(crate) type KeyRef = (String, String, String);

/// A required string member of the JSON input, or KMS's `ValidationException`.
pub(crate) fn required<'a>(input: &'a Value, name: &str) -> Result<&'a str, AwsError> {
    input[name].as_str().ok_or_else(|| {
        let mut field = name.to_string();
        field[..1].make_ascii_lowercase();
        AwsError::validation(format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"))
    })
}

pub(crate) fn not_found_key(arn: &str) -> AwsError {
    AwsError::new(
        400,
        "NotFoundException",
        format!("Key '{arn}' does not exist"),
    )
}

/// Resolves a `KeyId` for the caller (alias names included unless `keys_only`).
pub(crate) fn resolve(
    state: &State,
    ctx: &Ctx,
    key_id: &str,
    keys_only: bool,
) -> Result<KeyRef, AwsError> {
    let (account, region, rest) = match key_id.strip_prefix("arn:aws:kms:") {
        Some(arn) => {
            let p: Vec<&str> = arn.splitn(3, ':').collect();
            if p.len() != 3 {
                return Err(AwsError::new(
                    400,
                    "NotFoundException",
                    format!("Invalid arn {key_id}"),
                ));
            }
            // KMS is regional: an ARN of another region is not found at this endpoint.
            if p[0] != ctx.region {
                return Err(AwsError::new(
                    400,
                    "NotFoundException",
                    format!("Invalid arn {}", p[0]),
                ));
            }
            (p[1].to_string(), p[0].to_string(), p[2].to_string())
        }
        None if key_id.starts_with("alias/") => (
            ctx.caller.account.clone(),
            ctx.region.clone(),
            key_id.to_string(),
        ),
        None => (
            ctx.caller.account.clone(),
            ctx.region.clone(),
            format!("key/{key_id}"),
        ),
    };
    let acc = state.aws.accounts.get(&account);
    let id = if let Some(alias) = rest.strip_prefix("alias/").filter(|_| !keys_only) {
        let name = format!("alias/{alias}");
        acc.and_then(|a| a.aliases.get(&(region.clone(), name.clone())))
            .map(|a| a.target.clone())
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "NotFoundException",
                    format!("Alias arn:aws:kms:{region}:{account}:{name} is not found."),
                )
            })?
    } else if let Some(id) = rest.strip_prefix("key/") {
        id.to_string()
    } else {
        return Err(AwsError::new(
            400,
            "NotFoundException",
            format!("Invalid keyId '{key_id}'"),
        ));
    };
    if acc.is_some_and(|a| a.keys.contains_key(&(region.clone(), id.clone()))) {
        Ok((account, region, id))
    } else {
        Err(not_found_key(&format!(
            "arn:aws:kms:{region}:{account}:key/{id}"
        )))
    }
}

/// The key behind a [`KeyRef`].
pub(crate) fn key<'a>(state: &'a State, r: &KeyRef) -> &'a Key {
    &state.aws.accounts[&r.0].keys[&(r.1.clone(), r.2.clone())]
}

/// The key behind a [`KeyRef`], mutable.
pub(crate) fn key_mut<'a>(state: &'a mut State, r: &KeyRef) -> &'a mut Key {
    state
        .aws
        .accounts
        .get_mut(&r.0)
        .and_then(|a| a.keys.get_mut(&(r.1.clone(), r.2.clone())))
        .expect("resolved key exists")
}

/// Resolves `input.KeyId` and checks the caller may call `action` on it: its own account's
/// keys always (the caller is the administrator); another account's key only when that key's
/// policy allows the caller's account or ARN.
pub(crate) fn target(
    state: &State,
    ctx: &Ctx,
    input: &Value,
    action: &str,
) -> Result<KeyRef, AwsError> {
    let r = resolve(state, ctx, required(input, "KeyId")?, false)?;
    if r.0 != ctx.caller.account {
        let k = key(state, &r);
        let doc = super::policy::parse_doc(&k.policy).unwrap_or(Value::Null);
        let ok = super::policy::statements(&doc).iter().any(|s| {
            s["Effect"] == "Allow"
                && super::policy::covers_action(s, action)
                && super::policy::aws_principals(s).iter().any(|p| {
                    p == "*"
                        || p == &ctx.caller.arn
                        || super::policy::is_account(p, &ctx.caller.account)
                })
        });
        if !ok {
            return Err(AwsError::new(400, "AccessDeniedException", format!("User: {} is not authorized to perform: {action} on resource: {} because no resource-based policy allows the {action} action", ctx.caller.arn, k.arn)));
        }
    }
    Ok(r)
}

/// `KeyMetadata` of a key as DescribeKey/CreateKey return it.
pub(crate) fn metadata(state: &State, k: &Key) -> Value {
    let algos: Value = match (k.spec.as_str(), k.usage.as_str()) {
        ("SYMMETRIC_DEFAULT", _) => json!(["SYMMETRIC_DEFAULT"]),
        (s, "ENCRYPT_DECRYPT") if s.starts_with("RSA") => {
            json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        }
        _ => Value::Null,
    };
    let mut m = json!({
        "AWSAccountId": k.account, "KeyId": k.id, "Arn": k.arn,
        "CreationDate": wire::epoch(k.created), "Enabled": k.state == "Enabled",
        "Description": k.description, "KeyUsage": k.usage, "KeyState": k.state,
        "Origin": "AWS_KMS", "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": k.spec, "KeySpec": k.spec, "MultiRegion": k.multi_region,
    });
    if !algos.is_null() {
        m["EncryptionAlgorithms"] = algos;
    }
    if k.usage == "SIGN_VERIFY" {
        m["SigningAlgorithms"] = if k.spec.starts_with("ECC") {
            json!(["ECDSA_SHA_256"])
        } else {
            json!(["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"])
        };
    }
    if let Some(d) = k.deletion_date {
        m["DeletionDate"] = wire::epoch(d);
    }
    if k.multi_region {
        let primary = k.primary_region.clone().unwrap_or_else(|| k.region.clone());
        let arn = |region: &str| format!("arn:aws:kms:{region}:{}:key/{}", k.account, k.id);
        let replicas: Vec<Value> = state
            .aws
            .accounts
            .get(&k.account)
            .into_iter()
            .flat_map(|a| a.keys.values())
            .filter(|o| o.id == k.id && o.region != primary)
            .map(|o| json!({"Arn": o.arn, "Region": o.region}))
            .collect();
        m["MultiRegionConfiguration"] = json!({
            "MultiRegionKeyType": if k.region == primary { "PRIMARY" } else { "REPLICA" },
            "PrimaryKey": {"Arn": arn(&primary), "Region": primary},
            "ReplicaKeys": replicas,
        });
    }
    m
}

/// Pages a KMS list with `Limit` (default 100) and `Marker` (an offset): `{field: [...],
/// "Truncated": bool, "NextMarker"?}`.
pub(crate) fn page(items: Vec<Value>, input: &Value, field: &str) -> Value {
    let limit = input["Limit"].as_u64().filter(|l| *l > 0).unwrap_or(100) as usize;
    let start = input["Marker"]
        .as_str()
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(0);
    let n = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let mut out = json!({field: page, "Truncated": start + limit < n});
    if start + limit < n {
        out["NextMarker"] = json!((start + limit).to_string());
    }
    out
}

/// Handles one KMS action.
pub(crate) fn handle(
    state: &mut State,
    ctx: &Ctx,
    op: &str,
    input: &Value,
) -> Result<Value, AwsError> {
    match op {
        "CreateKey"
        | "DescribeKey"
        | "ListKeys"
        | "EnableKey"
        | "DisableKey"
        | "ScheduleKeyDeletion"
        | "CancelKeyDeletion"
        | "ReplicateKey"
        | "EnableKeyRotation"
        | "DisableKeyRotation"
        | "GetKeyRotationStatus" => kms_keys::handle(state, ctx, op, input),
        "GetKeyPolicy" | "PutKeyPolicy" | "ListKeyPolicies" | "CreateAlias" | "ListAliases"
        | "DeleteAlias" => kms_policy::handle(state, ctx, op, input),
        _ => Err(AwsError::new(400, "UnknownOperationException", "")),
    }
}
