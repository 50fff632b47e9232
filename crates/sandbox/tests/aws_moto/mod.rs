//! Harness of the differential test against moto: moto from `cmek_sandbox::moto` (a free
//! loopback port, stopped on drop), records every raw exchange the AWS SDK makes (an
//! interceptor), turns JSON and XML bodies into comparable values with generated ids, ARNs'
//! ids and dates normalised, and lists the differences between two values.
#![allow(dead_code)]

pub mod xml;

use std::sync::{Arc, Mutex};

use aws_sdk_kms::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use regex_lite::Regex;
use serde_json::{Map, Value};

/// moto itself: started by the sandbox crate's test harness (missing moto fails with the
/// install hint unless `CMEK_DESK_ALLOW_MISSING=1`).
pub use cmek_sandbox::moto::{start as start_moto, MOTO_VERSION};

/// One raw exchange as the SDK saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub status: u16,
    pub body: String,
}

/// Records the raw response of every call made through the clients it is attached to.
#[derive(Debug, Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Exchange>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "moto-diff-recorder"
    }
    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let r = ctx.response();
        let body = r
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.0.lock().unwrap().push(Exchange {
            status: r.status().as_u16(),
            body,
        });
        Ok(())
    }
}

impl Recorder {
    /// Takes every exchange recorded since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Fields whose value is a generated date.
const DATES: &[&str] = &[
    "CreationDate",
    "DeletionDate",
    "LastUpdatedDate",
    "NextRotationDate",
    "CreateDate",
    "UpdateDate",
];
/// Fields that differ by construction between two servers.
const DROPPED: &[&str] = &["RequestId", "ResponseMetadata"];
/// Fields whose value is a generated id of a format the servers choose differently.
const IDS: &[&str] = &["PolicyId", "RoleId"];

/// Replaces generated ids in a string: key UUIDs, `mrk-` ids, IAM unique ids.
pub fn scrub(s: &str) -> String {
    let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let mrk = Regex::new(r"mrk-[0-9a-f]{32}").unwrap();
    let uid = Regex::new(r"\b(AROA|ANPA|AIDA)[A-Z0-9]{12,}\b").unwrap();
    let s = uuid.replace_all(s, "<uuid>");
    let s = mrk
        .replace_all(&s, "mrk-<id>")
        .replace("mrk-<uuid>", "mrk-<id>");
    uid.replace_all(&s, "$1<id>").into_owned()
}

/// A body as a comparable value: JSON or XML, ids and dates normalised, policy documents
/// (JSON text, possibly percent-encoded) parsed.
pub fn normalise(body: &str) -> Value {
    let t = body.trim();
    let v = if t.is_empty() {
        Value::Object(Map::new())
    } else if t.starts_with('<') {
        xml::to_value(t)
    } else {
        match serde_json::from_str(t) {
            // An empty JSON 1.1 answer: no body and `null` read the same to the SDK.
            Ok(Value::Null) => Value::Object(Map::new()),
            Ok(v) => v,
            Err(_) => Value::String(t.to_string()),
        }
    };
    clean(v, "")
}

fn clean(v: Value, key: &str) -> Value {
    match v {
        // A member set to null and an absent member read the same to the SDK.
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, v)| !DROPPED.contains(&k.as_str()) && !v.is_null())
                .map(|(k, v)| {
                    let c = clean(v, &k);
                    (k, c)
                })
                .collect(),
        ),
        Value::Array(a) => {
            let mut items: Vec<Value> = a.into_iter().map(|x| clean(x, key)).collect();
            // Query list members: their order is not part of the contract.
            if key == "member" {
                items.sort_by_key(|v| v.to_string());
            }
            Value::Array(items)
        }
        _ if DATES.contains(&key) => Value::String("<date>".into()),
        _ if IDS.contains(&key) => Value::String("<id>".into()),
        Value::String(s) => {
            let decoded = percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned();
            match serde_json::from_str::<Value>(&decoded) {
                Ok(doc @ Value::Object(_)) => clean(doc, key),
                _ => Value::String(scrub(&s)),
            }
        }
        other => other,
    }
}

/// Differences between two values as `path: a != b` lines (objects by key, arrays by index).
pub fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff(&p, u, v, out),
                    (Some(_), None) => out.push(format!("{p}: only in sandbox")),
                    (None, Some(_)) => out.push(format!("{p}: only in moto")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), u, v, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: sandbox {a} != moto {b}")),
    }
}
