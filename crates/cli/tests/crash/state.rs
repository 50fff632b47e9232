//! The watched state of the crash harness: which policies, service accounts and crypto keys
//! it compares, normalised (no etags, times or server-made ids; sorted members), and the
//! intended state plus the bindings others added.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Who a policy belongs to (to know whether it exists yet).
#[derive(Debug, Clone)]
pub enum Owner {
    Project,
    ServiceAccount(String),
    Key(String),
}

/// What the harness compares: every policy, service account and crypto key the writes name.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    pub policies: Vec<(String, Owner)>,
    pub service_accounts: Vec<String>,
    pub keys: Vec<String>,
}

impl Watch {
    /// From the writes of reference runs (`google POST /iam/v1/{resource}:setIamPolicy`, …).
    pub fn of(writes: &[String]) -> Self {
        let mut w = Self {
            policies: vec![(format!("projects/{}", super::PROJECT), Owner::Project)],
            ..Self::default()
        };
        for label in writes {
            let path = label.rsplit(' ').next().unwrap_or_default();
            let Some((resource, verb)) = path
                .split_once("/v1/")
                .and_then(|(_, r)| r.rsplit_once(':'))
            else {
                continue;
            };
            let owner = if let Some((_, email)) = resource.split_once("/serviceAccounts/") {
                add(&mut w.service_accounts, email);
                Owner::ServiceAccount(email.to_owned())
            } else if resource.contains("/cryptoKeys/") {
                add(&mut w.keys, resource);
                Owner::Key(resource.to_owned())
            } else {
                continue;
            };
            if verb == "setIamPolicy" && !w.policies.iter().any(|(r, _)| r == resource) {
                w.policies.push((resource.to_owned(), owner));
            }
        }
        w
    }

    /// The union of two watches.
    pub fn and(mut self, other: &Watch) -> Self {
        for (r, o) in &other.policies {
            if !self.policies.iter().any(|(x, _)| x == r) {
                self.policies.push((r.clone(), o.clone()));
            }
        }
        for e in &other.service_accounts {
            add(&mut self.service_accounts, e);
        }
        for k in &other.keys {
            add(&mut self.keys, k);
        }
        self
    }
}

fn add(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// A policy without its etag, members sorted, bindings sorted, empty bindings dropped.
pub fn normalize_policy(mut p: Value) -> Value {
    let mut bindings: Vec<Value> = p["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|mut b| {
            let mut members: Vec<String> = b["members"]
                .as_array()?
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect();
            members.sort();
            members.dedup();
            if members.is_empty() {
                return None;
            }
            b["members"] = json!(members);
            Some(b)
        })
        .collect();
    bindings.sort_by_key(|b| b.to_string());
    if let Some(o) = p.as_object_mut() {
        o.remove("etag");
        o.remove("bindings");
        if !bindings.is_empty() {
            o.insert("bindings".into(), json!(bindings));
        }
    }
    p
}

/// Adds `member` to `role` in a normalised policy (as `World::add_binding` does).
pub fn with_binding(policy: &Value, (role, member): (&str, &str)) -> Value {
    let mut p = policy.clone();
    let mut bindings = p["bindings"].as_array().cloned().unwrap_or_default();
    match bindings
        .iter_mut()
        .find(|b| b["role"] == role && b.get("condition").is_none())
    {
        Some(b) => b["members"].as_array_mut().unwrap().push(json!(member)),
        None => bindings.push(json!({ "role": role, "members": [member] })),
    }
    p["bindings"] = json!(bindings);
    normalize_policy(p)
}

/// `expected` with `binding` added to the policies of `resources`.
pub fn plus(
    expected: &BTreeMap<String, Value>,
    resources: &[String],
    binding: (&str, &str),
) -> BTreeMap<String, Value> {
    let mut out = expected.clone();
    for r in resources {
        let key = format!("policy {r}");
        let p = out.get(&key).cloned().unwrap_or(Value::Null);
        let base = if p.is_null() { json!({}) } else { p };
        out.insert(key, with_binding(&base, binding));
    }
    out
}

/// CockroachDB's CMEK info without times and messages: status, and per region its status and
/// the keys with theirs.
pub fn normalize_cmek(info: Value) -> Value {
    let regions: Vec<Value> = info["region_infos"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let keys: Vec<Value> = r["key_infos"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|k| json!([k["spec"]["uri"], k["status"]]))
                .collect();
            json!({ "region": r["region"], "status": r["status"], "keys": keys })
        })
        .collect();
    json!({ "status": info["status"], "regions": regions })
}

/// Asserts `got == want`, naming only the entries that differ.
pub fn assert_state(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>, what: &str) {
    let diff: Vec<String> = want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| got.get(*k) != want.get(*k))
        .map(|k| {
            format!(
                "  {k}:\n    want {}\n    got  {}",
                want.get(k).unwrap_or(&Value::Null),
                got.get(k).unwrap_or(&Value::Null)
            )
        })
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: the state differs\n{}",
        diff.join("\n")
    );
}
