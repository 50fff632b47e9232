//! KMS key policies and aliases: `GetKeyPolicy`, `PutKeyPolicy`, `ListKeyPolicies` (the one
//! policy `default`), `CreateAlias`, `ListAliases` (optional `KeyId` filter), `DeleteAlias`.
//!
//! Key policies are stored as the exact string written and returned verbatim. Before storing,
//! KMS checks every `AWS` principal: a role or user of a sandbox account must exist (B27), and
//! a role created through the API is invisible to KMS for `aws_iam_propagation` (B26) — both
//! answer `MalformedPolicyDocumentException` "…invalid principals", on CreateKey, ReplicateKey
//! and PutKeyPolicy alike. Principals of accounts the sandbox does not model are accepted.
//! NOT checked (kept simple on purpose): the policy lockout safety check (a policy that would
//! lock the caller out of the key is accepted; `BypassPolicyLockoutSafetyCheck` is ignored).
//!
//! Deleting a role rewrites its ARN to its unique id (`AROA…`) in every stored key policy and
//! trust policy, as AWS shows policies whose principal was deleted (audit A14).

use serde_json::{json, Value};

use super::dispatch::Ctx;
use super::kms::{key, key_mut, page, required, resolve, target};
use super::policy::{aws_principals, parse_doc, statements};
use super::wire::{self, AwsError};
use super::Alias;
use crate::state::State;

/// The policy KMS gives a key created without one (the account root may do everything), in
/// the layout KMS returns it.
pub(crate) fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks every `AWS` principal of a document; Err(the first invalid one). `for_kms` applies
/// the propagation window to roles created through the API.
pub(crate) fn check_principals(state: &State, doc: &Value, for_kms: bool) -> Result<(), String> {
    let window = state.config.aws_iam_propagation;
    for s in statements(doc) {
        for p in aws_principals(s) {
            let ok = if p == "*" || is_account_id(&p) {
                true
            } else if let Some(rest) = p.strip_prefix("arn:aws:iam::") {
                let (account, res) = rest.split_once(':').unwrap_or(("", ""));
                let known = state.aws.accounts.contains_key(account);
                if !is_account_id(account) {
                    false
                } else if res == "root" || !known {
                    true
                } else if let Some(path) = res.strip_prefix("role/") {
                    let name = path.rsplit('/').next().unwrap_or_default();
                    state.aws.accounts[account]
                        .roles
                        .get(name)
                        .is_some_and(|r| {
                            r.arn == p
                                && !(for_kms && r.created_at.is_some_and(|t| t.elapsed() < window))
                        })
                } else if res.starts_with("user/") {
                    state.aws.access_keys.values().any(|c| c.arn == p)
                } else {
                    false
                }
            } else {
                p.starts_with("arn:aws:sts::")
            };
            if !ok {
                return Err(p);
            }
        }
    }
    Ok(())
}

/// Validates a key policy as KMS does before storing it.
pub(crate) fn validate_key_policy(state: &State, text: &str) -> Result<(), AwsError> {
    let doc = parse_doc(text).map_err(|_| {
        AwsError::new(
            400,
            "MalformedPolicyDocumentException",
            "The new key policy will not allow you to update the key policy in the future.",
        )
    })?;
    check_principals(state, &doc, true).map_err(|_| {
        AwsError::new(
            400,
            "MalformedPolicyDocumentException",
            "Policy contains a statement with one or more invalid principals.",
        )
    })
}

/// After a role is deleted, stored policies show its unique id instead of its ARN.
pub(crate) fn principal_deleted(state: &mut State, arn: &str, unique_id: &str) {
    let (from, to) = (format!("\"{arn}\""), format!("\"{unique_id}\""));
    for a in state.aws.accounts.values_mut() {
        for k in a.keys.values_mut() {
            k.policy = k.policy.replace(&from, &to);
        }
        for r in a.roles.values_mut() {
            r.trust = r.trust.replace(&from, &to);
        }
    }
}

fn policy_name(input: &Value) -> Result<(), AwsError> {
    match input["PolicyName"].as_str() {
        None | Some("default") => Ok(()),
        Some(_) => Err(AwsError::new(
            400,
            "NotFoundException",
            "No such policy exists",
        )),
    }
}

fn alias_json(a: &Alias, region: &str, account: &str) -> Value {
    json!({"AliasName": a.name, "AliasArn": format!("arn:aws:kms:{region}:{account}:{}", a.name),
        "TargetKeyId": a.target, "CreationDate": wire::epoch(a.created), "LastUpdatedDate": wire::epoch(a.created)})
}

/// Handles the key policy and alias actions.
pub(crate) fn handle(
    state: &mut State,
    ctx: &Ctx,
    op: &str,
    input: &Value,
) -> Result<Value, AwsError> {
    let (account, region) = (ctx.caller.account.clone(), ctx.region.clone());
    match op {
        "GetKeyPolicy" => {
            let r = target(state, ctx, input, "kms:GetKeyPolicy")?;
            policy_name(input)?;
            Ok(json!({"Policy": key(state, &r).policy, "PolicyName": "default"}))
        }
        "ListKeyPolicies" => {
            target(state, ctx, input, "kms:ListKeyPolicies")?;
            Ok(json!({"PolicyNames": ["default"], "Truncated": false}))
        }
        "PutKeyPolicy" => {
            let r = target(state, ctx, input, "kms:PutKeyPolicy")?;
            policy_name(input)?;
            let text = required(input, "Policy")?;
            if key(state, &r).state == "PendingDeletion" {
                let arn = key(state, &r).arn.clone();
                return Err(AwsError::new(
                    400,
                    "KMSInvalidStateException",
                    format!("{arn} is pending deletion."),
                ));
            }
            validate_key_policy(state, text)?;
            let mut stored = text.to_string();
            if let Some(tamper) = state.aws.tamper_next_put.take() {
                let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                tamper(&mut v);
                stored = v.to_string();
            }
            key_mut(state, &r).policy = stored;
            Ok(Value::Null)
        }
        "CreateAlias" => {
            let name = required(input, "AliasName")?;
            let to = required(input, "TargetKeyId")?;
            if !name.starts_with("alias/") || name.len() <= 6 {
                return Err(AwsError::validation(format!("1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$")));
            }
            if name.starts_with("alias/aws/") {
                return Err(AwsError::new(
                    400,
                    "NotAuthorizedException",
                    "Cannot create alias with prefix 'alias/aws/'",
                ));
            }
            let r = resolve(state, ctx, to, true)?;
            if r.0 != account || r.1 != region {
                return Err(AwsError::validation(
                    "The alias and its target key must be in the same account and region.",
                ));
            }
            let k = key(state, &r);
            if k.state == "PendingDeletion" {
                return Err(AwsError::new(
                    400,
                    "KMSInvalidStateException",
                    format!("{} is pending deletion.", k.arn),
                ));
            }
            let slot = (region.clone(), name.to_string());
            let acc = state.aws.accounts.entry(account.clone()).or_default();
            if acc.aliases.contains_key(&slot) {
                return Err(AwsError::new(
                    400,
                    "AlreadyExistsException",
                    format!("An alias with the name arn:aws:kms:{region}:{account}:{name} already exists"),
                ));
            }
            let alias = Alias {
                name: name.into(),
                target: r.2,
                created: wire::now(),
            };
            acc.aliases.insert(slot, alias);
            Ok(Value::Null)
        }
        "DeleteAlias" => {
            let name = required(input, "AliasName")?;
            let acc = state.aws.accounts.entry(account.clone()).or_default();
            match acc.aliases.remove(&(region.clone(), name.to_string())) {
                Some(_) => Ok(Value::Null),
                None => Err(AwsError::new(
                    400,
                    "NotFoundException",
                    format!("Alias arn:aws:kms:{region}:{account}:{name} is not found."),
                )),
            }
        }
        "ListAliases" => {
            let filter = match input["KeyId"].as_str() {
                Some(k) => Some(resolve(state, ctx, k, true)?.2),
                None => None,
            };
            let items: Vec<Value> = state
                .aws
                .accounts
                .get(&account)
                .into_iter()
                .flat_map(|a| a.aliases.iter())
                .filter(|((reg, _), a)| {
                    *reg == region && filter.as_ref().is_none_or(|f| *f == a.target)
                })
                .map(|(_, a)| alias_json(a, &region, &account))
                .collect();
            Ok(page(items, input, "Aliases"))
        }
        _ => Err(AwsError::new(400, "UnknownOperationException", "")),
    }
}
