//! Replays every exchange of every recorded real Google session (`specs/gcp/recordings`, via
//! `cmek-spec`) in order against a fresh sandbox, and checks the sandbox answers with the same
//! status and the same body modulo the recordings' placeholders (timestamps, etags, unique ids,
//! operation names; see `cmek_spec::recordings::normalise`). Each sandbox response is also
//! validated against the discovery schemas.
//!
//! Placeholders map to the seeded demo organisation: `${projectId}` -> `DEMO_PROJECT_ID`,
//! `${projectNumber}` -> `DEMO_PROJECT_NUMBER`, `${uniqueId}` -> a fixed id, `${operationID}`
//! -> the id of the last operation the sandbox returned. The recordings write *every* project
//! number as `${projectNumber}`, so numbers of projects created during a replay (learnt from
//! `projectNumber` / `projects/N` of a Project in a response) are mapped to it as well. Hosts the sandbox does not fake
//! (pubsub, cloudbilling) are skipped. Every other exchange must replay exactly.

use cmek_sandbox::seed::{DEMO_PROJECT_ID, DEMO_PROJECT_NUMBER};
use cmek_sandbox::{Sandbox, SandboxConfig, DEFAULT_GOOGLE_TOKEN};
use cmek_spec::recordings::{self, normalise, substitute, substitute_str};
use cmek_spec::{EnumEncoding, Spec, RECORDINGS};
use serde_json::Value;

const UNIQUE_ID: &str = "rp7x2k";

fn prefix(host: &str) -> Option<&'static str> {
    match host {
        "cloudkms.googleapis.com" => Some("kms"),
        "iam.googleapis.com" => Some("iam"),
        "serviceusage.googleapis.com" => Some("serviceusage"),
        "cloudresourcemanager.googleapis.com" => Some("crm"),
        _ => None,
    }
}

/// Learns the numbers of projects in `v` (v1 `{projectId, projectNumber}`, v3
/// `{projectId, name: "projects/N"}`).
fn learn_project_numbers(v: &Value, numbers: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if o.contains_key("projectId") {
                let n = o.get("projectNumber").and_then(Value::as_str).or_else(|| {
                    o.get("name")
                        .and_then(Value::as_str)
                        .and_then(|n| n.strip_prefix("projects/"))
                });
                if let Some(n) =
                    n.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                {
                    if !numbers.iter().any(|x| x == n) {
                        numbers.push(n.to_owned());
                    }
                }
            }
            o.values().for_each(|x| learn_project_numbers(x, numbers));
        }
        Value::Array(a) => a.iter().for_each(|x| learn_project_numbers(x, numbers)),
        _ => {}
    }
}

/// Writes every learnt project number in `v` as [`DEMO_PROJECT_NUMBER`] (the placeholder's value).
fn alias_project_numbers(v: &mut Value, numbers: &[String]) {
    match v {
        Value::String(s) => {
            for n in numbers {
                if s == n {
                    *s = DEMO_PROJECT_NUMBER.to_owned();
                } else {
                    *s = s.replace(
                        &format!("projects/{n}"),
                        &format!("projects/{DEMO_PROJECT_NUMBER}"),
                    );
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| alias_project_numbers(x, numbers)),
        Value::Object(o) => o
            .values_mut()
            .for_each(|x| alias_project_numbers(x, numbers)),
        _ => {}
    }
}

/// First place where two JSON values differ, as `pointer: expected != actual`.
fn first_diff(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let p = format!("{path}/{k}");
                match (e.get(k), a.get(k)) {
                    (Some(x), Some(y)) => first_diff(&p, x, y),
                    (x, y) => Some(format!("{p}: expected {x:?} got {y:?}")),
                }
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (x, y))| first_diff(&format!("{path}/{i}"), x, y)),
        _ if expected == actual => None,
        _ => Some(format!("{path}: expected {expected} got {actual}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_replay() {
    let client = reqwest::Client::new();
    let spec = Spec::load();
    let (mut passed, mut failures, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for (file, text) in RECORDINGS {
        let sandbox = Sandbox::start(SandboxConfig::for_tests()).await;
        let mut operation_id = String::from("none");
        // Recorded request etags are normalised; send the etag the sandbox last returned.
        let mut last_etag: Option<String> = None;
        let mut numbers: Vec<String> = Vec::new();
        for (i, exchange) in recordings::parse(text).into_iter().enumerate() {
            let label = format!("{file}#{i} {} {}", exchange.method, exchange.path());
            let Some(prefix) = prefix(exchange.host()) else {
                skipped.push(label);
                continue;
            };
            let vars = [
                ("projectId", DEMO_PROJECT_ID),
                ("projectNumber", DEMO_PROJECT_NUMBER),
                ("uniqueId", UNIQUE_ID),
                ("operationID", operation_id.as_str()),
                ("organizationID", "998877665544"),
                ("folderID", "1234567890"),
                ("kccVersion", "1.0.0"),
            ];
            let rest = exchange
                .url
                .split_once("://")
                .and_then(|(_, r)| r.split_once('/'))
                .map_or("", |(_, p)| p);
            let url = format!(
                "{}/{prefix}/{}",
                sandbox.base_url(),
                substitute_str(rest, &vars)
            );
            let method = reqwest::Method::from_bytes(exchange.method.as_bytes()).expect("method");
            let mut request = client
                .request(method, url)
                .bearer_auth(DEFAULT_GOOGLE_TOKEN);
            if let Some(mut body) = exchange.request_body.clone() {
                substitute(&mut body, &vars);
                if let (Some(etag), Some(slot)) = (&last_etag, body.pointer_mut("/policy/etag")) {
                    *slot = Value::from(etag.as_str());
                }
                request = request.json(&body);
            }
            let response = request.send().await.expect("sandbox answers");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let mut actual: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            if let Some(etag) = actual.get("etag").and_then(Value::as_str) {
                last_etag = Some(etag.to_owned());
            }
            let new_operation = actual
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| n.strip_prefix("operations/"))
                .map(str::to_owned);
            let mut problems = Vec::new();
            if let Some(op) =
                spec.google_operation_for_host(exchange.host(), &exchange.method, exchange.path())
            {
                let encoding = EnumEncoding::from_query(exchange.query());
                if let Err(v) = spec.validate_google_response_with(&op, status, &actual, encoding) {
                    let v: Vec<String> = v.iter().map(ToString::to_string).collect();
                    problems.push(format!("spec: {}", v.join("; ")));
                }
            }
            let mut expected = exchange.response_body.clone().unwrap_or(Value::Null);
            substitute(&mut expected, &vars);
            normalise(&mut expected);
            normalise(&mut actual);
            learn_project_numbers(&actual, &mut numbers);
            alias_project_numbers(&mut actual, &numbers);
            if status != exchange.status {
                let got: String = actual.to_string().chars().take(300).collect();
                problems.push(format!(
                    "status: expected {} got {status} {got}",
                    exchange.status
                ));
            }
            if let Some(diff) = first_diff("", &expected, &actual) {
                problems.push(format!("body {diff}"));
            }
            if let Some(id) = new_operation {
                operation_id = id;
            }
            if problems.is_empty() {
                passed.push(label);
            } else {
                failures.push(format!("{label}: {}", problems.join(" | ")));
            }
        }
    }
    println!("replayed OK ({}):\n  {}", passed.len(), passed.join("\n  "));
    println!(
        "skipped, host not faked ({}):\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} exchanges do not replay:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
