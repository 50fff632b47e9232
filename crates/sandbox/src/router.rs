//! The single entry point for every HTTP request: hands `{base}/aws` to [`crate::aws`], splits
//! the service prefix of the others, routes to a discovery method id / CockroachDB operationId,
//! authenticates, runs test hooks and injected faults, calls the service handler, applies enum
//! encoding, validates against the API specs (hook for `cmek-spec`) and records the exchange.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::errors::{CError, GError, Resp};
use crate::spec_check::spec_rejection;
pub use crate::spec_check::{
    validate_request_against_spec, validate_response_against_spec, FieldViolation,
};
use crate::state::{RecordedRequest, State};
use crate::{
    alert_policies, auth, cockroach, enums, kms, log_metrics, resource_manager, service_accounts,
    service_usage,
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
    /// v1-era Google APIs add the legacy `errors` array to error bodies; Resource Manager does
    /// not (recording resourcemanager-project-iam #0).
    /// Whether `specs/` holds a contract for the service (Logging and Monitoring have none:
    /// their bodies follow the public REST reference and are not schema-validated).
    pub fn has_spec(self) -> bool {
        !matches!(self, Service::Logging | Service::Monitoring)
    }
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
        // KMS, IAM and STS share one endpoint (crate::aws); the lock is held in this block only.
        let (resp, stall) = {
            let mut state = shared.lock().unwrap_or_else(|p| p.into_inner());
            let (resp, rec) = crate::aws::dispatch(&mut state, &method, &headers, &bytes);
            let stall = take_stall(&mut state, &rec.operation);
            state.requests.push(rec);
            (resp, stall)
        };
        if let Some(delay) = stall {
            tokio::time::sleep(delay).await;
        }
        return resp;
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

    // The lock is held in this block only, never across the stall's await.
    let (resp, stall) = {
        let mut state = match shared.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let info = service.and_then(|s| route(s, &method, &segs, verb.as_deref()));
        let (resp, operation, is_write) = match (service, info) {
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
                let resp = run(&mut state, svc, &info, &mut r, body_is_bad_json, &query_str);
                (resp, info.operation, info.is_write)
            }
            (svc, _) => {
                let msg = format!("The requested URL /{raw_path} was not found on this server.");
                let resp = match svc {
                    Some(Service::Cockroach) => CError::not_found(msg).render(),
                    _ => GError::not_found(msg).render(false),
                };
                (resp, "unknown".to_string(), method != "GET")
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
        (resp, stall)
    };
    if let Some(delay) = stall {
        // Handled and recorded already: only the answer is late.
        tokio::time::sleep(delay).await;
    }
    to_http(resp)
}

/// The delay of the first injected stall for `operation`, used up by one.
fn take_stall(state: &mut State, operation: &str) -> Option<std::time::Duration> {
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

fn run(
    state: &mut State,
    svc: Service,
    info: &RouteInfo,
    r: &mut Req,
    bad_json: bool,
    raw_query: &str,
) -> Resp {
    let op = info.operation.as_str();
    let gerr = |e: GError| e.render(svc.legacy_errors());
    // 1. authentication
    if svc == Service::Cockroach {
        if let Err(e) = auth::cockroach_auth(state, r) {
            return e.render();
        }
    } else {
        match auth::google_auth(state, &r.headers) {
            Ok(m) => r.member = m,
            Err(e) => return gerr(e),
        }
    }
    // 2. hooks simulating other writers
    run_hooks(state, op);
    // 3. injected faults
    if let Some(f) = take_fault(state, op) {
        let mut resp = Resp {
            status: f.status,
            body: f.body,
            headers: Vec::new(),
        };
        if let Some(s) = f.retry_after_secs {
            resp.headers.push(("retry-after".into(), s.to_string()));
        }
        return resp;
    }
    if bad_json {
        return match svc {
            Service::Cockroach => CError::invalid("invalid JSON body").render(),
            _ => gerr(GError::invalid("Invalid JSON payload received.")),
        };
    }
    // 4. spec validation of the request (cmek-spec)
    let validate = state.config.validate_against_spec;
    let api_version = r.segs.first().cloned().unwrap_or_default();
    let checked = if validate {
        validate_request_against_spec(svc, &api_version, op, raw_query, &r.body)
    } else {
        Ok(())
    };
    if let Err(v) = checked {
        if !v.is_empty() {
            let fields: Vec<String> = v
                .iter()
                .map(|f| format!("{} ({})", f.field, f.rule))
                .collect();
            state
                .spec_rejections
                .push(format!("{op}: {}", fields.join("; ")));
            return spec_rejection(svc, &v);
        }
    }
    // 5. the handler
    let int_enums = r.q("$alt").is_some_and(|a| a.contains("enum-encoding=int"));
    if svc == Service::Kms {
        enums::to_names(&mut r.body);
    }
    let mut resp = match svc {
        Service::Kms => kms::handle(state, r, op).map(Resp::ok).unwrap_or_else(gerr),
        Service::Iam => service_accounts::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::ServiceUsage => service_usage::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::Crm => resource_manager::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::Cockroach => cockroach::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(|e| e.render()),
        Service::Logging => log_metrics::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::Monitoring => alert_policies::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::CloudAsset => crate::asset_inventory::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
        Service::KmsInventory => crate::kms_inventory::handle(state, r, op)
            .map(Resp::ok)
            .unwrap_or_else(gerr),
    };
    if int_enums && resp.status == 200 {
        enums::to_ints(&mut resp.body);
    }
    // 6. spec validation of the response (cmek-spec)
    let checked = if validate {
        validate_response_against_spec(svc, &api_version, op, raw_query, resp.status, &resp.body)
    } else {
        Ok(())
    };
    if let Err(v) = checked {
        tracing::error!(operation = op, violations = ?v, "sandbox response violates the API spec");
        state
            .spec_violations
            .push(format!("{op} {}: {}", resp.status, v.join("; ")));
        resp = Resp {
            status: 500,
            body: json!({"error": {"code": 500, "status": "INTERNAL",
            "message": format!("sandbox response violates the spec: {}", v.join("; "))}}),
            headers: Vec::new(),
        };
    }
    resp
}

fn to_http(resp: Resp) -> Response<Body> {
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
