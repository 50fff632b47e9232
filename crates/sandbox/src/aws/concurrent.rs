//! Another writer of AWS policies under a fault plan (`FaultKind::ConcurrentWriter` on
//! `{base}/aws`, issue 13): a colleague adds an unrelated statement to a key policy or a role's
//! trust policy while the app is editing it.
//!
//! AWS policies have no etag, so the app re-reads right before it writes and reads back after
//! (ARCHITECTURE invariant 14). The fault is *armed* by a matching request naming a policy
//! (`GetKeyPolicy`, `PutKeyPolicy`: the `KeyId`; `GetRole`, `UpdateAssumeRolePolicy`: the
//! `RoleName`) and *lands* right before the next read of that same policy: so the other
//! writer's change falls between two of the app's reads (its re-read then differs and nothing
//! is written) or between its write and its read-back (the read-back then differs). It never
//! lands between the app's last re-read and its `PutKeyPolicy` / `UpdateAssumeRolePolicy`:
//! that one round trip is the window no client can guard without an etag, and simulating it
//! would only show that AWS has none.
//!
//! Every statement landed is remembered ([`AwsForeignStatement`]) so invariant checks can
//! demand that the app kept it.

use serde::Serialize;
use serde_json::{json, Value};

use super::policy::parse_doc;
use super::wire::parse_form;
use crate::state::State;

/// A statement another writer added to an AWS policy during a fault plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AwsForeignStatement {
    /// `key:<key id or ARN as the request named it>` or `role:<role name>`.
    pub policy: String,
    /// The statement exactly as added.
    pub statement: Value,
}

/// The policy an AWS request names, as `key:<KeyId>` / `role:<RoleName>`; `None` for any other
/// action.
pub(crate) fn policy_named(action: &str, body: &[u8]) -> Option<String> {
    match action {
        "GetKeyPolicy" | "PutKeyPolicy" => {
            let v: Value = serde_json::from_slice(body).ok()?;
            Some(format!("key:{}", v.get("KeyId")?.as_str()?))
        }
        "GetRole" | "UpdateAssumeRolePolicy" => {
            Some(format!("role:{}", parse_form(body).get("RoleName")?))
        }
        _ => None,
    }
}

/// True for the actions a `ConcurrentWriter` rule may arm on.
pub(crate) fn is_policy_action(action: &str) -> bool {
    matches!(
        action,
        "GetKeyPolicy" | "PutKeyPolicy" | "GetRole" | "UpdateAssumeRolePolicy"
    )
}

/// `key:<id or ARN>` as `key:<ARN>` (the app names a key by id in setup and by ARN in
/// revocation); anything else unchanged.
pub(crate) fn canonical(state: &State, policy: String) -> String {
    match policy.strip_prefix("key:") {
        Some(id) => match state.aws.find_key(id) {
            Some(k) => format!("key:{}", k.arn),
            None => policy,
        },
        None => policy,
    }
}

/// Arms another writer on `policy` (it lands before the next read of it).
pub(crate) fn arm(state: &mut State, policy: String) {
    if !state.aws_writer_armed.contains(&policy) {
        state.aws_writer_armed.push(policy);
    }
}

/// Right before a read of `policy` (`GetKeyPolicy` / `GetRole`): if another writer is armed on
/// it, adds its statement to the stored document and remembers it. Returns whether it landed.
pub(crate) fn land_before_read(state: &mut State, action: &str, policy: &str) -> bool {
    if !matches!(action, "GetKeyPolicy" | "GetRole") {
        return false;
    }
    let Some(i) = state.aws_writer_armed.iter().position(|p| p == policy) else {
        return false;
    };
    state.aws_writer_armed.remove(i);
    let n = state.next_counter();
    let (kind, id) = policy.split_once(':').unwrap_or(("", policy));
    let statement = if kind == "key" {
        json!({"Sid": format!("OtherTeamAudit{n}"), "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", super::AWS_CUSTOMER_ACCOUNT_ID)},
            "Action": "kms:DescribeKey", "Resource": "*"})
    } else {
        json!({"Sid": format!("OtherTeamTrust{n}"), "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    };
    let stored: Option<&mut String> = if kind == "key" {
        state.aws.find_key_mut(id).map(|k| &mut k.policy)
    } else {
        state
            .aws
            .accounts
            .values_mut()
            .find_map(|a| a.roles.get_mut(id))
            .map(|r| &mut r.trust)
    };
    let Some(text) = stored else {
        return false;
    };
    let Ok(mut doc) = parse_doc(text) else {
        return false;
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.push(statement.clone()),
        Some(one) => *one = Value::Array(vec![one.take(), statement.clone()]),
        None => return false,
    }
    *text = doc.to_string();
    state.aws_foreign_statements.push(AwsForeignStatement {
        policy: policy.to_owned(),
        statement,
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_a_request_names() {
        assert_eq!(
            policy_named("GetKeyPolicy", br#"{"KeyId":"k-1","PolicyName":"default"}"#),
            Some("key:k-1".into())
        );
        assert_eq!(
            policy_named(
                "UpdateAssumeRolePolicy",
                b"Action=UpdateAssumeRolePolicy&RoleName=crdb-cmek&PolicyDocument=%7B%7D"
            ),
            Some("role:crdb-cmek".into())
        );
        assert_eq!(policy_named("CreateKey", b"{}"), None);
    }

    #[test]
    fn another_writer_lands_before_the_next_read_never_before_a_write() {
        let mut state = State::new(crate::SandboxConfig::for_tests());
        let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}}"#;
        let role = super::super::Role {
            name: "r".into(),
            path: "/".into(),
            id: "AROATEST".into(),
            arn: "arn:aws:iam::111122223333:role/r".into(),
            created: time::OffsetDateTime::UNIX_EPOCH,
            trust: trust.into(),
            description: None,
            max_session: 3600,
            inline: Default::default(),
            attached: Vec::new(),
            tags: Vec::new(),
            created_at: None,
        };
        state
            .aws
            .accounts
            .entry(super::super::AWS_CUSTOMER_ACCOUNT_ID.into())
            .or_default()
            .roles
            .insert("r".into(), role);
        arm(&mut state, "role:r".into());
        assert!(!land_before_read(
            &mut state,
            "UpdateAssumeRolePolicy",
            "role:r"
        ));
        assert!(!land_before_read(&mut state, "GetRole", "role:other"));
        assert!(land_before_read(&mut state, "GetRole", "role:r"));
        assert!(!land_before_read(&mut state, "GetRole", "role:r"), "once");
        let stored = &state.aws.accounts[super::super::AWS_CUSTOMER_ACCOUNT_ID].roles["r"].trust;
        let doc: Value = serde_json::from_str(stored).unwrap();
        let list = doc["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{stored}");
        assert_eq!(state.aws_foreign_statements.len(), 1);
        assert_eq!(list[1], state.aws_foreign_statements[0].statement);
    }
}
