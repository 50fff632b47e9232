//! The single entry point for every HTTP request: hands `{base}/aws` to [`crate::aws`] (through
//! the fault plan), splits the service prefix of the others, routes to a discovery method id /
//! CockroachDB operationId, asks the fault plan ([`crate::faults`]), runs the request pipeline
//! ([`crate::fault_router::run`]: authentication, spec validation, hooks, faults, handler,
//! response validation), records the exchange and answers, stalls or drops the connection.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::errors::{CError, GError, Resp};
use crate::faults::FaultKind;
pub use crate::spec_check::{
    validate_request_against_spec, validate_response_against_spec, FieldViolation,
};
use crate::state::{RecordedRequest, State};
use crate::{
    alert_policies, cockroach, kms, log_metrics, resource_manager, service_accounts, service_usage,
};

/// Which fake service a request targets (by path prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Kms,
    Iam,
    ServiceUsage,
    Crm,
    Cockroach,
    /// Cloud Logging v2 (log-based metrics; no discovery document in `specs/`).
    Logging,
    /// Cloud Monitoring v3 (alert policies; no discovery document in `specs/`).
    Monitoring,
    /// Cloud Asset Inventory v1 (`crate::asset_inventory`).
    CloudAsset,
    /// KMS Inventory v1 (`crate::kms_inventory`).
    KmsInventory,
}

impl Service {
    /// Path prefix (and the `service` field of [`RecordedRequest`]).
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Kms => "kms",
            Service::Iam => "iam",
            Service::ServiceUsage => "serviceusage",
            Service::Crm => "crm",
            Service::Cockroach => "cockroach",
            Service::Logging => "logging",
            Service::Monitoring => "monitoring",
            Service::CloudAsset => "cloudasset",
            Service::KmsInventory => "kmsinventory",
        }
    }
    fn from_prefix(p: &str) -> Option<Self> {
        [
            Service::Kms,
            Service::Iam,
            Service::ServiceUsage,
            Service::Crm,
            Service::Cockroach,
            Service::Logging,
            Service::Monitoring,
            Service::CloudAsset,
            Service::KmsInventory,
        ]
        .into_iter()
        .find(|s| s.prefix() == p)
    }
    /// Whether `specs/` holds a contract for the service (every faked service has one: the
    /// Google discovery documents, including Logging v2 and Monitoring v3, and CockroachDB's
    /// OpenAPI document).
    pub fn has_spec(self) -> bool {
        true
    }
    /// v1-era Google APIs add the legacy `errors` array to error bodies; Resource Manager does
    /// not (recording resourcemanager-project-iam #0).
    pub(crate) fn legacy_errors(self) -> bool {
        matches!(self, Service::Iam | Service::ServiceUsage)
    }
}

/// A parsed request as the service handlers see it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Percent-decoded path segments after the service prefix, verb removed.
    pub segs: Vec<String>,
    /// Custom verb after `:` in the last segment (e.g. `getIamPolicy`).
    pub verb: Option<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Value,
    /// Authenticated principal (`user:...`) or CockroachDB API key.
    pub member: String,
}

impl Req {
    /// First query value of `k`.
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    /// `segs[from..to]` joined with `/`.
    pub fn name(&self, from: usize, to: usize) -> String {
        self.segs[from..to.min(self.segs.len())].join("/")
    }
}

/// What the route table says about a request.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub operation: String,
    pub is_write: bool,
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

pub(crate) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn route(service: Service, method: &str, segs: &[String], verb: Option<&str>) -> Option<RouteInfo> {
    let (op, w) = match service {
        Service::Kms => kms::route(method, segs, verb)?,
        Service::Iam => service_accounts::route(method, segs, verb)?,
        Service::ServiceUsage => service_usage::route(method, segs, verb)?,
        Service::Crm => resource_manager::route(method, segs, verb)?,
        Service::Cockroach => cockroach::route(method, segs)?,
        Service::Logging => log_metrics::route(method, segs, verb)?,
        Service::Monitoring => alert_policies::route(method, segs, verb)?,
        Service::CloudAsset => crate::asset_inventory::route(method, segs, verb)?,
        Service::KmsInventory => crate::kms_inventory::route(method, segs, verb)?,
    };
    Some(RouteInfo {
        operation: op.to_string(),
        is_write: w,
    })
}

/// Handles one HTTP request end to end.
pub(crate) async fn dispatch(shared: Arc<Mutex<State>>, req: Request<Body>) -> Response<Body> {
    let method = req.method().as_str().to_uppercase();
    if req.uri().path() == crate::spec_guard::FINDINGS_PATH {
        let peer = crate::spec_guard::peer(&req);
        return crate::spec_guard::endpoint(&shared, &method, peer);
    }
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let bytes = to_bytes(req.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let latency = shared.lock().map(|s| s.config.latency).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let raw_path = uri.path().trim_start_matches('/');
    let (prefix, rest) = raw_path.split_once('/').unwrap_or((raw_path, ""));
    let query_str = uri.query().unwrap_or("").to_string();
    if prefix == "aws" && rest.is_empty() {
        return crate::fault_router::aws(&shared, &method, &headers, &bytes).await;
    }
    let service = Service::from_prefix(prefix);
    let mut raw_segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let mut verb = None;
    if let Some(last) = raw_segs.pop() {
        match last.split_once(':') {
            Some((a, v)) => {
                raw_segs.push(a);
                verb = Some(decode(v));
            }
            None => raw_segs.push(last),
        }
    }
    let segs: Vec<String> = raw_segs.iter().map(|s| decode(s)).collect();
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let body_is_bad_json = !bytes.is_empty() && serde_json::from_slice::<Value>(&bytes).is_err();

    let info = service.and_then(|s| route(s, &method, &segs, verb.as_deref()));
    // The fault plan decides first (short lock), so latency and "no answer" waits happen
    // outside the lock.
    let fault = match &info {
        Some(i) => lock(&shared).fault_plan.decide(&i.operation, i.is_write),
        None => None,
    };
    if let Some(FaultKind::Latency { millis }) = fault {
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    }
    // The lock is held in this block only, never across the stall's await.
    let (resp, stall, answer) = {
        let mut state = lock(&shared);
        let (resp, operation, is_write, answer) = match (service, info) {
            (Some(svc), Some(info)) => {
                let mut r = Req {
                    method: method.clone(),
                    segs,
                    verb,
                    query: parse_query(&query_str),
                    headers,
                    body: body.clone(),
                    member: String::new(),
                };
                let (resp, answer) = crate::fault_router::run(
                    &mut state,
                    svc,
                    &info,
                    &mut r,
                    body_is_bad_json,
                    &query_str,
                    fault,
                );
                if info.is_write || method != "GET" {
                    // A write may have moved a rotation or destruction time.
                    state.kms_due_unknown();
                }
                (resp, info.operation, info.is_write, answer)
            }
            (svc, _) => {
                let msg = format!("The requested URL /{raw_path} was not found on this server.");
                let resp = match svc {
                    Some(Service::Cockroach) => CError::not_found(msg).render(),
                    _ => GError::not_found(msg).render(false),
                };
                (resp, "unknown".to_string(), method != "GET", Answer::Send)
            }
        };
        let stall = take_stall(&mut state, &operation);
        state.requests.push(RecordedRequest {
            method: method.clone(),
            path: format!("/{rest}"),
            query: query_str,
            service: service.map(|s| s.prefix()).unwrap_or("unknown").to_string(),
            operation,
            is_write,
            status: resp.status,
            body,
        });
        (resp, stall, answer)
    };
    if let Some(delay) = stall {
        // Handled and recorded already: only the answer is late.
        tokio::time::sleep(delay).await;
    }
    match answer {
        Answer::Send => to_http(resp),
        Answer::Reset => drop_connection(),
        Answer::StallThenReset(d) => {
            tokio::time::sleep(d).await;
            drop_connection()
        }
    }
}

/// The state, even if a panicking test hook poisoned the lock.
fn lock(shared: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// How the router answers a handled request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The response is sent.
    Send,
    /// The connection is dropped without an answer.
    Reset,
    /// Nothing is sent for this long (longer than the client's time-out), then the
    /// connection is dropped.
    StallThenReset(std::time::Duration),
}

/// Marker payload of the unwind that drops a connection (no panic message is printed:
/// `resume_unwind` skips the panic hook).
struct ConnectionDropped;

/// Ends the connection task without an answer: the client sees a reset connection, as when
/// a proxy or the network drops it. The unwind stops in the server's per-connection task.
pub(crate) fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new(ConnectionDropped))
}

/// The delay of the first injected stall for `operation`, used up by one.
pub(crate) fn take_stall(state: &mut State, operation: &str) -> Option<std::time::Duration> {
    let idx = state
        .stalls
        .iter()
        .position(|s| s.operation == operation && s.times > 0)?;
    let s = &mut state.stalls[idx];
    s.times -= 1;
    let delay = s.delay;
    if s.times == 0 {
        state.stalls.remove(idx);
    }
    Some(delay)
}

/// Runs (once) every hook registered for `operation`.
pub(crate) fn run_hooks(state: &mut State, operation: &str) {
    let mut i = 0;
    while i < state.hooks.len() {
        if state.hooks[i].0 == operation {
            let (_, hook) = state.hooks.remove(i);
            hook(state);
            state.kms_due_unknown();
        } else {
            i += 1;
        }
    }
}

/// The first injected fault for `operation`, used up by one.
pub(crate) fn take_fault(state: &mut State, operation: &str) -> Option<crate::state::Fault> {
    let idx = state
        .faults
        .iter()
        .position(|f| f.operation == operation && f.times > 0)?;
    let f = &mut state.faults[idx];
    f.times -= 1;
    let out = f.clone();
    if f.times == 0 {
        state.faults.remove(idx);
    }
    Some(out)
}

pub(crate) fn to_http(resp: Resp) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json; charset=UTF-8");
    for (k, v) in &resp.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let text = serde_json::to_string_pretty(&resp.body).unwrap_or_else(|_| "{}".into());
    b.body(Body::from(text))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Pages `items` with `pageSize`/`pageToken` (token = offset) into `{field: [...], nextPageToken}`.
/// Empty results render as `{}` (Google omits empty lists). `total` adds `totalSize`.
pub(crate) fn paginate(
    items: Vec<Value>,
    r: &Req,
    field: &str,
    default_size: usize,
    total: bool,
) -> Value {
    let size = r
        .q("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(default_size);
    let start = r
        .q("pageToken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let n = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let mut out = json!({});
    if !page.is_empty() {
        out[field] = Value::Array(page);
    }
    if start + size < n {
        out["nextPageToken"] = json!((start + size).to_string());
    }
    if total && n > 0 {
        out["totalSize"] = json!(n);
    }
    out
}
