//! IAM permission policies over the Query protocol: role inline policies (`PutRolePolicy`,
//! `GetRolePolicy`, `ListRolePolicies`, `DeleteRolePolicy`), customer managed policies
//! (`CreatePolicy`, `ListPolicies` — only `Scope=Local` has content: AWS managed policies are
//! not modelled —, `GetPolicy`, `GetPolicyVersion` with the single version `v1`) and their
//! attachment to roles (`AttachRolePolicy`, `DetachRolePolicy`, `ListAttachedRolePolicies`).
//! The audit's A12 reads these for `kms:*` / decrypt on `*`.

use std::collections::BTreeMap;

use super::dispatch::{invalid_action, Ctx};
use super::iam::{check_document, page, required, role_mut};
use super::wire::{self, el, members, wrap, AwsError};
use super::ManagedPolicy;
use crate::state::State;

fn no_such_policy(arn: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("Policy {arn} was not found."))
}

fn policy_xml(p: &ManagedPolicy, attachments: usize) -> String {
    let mut x = [
        el("PolicyName", &p.name),
        el("PolicyId", &p.id),
        el("Arn", &p.arn),
        el("Path", &p.path),
        el("DefaultVersionId", "v1"),
        el("AttachmentCount", &attachments.to_string()),
        el("PermissionsBoundaryUsageCount", "0"),
        el("IsAttachable", "true"),
    ]
    .concat();
    if let Some(d) = &p.description {
        x += &el("Description", d);
    }
    x + &el("CreateDate", &wire::iso(p.created)) + &el("UpdateDate", &wire::iso(p.created))
}

fn attachments(state: &State, account: &str, arn: &str) -> usize {
    state.aws.accounts.get(account).map_or(0, |a| {
        a.roles
            .values()
            .filter(|r| r.attached.iter().any(|x| x == arn))
            .count()
    })
}

fn managed<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<&'a ManagedPolicy, AwsError> {
    state
        .aws
        .accounts
        .get(&ctx.caller.account)
        .and_then(|a| a.policies.get(arn))
        .ok_or_else(|| no_such_policy(arn))
}

/// Handles the policy actions; `InvalidAction` for any other action.
pub(crate) fn handle(
    state: &mut State,
    ctx: &Ctx,
    op: &str,
    form: &BTreeMap<String, String>,
) -> Result<Option<String>, AwsError> {
    let account = ctx.caller.account.clone();
    match op {
        "PutRolePolicy" => {
            let (role, name, doc) = (
                required(form, "RoleName")?,
                required(form, "PolicyName")?,
                required(form, "PolicyDocument")?,
            );
            role_mut(state, ctx, role)?;
            check_document(state, doc, false)?;
            role_mut(state, ctx, role)?
                .inline
                .insert(name.into(), doc.into());
            Ok(None)
        }
        "GetRolePolicy" => {
            let (role, name) = (required(form, "RoleName")?, required(form, "PolicyName")?);
            let doc = role_mut(state, ctx, role)?
                .inline
                .get(name)
                .cloned()
                .ok_or_else(|| {
                    AwsError::new(
                        404,
                        "NoSuchEntity",
                        format!("The role policy with name {name} cannot be found."),
                    )
                })?;
            Ok(Some(
                el("RoleName", role)
                    + &el("PolicyName", name)
                    + &el("PolicyDocument", &wire::url_encode(&doc)),
            ))
        }
        "DeleteRolePolicy" => {
            let (role, name) = (required(form, "RoleName")?, required(form, "PolicyName")?);
            match role_mut(state, ctx, role)?.inline.remove(name) {
                Some(_) => Ok(None),
                None => Err(AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("The role policy with name {name} cannot be found."),
                )),
            }
        }
        "ListRolePolicies" => {
            let role = required(form, "RoleName")?;
            let names: Vec<String> = role_mut(state, ctx, role)?
                .inline
                .keys()
                .map(|n| wire::esc(n))
                .collect();
            let (items, tail) = page(names, form);
            Ok(Some(members("PolicyNames", &items) + &tail))
        }
        "CreatePolicy" => {
            let (name, doc) = (
                required(form, "PolicyName")?,
                required(form, "PolicyDocument")?,
            );
            let path = form.get("Path").map(String::as_str).unwrap_or("/");
            let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
            if state
                .aws
                .accounts
                .get(&account)
                .is_some_and(|a| a.policies.contains_key(&arn))
            {
                return Err(AwsError::new(
                    409,
                    "EntityAlreadyExists",
                    format!(
                        "A policy called {name} already exists. Duplicate names are not allowed."
                    ),
                ));
            }
            check_document(state, doc, false)?;
            let p = ManagedPolicy {
                name: name.into(),
                path: path.into(),
                id: format!("ANPA{}", wire::random_id(17)),
                arn: arn.clone(),
                created: wire::now(),
                document: doc.into(),
                description: form.get("Description").cloned(),
            };
            let xml = wrap("Policy", &policy_xml(&p, 0));
            state
                .aws
                .accounts
                .entry(account)
                .or_default()
                .policies
                .insert(arn, p);
            Ok(Some(xml))
        }
        "GetPolicy" => {
            let arn = required(form, "PolicyArn")?;
            let p = managed(state, ctx, arn)?;
            Ok(Some(wrap(
                "Policy",
                &policy_xml(p, attachments(state, &account, arn)),
            )))
        }
        "GetPolicyVersion" => {
            let (arn, v) = (required(form, "PolicyArn")?, required(form, "VersionId")?);
            let p = managed(state, ctx, arn)?;
            if v != "v1" {
                return Err(AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} version {v} does not exist or is not attachable."),
                ));
            }
            let inner = el("Document", &wire::url_encode(&p.document))
                + &el("VersionId", "v1")
                + &el("IsDefaultVersion", "true")
                + &el("CreateDate", &wire::iso(p.created));
            Ok(Some(wrap("PolicyVersion", &inner)))
        }
        "ListPolicies" => {
            let scope = form.get("Scope").map(String::as_str).unwrap_or("All");
            let only_attached = form.get("OnlyAttached").is_some_and(|v| v == "true");
            let items: Vec<String> = if scope == "AWS" {
                Vec::new()
            } else {
                state
                    .aws
                    .accounts
                    .get(&account)
                    .map(|a| {
                        a.policies
                            .values()
                            .map(|p| (p, attachments(state, &account, &p.arn)))
                            .filter(|(_, n)| !only_attached || *n > 0)
                            .map(|(p, n)| policy_xml(p, n))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (items, tail) = page(items, form);
            Ok(Some(members("Policies", &items) + &tail))
        }
        "AttachRolePolicy" | "DetachRolePolicy" => {
            let (role, arn) = (required(form, "RoleName")?, required(form, "PolicyArn")?);
            role_mut(state, ctx, role)?;
            managed(state, ctx, arn)?;
            let r = role_mut(state, ctx, role)?;
            if op == "AttachRolePolicy" {
                if !r.attached.iter().any(|a| a == arn) {
                    r.attached.push(arn.into());
                }
            } else if r.attached.iter().any(|a| a == arn) {
                r.attached.retain(|a| a != arn);
            } else {
                return Err(AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} was not found."),
                ));
            }
            Ok(None)
        }
        "ListAttachedRolePolicies" => {
            let role = required(form, "RoleName")?;
            let arns = role_mut(state, ctx, role)?.attached.clone();
            let items: Vec<String> = arns
                .iter()
                .map(|arn| {
                    let name = arn.rsplit('/').next().unwrap_or_default();
                    el("PolicyName", name) + &el("PolicyArn", arn)
                })
                .collect();
            let (items, tail) = page(items, form);
            Ok(Some(members("AttachedPolicies", &items) + &tail))
        }
        _ => Err(invalid_action(op, "2010-05-08")),
    }
}
