//! IAM policy documents as AWS stores them: key policies (KMS) and role trust policies (IAM).
//!
//! The grammar is the IAM JSON policy language (docs.aws.amazon.com/IAM/latest/UserGuide/
//! reference_policies_grammar.html): `Version`, `Id`, `Statement` (one object or an array),
//! and per statement `Sid`, `Effect`, `Principal`/`NotPrincipal` (`"*"` or a map of
//! `AWS`/`Service`/`Federated`/`CanonicalUser` to a string or an array), `Action`/`NotAction`,
//! `Resource`/`NotResource` (a string or an array) and `Condition` (operator → key → value or
//! values). Every field this module does not model is kept verbatim in `extra`, so a
//! read-modify-write never drops what another tool wrote. No I/O.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The current policy language version.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A JSON value that is one item or an array of items (`"Statement"`, `"Action"`, …). The
/// shape read is the shape written back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The items, in order.
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::One(t) => std::slice::from_ref(t),
            Self::Many(v) => v,
        }
    }

    /// The items as a vector (a lone item becomes an array of one).
    pub fn to_vec_mut(&mut self) -> &mut Vec<T>
    where
        T: Clone,
    {
        if let Self::One(t) = self {
            *self = Self::Many(vec![t.clone()]);
        }
        match self {
            Self::Many(v) => v,
            Self::One(_) => unreachable!("converted above"),
        }
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(v: Vec<T>) -> Self {
        Self::Many(v)
    }
}

/// `Principal`: `"*"` (anyone) or a map such as `{"AWS": ["arn:aws:iam::…:role/r"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Principal {
    /// `"*"` (any other string is kept as read).
    Wildcard(String),
    /// Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) → identifiers.
    Map(BTreeMap<String, OneOrMany<String>>),
}

impl Principal {
    /// `{"AWS": arn}`.
    pub fn aws(arn: impl Into<String>) -> Self {
        Self::Map(BTreeMap::from([(
            "AWS".to_owned(),
            OneOrMany::One(arn.into()),
        )]))
    }

    /// Every `(type, identifier)` pair; `"*"` is `("*", "*")`. An `AWS` identifier that is a
    /// bare 12-digit account id is normalised to `arn:aws:iam::{id}:root`, as IAM itself does.
    pub fn pairs(&self) -> BTreeSet<(String, String)> {
        match self {
            Self::Wildcard(s) => BTreeSet::from([(s.clone(), s.clone())]),
            Self::Map(m) => m
                .iter()
                .flat_map(|(kind, ids)| {
                    ids.as_slice().iter().map(move |id| {
                        let id = if kind == "AWS" && crate::aws::arn::is_account_id(id) {
                            format!("arn:aws:iam::{id}:root")
                        } else {
                            id.clone()
                        };
                        (kind.clone(), id)
                    })
                })
                .collect(),
        }
    }

    /// The `AWS` identifiers (normalised as in [`Principal::pairs`]).
    pub fn aws_ids(&self) -> Vec<String> {
        self.pairs()
            .into_iter()
            .filter(|(k, _)| k == "AWS")
            .map(|(_, id)| id)
            .collect()
    }
}

/// One statement. Unknown members are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    #[serde(rename = "Effect", default)]
    pub effect: String,
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    #[serde(
        rename = "NotPrincipal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_principal: Option<Principal>,
    #[serde(rename = "Action", default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany<String>>,
    #[serde(rename = "NotAction", default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany<String>>,
    #[serde(rename = "Resource", default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    #[serde(
        rename = "NotResource",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_resource: Option<OneOrMany<String>>,
    /// Operator (`StringEquals`, …) → condition key (`sts:ExternalId`, …) → value(s), verbatim.
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<String, BTreeMap<String, Value>>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Statement {
    /// The actions (empty when the statement uses `NotAction` or none).
    pub fn actions(&self) -> &[String] {
        self.action.as_ref().map_or(&[], OneOrMany::as_slice)
    }

    /// The conditions as `(operator, key, sorted values)` triples; a key's values are compared
    /// as strings (`true` and `"true"` are the same to IAM).
    pub fn condition_triples(&self) -> BTreeSet<(String, String, Vec<String>)> {
        let mut out = BTreeSet::new();
        for (op, keys) in self.condition.iter().flatten() {
            for (key, value) in keys {
                let mut values: Vec<String> = match value {
                    Value::Array(items) => items.iter().map(value_text).collect(),
                    other => vec![value_text(other)],
                };
                values.sort();
                out.insert((op.clone(), key.clone(), values));
            }
        }
        out
    }

    /// True when the statement allows `action` (exact name, case-insensitive, or a `*` pattern).
    pub fn allows_action(&self, action: &str) -> bool {
        self.effect == "Allow" && self.actions().iter().any(|a| action_matches(a, action))
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// True when the IAM action pattern `pattern` (`kms:*`, `kms:ReEncrypt*`, `*`) covers `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    match p.strip_suffix('*') {
        Some(prefix) => a.starts_with(prefix),
        None => p == a,
    }
}

/// A whole policy document. Unknown top-level members are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "Statement", default)]
    pub statement: OneOrMany<Statement>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PolicyDocument {
    /// An empty document with `Version` 2012-10-17 and the given `Id`.
    pub fn new(id: Option<&str>) -> Self {
        Self {
            version: Some(POLICY_VERSION.to_owned()),
            id: id.map(str::to_owned),
            ..Default::default()
        }
    }

    /// Parses the policy text a service returned. IAM returns role trust policies URL-encoded
    /// (`%7B%22Version…`); both forms are accepted. Errors: `INTERNAL` naming `what` when the
    /// text is not a policy document.
    pub fn parse(what: &str, text: &str) -> Result<Self> {
        let decoded;
        let json = if text.trim_start().starts_with('{') {
            text
        } else {
            decoded = percent_decode(text);
            &decoded
        };
        serde_json::from_str(json).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("{what} is not a readable policy document: {e}"),
            )
        })
    }

    /// Compact JSON, as sent to the service.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Indented JSON, for the plan preview.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The statements, in order.
    pub fn statements(&self) -> &[Statement] {
        self.statement.as_slice()
    }

    /// The statement with this `Sid`.
    pub fn find_sid(&self, sid: &str) -> Option<&Statement> {
        self.statements()
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
    }

    /// Read-modify-write of one statement: replaces every statement whose `Sid` is
    /// `statement.sid` with `statement` (in place of the first), or appends it; every other
    /// statement and every other member stays as it was. Returns true when the document changed.
    pub fn upsert(&mut self, statement: Statement) -> bool {
        let sid = statement.sid.clone();
        let mut list: Vec<Statement> = self.statements().to_vec();
        let mut placed = false;
        list.retain_mut(|s| {
            if sid.is_some() && s.sid == sid {
                if placed {
                    return false;
                }
                *s = statement.clone();
                placed = true;
            }
            true
        });
        if !placed {
            list.push(statement);
        }
        if broken_merge::on() {
            if let Some(i) = list.iter().rposition(|s| sid.is_none() || s.sid != sid) {
                list.remove(i);
            }
        }
        if list.as_slice() == self.statements() {
            return false;
        }
        self.statement = OneOrMany::Many(list);
        if self.version.is_none() {
            self.version = Some(POLICY_VERSION.to_owned());
        }
        true
    }

    /// Removes every statement with this `Sid`; true when one was removed.
    pub fn remove_sid(&mut self, sid: &str) -> bool {
        let list = self.statement.to_vec_mut();
        let n = list.len();
        list.retain(|s| s.sid.as_deref() != Some(sid));
        list.len() != n
    }

    /// Every `AWS` principal the document names, normalised, without duplicates, in order.
    pub fn aws_principals(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.statements() {
            for p in [&s.principal, &s.not_principal].into_iter().flatten() {
                for id in p.aws_ids() {
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
        }
        out
    }
}

/// A test-only switch that breaks [`PolicyDocument::upsert`] on purpose: with it on, every
/// read-modify-write of one statement also drops the last statement it does not own. The
/// seeded fault campaign (issue 13) turns it on to prove that its AWS invariant "no statement
/// the app does not own is lost from a key or trust policy" can fail (the AWS twin of
/// `crate::iam::broken_merge`). Only debug builds honour it; release builds ignore it.
#[doc(hidden)]
pub mod broken_merge {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ON: AtomicBool = AtomicBool::new(false);

    /// Turns the broken merge on or off for this process; returns whether it took effect
    /// (false in release builds).
    pub fn set(on: bool) -> bool {
        if cfg!(debug_assertions) {
            ON.store(on, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    pub(crate) fn on() -> bool {
        cfg!(debug_assertions) && ON.load(Ordering::Relaxed)
    }
}

/// `%XX` decoding (RFC 3986; `+` is left as is). Invalid escapes are kept literally.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
