//! IAM policy documents (key policies, trust policies, identity policies) as the sandbox reads
//! them: statements, principals, IAM wildcard matching of actions, and the two questions the
//! CockroachDB simulation asks — "does this trust policy let CockroachDB's account assume the
//! role with our ExternalId?" and "does this key policy grant the role the five actions?".
//!
//! Simplifications (documented, deliberate): conditions of `Allow` statements in key policies
//! are assumed to hold (the sandbox has no request context); a `Deny` counts only when it has
//! no condition; `NotPrincipal` is ignored; in trust policies only the `sts:ExternalId`
//! condition is evaluated.

use serde_json::Value;

/// (account, role name) of `arn:aws:iam::ACCOUNT:role/optional/path/NAME`.
pub(crate) fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, res) = rest.split_once(':')?;
    let path = res.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    (!account.is_empty() && !name.is_empty()).then(|| (account.to_string(), name.to_string()))
}

/// Parses a policy document; Err(reason) when it is not a JSON object with a `Statement`.
pub(crate) fn parse_doc(text: &str) -> Result<Value, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|_| "The policy is not in the valid JSON format.")?;
    match v.get("Statement") {
        Some(Value::Array(_)) | Some(Value::Object(_)) => Ok(v),
        _ => Err("The policy is missing the required element Statement.".into()),
    }
}

/// The statements of a parsed document.
pub(crate) fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// A string or an array of strings as a list.
pub(crate) fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// `AWS` principals of a statement (`"*"` for `"Principal": "*"`).
pub(crate) fn aws_principals(stmt: &Value) -> Vec<String> {
    match stmt.get("Principal") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(p @ Value::Object(_)) => as_list(p.get("AWS")),
        _ => Vec::new(),
    }
}

/// IAM wildcard match (`*`, `?`), case-insensitive as IAM matches actions.
pub(crate) fn glob(pattern: &str, s: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
            (Some(b'?'), Some(_)) => m(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => m(&p[1..], &s[1..]),
            _ => false,
        }
    }
    m(pattern.as_bytes(), s.as_bytes())
}

/// Whether the statement's `Action` (or `NotAction`) covers `action`.
pub(crate) fn covers_action(stmt: &Value, action: &str) -> bool {
    if let Some(na) = stmt.get("NotAction") {
        return !as_list(Some(na)).iter().any(|p| glob(p, action));
    }
    as_list(stmt.get("Action")).iter().any(|p| glob(p, action))
}

fn effect(stmt: &Value) -> &str {
    stmt.get("Effect").and_then(Value::as_str).unwrap_or("")
}

/// Whether one principal entry names `arn` (exactly, or `*`).
fn names(entry: &str, arn: &str) -> bool {
    entry == "*" || entry == arn
}

/// Whether an account principal (`arn:aws:iam::A:root` or `A`) names account `a`.
pub(crate) fn is_account(entry: &str, account: &str) -> bool {
    entry == account || entry == format!("arn:aws:iam::{account}:root")
}

/// The concrete KMS actions CockroachDB calls, which the five documented action patterns
/// (`kms:Encrypt`, `kms:Decrypt`, `kms:GenerateDataKey*`, `kms:DescribeKey`, `kms:ReEncrypt*`)
/// stand for.
pub(crate) const CRDB_ACTIONS: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];

/// The five documented action patterns.
pub(crate) const CRDB_ACTION_PATTERNS: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:ReEncrypt*",
];

/// Checks a key policy for the role: Ok(extra action patterns granted to the role by name,
/// beyond the five) or Err(the missing actions). `via_iam(action)` answers for statements
/// that delegate to IAM (`arn:aws:iam::ACCOUNT:root` of the role's account).
pub(crate) fn key_policy_grants(
    doc: &Value,
    role_arn: &str,
    role_account: &str,
    via_iam: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, Vec<String>> {
    let stmts = statements(doc);
    let denied = |action: &str| {
        stmts.iter().any(|s| {
            effect(s) == "Deny"
                && s.get("Condition").is_none()
                && aws_principals(s).iter().any(|p| names(p, role_arn))
                && covers_action(s, action)
        })
    };
    let allowed = |action: &str| {
        stmts.iter().any(|s| {
            effect(s) == "Allow"
                && covers_action(s, action)
                && aws_principals(s)
                    .iter()
                    .any(|p| names(p, role_arn) || (is_account(p, role_account) && via_iam(action)))
        })
    };
    let missing: Vec<String> = CRDB_ACTIONS
        .iter()
        .filter(|a| denied(a) || !allowed(a))
        .map(|a| a.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut extra: Vec<String> = stmts
        .iter()
        .filter(|s| effect(s) == "Allow" && aws_principals(s).iter().any(|p| p == role_arn))
        .flat_map(|s| as_list(s.get("Action")))
        .filter(|a| {
            !CRDB_ACTION_PATTERNS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(a))
        })
        .collect();
    extra.sort();
    extra.dedup();
    Ok(extra)
}

/// Whether identity policy documents (inline or attached) allow `action` (on any resource).
pub(crate) fn identity_allows(docs: &[Value], action: &str) -> bool {
    let all: Vec<&Value> = docs.iter().flat_map(statements).collect();
    all.iter()
        .any(|s| effect(s) == "Allow" && covers_action(s, action))
        && !all.iter().any(|s| {
            effect(s) == "Deny" && s.get("Condition").is_none() && covers_action(s, action)
        })
}

/// Checks that a trust policy lets `account` assume the role with `external_id`.
/// Err(reason) names what is wrong (not trusted / no ExternalId / another ExternalId / denied).
pub(crate) fn trust_allows(doc: &Value, account: &str, external_id: &str) -> Result<(), String> {
    let stmts = statements(doc);
    let for_account = |s: &&&Value| {
        aws_principals(s)
            .iter()
            .any(|p| p == "*" || is_account(p, account))
            && covers_action(s, "sts:AssumeRole")
    };
    if stmts
        .iter()
        .filter(for_account)
        .any(|s| effect(s) == "Deny" && s.get("Condition").is_none())
    {
        return Err(format!(
            "the trust policy denies sts:AssumeRole to account {account}"
        ));
    }
    let allows: Vec<&&Value> = stmts
        .iter()
        .filter(for_account)
        .filter(|s| effect(s) == "Allow")
        .collect();
    if allows.is_empty() {
        return Err(format!(
            "the trust policy does not allow account {account} (arn:aws:iam::{account}:root) to call sts:AssumeRole"
        ));
    }
    let ids: Vec<String> = allows
        .iter()
        .flat_map(|s| {
            ["StringEquals", "StringLike"]
                .iter()
                .flat_map(|op| as_list(s.pointer(&format!("/Condition/{op}/sts:ExternalId"))))
                .collect::<Vec<_>>()
        })
        .collect();
    if ids.is_empty() {
        return Err(format!("the trust policy does not require sts:ExternalId = {external_id} (the CockroachDB Cloud organization id) for account {account}"));
    }
    if !ids.iter().any(|i| i == external_id) {
        return Err(format!("the trust policy requires sts:ExternalId {} but CockroachDB Cloud sends {external_id} (the organization id)", ids.join(", ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_match_like_iam() {
        assert!(glob(
            "kms:GenerateDataKey*",
            "kms:GenerateDataKeyWithoutPlaintext"
        ));
        assert!(glob("kms:*", "kms:Decrypt"));
        assert!(glob("KMS:decrypt", "kms:Decrypt"));
        assert!(!glob("kms:Encrypt", "kms:EncryptX"));
        assert!(glob("kms:Re?ncrypt*", "kms:ReEncryptTo"));
    }

    #[test]
    fn role_arns_with_paths() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::111122223333:role/a/b/crdb"),
            Some(("111122223333".into(), "crdb".into()))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::111122223333:user/x"), None);
    }

    #[test]
    fn key_policy_needs_all_five_and_reports_extras() {
        let role = "arn:aws:iam::1:role/r";
        let five = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": role}, "Action": CRDB_ACTION_PATTERNS, "Resource": "*"}]});
        assert_eq!(key_policy_grants(&five, role, "1", &|_| false), Ok(vec![]));
        let star = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": [role]}, "Action": "kms:*"}});
        assert_eq!(
            key_policy_grants(&star, role, "1", &|_| false),
            Ok(vec!["kms:*".into()])
        );
        let four = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": role}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*"]}]});
        let missing = key_policy_grants(&four, role, "1", &|_| false).unwrap_err();
        assert!(missing.contains(&"kms:GenerateDataKey".to_string()));
        let root = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"}]});
        assert!(key_policy_grants(&root, role, "1", &|_| false).is_err());
        assert_eq!(key_policy_grants(&root, role, "1", &|_| true), Ok(vec![]));
    }

    #[test]
    fn trust_policy_needs_the_external_id() {
        let t = |cond: Value| json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::9:root"}, "Action": "sts:AssumeRole", "Condition": cond}]});
        assert!(trust_allows(
            &t(json!({"StringEquals": {"sts:ExternalId": "org"}})),
            "9",
            "org"
        )
        .is_ok());
        let e = trust_allows(&t(json!({})), "9", "org").unwrap_err();
        assert!(e.contains("does not require sts:ExternalId"), "{e}");
        assert!(trust_allows(
            &t(json!({"StringEquals": {"sts:ExternalId": "x"}})),
            "9",
            "org"
        )
        .is_err());
        assert!(trust_allows(
            &t(json!({"StringEquals": {"sts:ExternalId": "org"}})),
            "8",
            "org"
        )
        .is_err());
    }
}
