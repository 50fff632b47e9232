//! IAM roles over the Query protocol: `CreateRole`, `GetRole`, `UpdateAssumeRolePolicy`,
//! `ListRoles` (PathPrefix, Marker/MaxItems), `DeleteRole`. Trust policies are stored exactly
//! as written and returned URL-encoded, as IAM does. Principals of a trust policy are checked
//! like KMS checks key policies (a role of a sandbox account must exist).

use std::collections::BTreeMap;

use super::dispatch::{invalid_action, Ctx};
use super::kms_policy::check_principals;
use super::wire::{self, el, members, wrap, AwsError};
use super::Role;
use crate::state::State;

/// A required Query parameter, or IAM's `ValidationError`.
pub(crate) fn required<'a>(
    form: &'a BTreeMap<String, String>,
    name: &str,
) -> Result<&'a str, AwsError> {
    form.get(name).map(String::as_str).ok_or_else(|| {
        let mut field = name.to_string();
        field[..1].make_ascii_lowercase();
        AwsError::new(
            400,
            "ValidationError",
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

pub(crate) fn no_such_role(name: &str) -> AwsError {
    AwsError::new(
        404,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

/// Validates a policy document for IAM (syntax, then principals when `principals`).
pub(crate) fn check_document(state: &State, text: &str, principals: bool) -> Result<(), AwsError> {
    let doc = super::policy::parse_doc(text)
        .map_err(|m| AwsError::new(400, "MalformedPolicyDocument", m))?;
    if principals {
        check_principals(state, &doc, false).map_err(|bad| {
            AwsError::new(
                400,
                "MalformedPolicyDocument",
                format!("Invalid principal in policy: \"AWS\":\"{bad}\""),
            )
        })?;
    }
    Ok(())
}

/// `<Role>` / `<member>` body of a role.
pub(crate) fn role_xml(r: &Role, last_used: bool) -> String {
    let mut x = [
        el("Path", &r.path),
        el("RoleName", &r.name),
        el("RoleId", &r.id),
        el("Arn", &r.arn),
        el("CreateDate", &wire::iso(r.created)),
        el("AssumeRolePolicyDocument", &wire::url_encode(&r.trust)),
    ]
    .concat();
    if let Some(d) = &r.description {
        x += &el("Description", d);
    }
    x += &el("MaxSessionDuration", &r.max_session.to_string());
    if !r.tags.is_empty() {
        let tags: Vec<String> = r
            .tags
            .iter()
            .map(|(k, v)| el("Key", k) + &el("Value", v))
            .collect();
        x += &members("Tags", &tags);
    }
    if last_used {
        x += "<RoleLastUsed/>";
    }
    x
}

/// Pages Query list members with `Marker` (an offset) and `MaxItems` (default 100): returns
/// the page and the trailing `<IsTruncated>`/`<Marker>` elements.
pub(crate) fn page(items: Vec<String>, form: &BTreeMap<String, String>) -> (Vec<String>, String) {
    let max = form
        .get("MaxItems")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(100);
    let start = form
        .get("Marker")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(0);
    let n = items.len();
    let page: Vec<String> = items.into_iter().skip(start).take(max).collect();
    let tail = if start + max < n {
        el("IsTruncated", "true") + &el("Marker", &(start + max).to_string())
    } else {
        el("IsTruncated", "false")
    };
    (page, tail)
}

fn tags(form: &BTreeMap<String, String>) -> Vec<(String, String)> {
    (1..)
        .map_while(|i| {
            let k = form.get(&format!("Tags.member.{i}.Key"))?;
            let v = form.get(&format!("Tags.member.{i}.Value"))?;
            Some((k.clone(), v.clone()))
        })
        .collect()
}

fn create_role(
    state: &mut State,
    ctx: &Ctx,
    form: &BTreeMap<String, String>,
) -> Result<Option<String>, AwsError> {
    let name = required(form, "RoleName")?;
    let trust = required(form, "AssumeRolePolicyDocument")?;
    let path = form.get("Path").map(String::as_str).unwrap_or("/");
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !valid_name {
        return Err(AwsError::new(400, "ValidationError", format!("1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")));
    }
    if !path.starts_with('/') || !path.ends_with('/') {
        return Err(AwsError::new(400, "ValidationError", "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."));
    }
    let account = ctx.caller.account.clone();
    if state
        .aws
        .accounts
        .get(&account)
        .is_some_and(|a| a.roles.keys().any(|k| k.eq_ignore_ascii_case(name)))
    {
        return Err(AwsError::new(
            409,
            "EntityAlreadyExists",
            format!("Role with name {name} already exists."),
        ));
    }
    check_document(state, trust, true)?;
    let max_session = form
        .get("MaxSessionDuration")
        .and_then(|m| m.parse::<i64>().ok())
        .unwrap_or(3600);
    let role = Role {
        name: name.into(),
        path: path.into(),
        id: format!("AROA{}", wire::random_id(17)),
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        created: wire::now(),
        trust: trust.into(),
        description: form.get("Description").cloned(),
        max_session,
        inline: BTreeMap::new(),
        attached: Vec::new(),
        tags: tags(form),
        created_at: Some(std::time::Instant::now()),
    };
    let xml = wrap("Role", &role_xml(&role, false));
    state
        .aws
        .accounts
        .entry(account)
        .or_default()
        .roles
        .insert(name.into(), role);
    Ok(Some(xml))
}

/// The caller's role `name` (mutable), or NoSuchEntity.
pub(crate) fn role_mut<'a>(
    state: &'a mut State,
    ctx: &Ctx,
    name: &str,
) -> Result<&'a mut Role, AwsError> {
    state
        .aws
        .accounts
        .get_mut(&ctx.caller.account)
        .and_then(|a| a.roles.get_mut(name))
        .ok_or_else(|| no_such_role(name))
}

/// Handles the role actions; `InvalidAction` for any other action.
pub(crate) fn handle(
    state: &mut State,
    ctx: &Ctx,
    op: &str,
    form: &BTreeMap<String, String>,
) -> Result<Option<String>, AwsError> {
    match op {
        "CreateRole" => create_role(state, ctx, form),
        "GetRole" => {
            let name = required(form, "RoleName")?;
            let r = role_mut(state, ctx, name)?;
            Ok(Some(wrap("Role", &role_xml(r, true))))
        }
        "UpdateAssumeRolePolicy" => {
            let name = required(form, "RoleName")?;
            let doc = required(form, "PolicyDocument")?;
            role_mut(state, ctx, name)?;
            check_document(state, doc, true)?;
            role_mut(state, ctx, name)?.trust = doc.into();
            Ok(None)
        }
        "ListRoles" => {
            let prefix = form.get("PathPrefix").map(String::as_str).unwrap_or("/");
            let items: Vec<String> = state
                .aws
                .accounts
                .get(&ctx.caller.account)
                .map(|a| {
                    a.roles
                        .values()
                        .filter(|r| r.path.starts_with(prefix))
                        .map(|r| role_xml(r, false))
                        .collect()
                })
                .unwrap_or_default();
            let (items, tail) = page(items, form);
            Ok(Some(members("Roles", &items) + &tail))
        }
        "DeleteRole" => {
            let name = required(form, "RoleName")?;
            let r = role_mut(state, ctx, name)?;
            if !r.attached.is_empty() {
                return Err(AwsError::new(
                    409,
                    "DeleteConflict",
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            if !r.inline.is_empty() {
                return Err(AwsError::new(
                    409,
                    "DeleteConflict",
                    "Cannot delete entity, must delete policies first.",
                ));
            }
            let (arn, id) = (r.arn.clone(), r.id.clone());
            if let Some(a) = state.aws.accounts.get_mut(&ctx.caller.account) {
                a.roles.remove(name);
            }
            super::kms_policy::principal_deleted(state, &arn, &id);
            Ok(None)
        }
        _ => Err(invalid_action(op, "2010-05-08")),
    }
}
