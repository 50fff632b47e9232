//! The request pipeline behind [`crate::router`], in the order a real front end would apply it:
//! authentication, spec validation of the request (every request, faulted or not), "another
//! writer" hooks, canned faults ([`crate::state::Fault`]) and the fault plan
//! ([`crate::faults`]), the service handler, enum encoding, spec validation of the response.
//! Also the fault plan's share of the AWS endpoint (whose protocol handling lives in
//! [`crate::aws`]).

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Response};
use serde_json::{json, Value};

use crate::aws::concurrent;
use crate::errors::{CError, GError, Resp};
use crate::faults::{FaultKind, InjectedFault};
use crate::router::{
    drop_connection, run_hooks, take_fault, validate_request_against_spec,
    validate_response_against_spec, Answer, Req, RouteInfo, Service,
};
use crate::spec_check::spec_rejection;
use crate::state::State;
use crate::{
    alert_policies, auth, cockroach, enums, kms, log_metrics, resource_manager, service_accounts,
    service_usage,
};

fn note(state: &mut State, kind: &FaultKind, op: &str, applied: bool) {
    state.injected.push(InjectedFault {
        kind: kind.name(),
        operation: op.to_owned(),
        applied,
    });
}

/// The error a fault answers with, in the service's own format.
fn fault_error(svc: Service, status: u16, retry_after: Option<u64>) -> Resp {
    let mut resp = if svc == Service::Cockroach {
        let (code, message) = match status {
            429 => (8, "rate limit exceeded: too many requests"),
            503 => (14, "service unavailable, please retry"),
            _ => (13, "internal error"),
        };
        CError {
            http: status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
        .render()
    } else {
        let (grpc, message) = match status {
            429 => ("RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per project'."),
            503 => ("UNAVAILABLE", "The service is currently unavailable."),
            _ => ("INTERNAL", "Internal error encountered."),
        };
        GError::new(status, grpc, message).render(svc.legacy_errors())
    };
    if let Some(s) = retry_after {
        resp.headers.push(("retry-after".into(), s.to_string()));
    }
    resp
}

/// The resource a request names (path after the API version), for `FreshResource` faults.
fn named_resource(r: &Req) -> String {
    r.segs.get(1..).map(|s| s.join("/")).unwrap_or_default()
}

/// A `FreshResource` answer if the request names a resource still "not visible yet".
fn fresh_miss(state: &mut State, svc: Service, r: &Req, op: &str) -> Option<Resp> {
    if state.fresh.is_empty() || op.ends_with(".create") {
        return None;
    }
    let named = named_resource(r);
    let key = state.fresh.keys().find(|k| {
        named == **k || (svc == Service::Iam && r.segs.get(4).is_some_and(|e| e == *k))
    })?;
    let key = key.clone();
    let (status, left) = state.fresh.get_mut(&key)?;
    let status = *status;
    *left -= 1;
    if *left == 0 {
        state.fresh.remove(&key);
    }
    note(
        state,
        &FaultKind::FreshResource { status, misses: 0 },
        op,
        false,
    );
    let e = if status == 404 {
        GError::not_found(format!("Resource '{key}' was not found."))
    } else {
        GError::new(
            403,
            "PERMISSION_DENIED",
            format!("Permission denied on resource '{key}' (or it may not exist)."),
        )
    };
    Some(e.render(svc.legacy_errors()))
}

/// Runs one routed Google / CockroachDB request through the pipeline. Returns the response
/// (status 0 when none is sent) and how to answer.
pub(crate) fn run(
    state: &mut State,
    svc: Service,
    info: &RouteInfo,
    r: &mut Req,
    bad_json: bool,
    raw_query: &str,
    fault: Option<FaultKind>,
) -> (Resp, Answer) {
    let op = info.operation.as_str();
    let gerr = |e: GError| e.render(svc.legacy_errors());
    let send = |resp: Resp| (resp, Answer::Send);
    // 1. authentication
    if svc == Service::Cockroach {
        if let Err(e) = auth::cockroach_auth(state, r) {
            return send(e.render());
        }
    } else {
        match auth::google_auth(state, &r.headers) {
            Ok(m) => r.member = m,
            Err(e) => return send(gerr(e)),
        }
    }
    if bad_json {
        return send(match svc {
            Service::Cockroach => CError::invalid("invalid JSON body").render(),
            _ => gerr(GError::invalid("Invalid JSON payload received.")),
        });
    }
    // 2. spec validation of the request (cmek-spec), before any fault: a bad body fails the
    // test whatever the schedule.
    let validate = state.config.validate_against_spec;
    let api_version = r.segs.first().cloned().unwrap_or_default();
    if validate {
        if let Err(v) = validate_request_against_spec(svc, &api_version, op, raw_query, &r.body) {
            if !v.is_empty() {
                let fields: Vec<String> = v
                    .iter()
                    .map(|f| format!("{} ({})", f.field, f.rule))
                    .collect();
                state
                    .spec_rejections
                    .push(format!("{op}: {}", fields.join("; ")));
                return send(spec_rejection(svc, &v));
            }
        }
    }
    // 3. hooks simulating other writers
    run_hooks(state, op);
    // 4. canned faults, then the fault plan's
    if let Some(f) = take_fault(state, op) {
        let mut resp = Resp {
            status: f.status,
            body: f.body,
            headers: Vec::new(),
        };
        if let Some(s) = f.retry_after_secs {
            resp.headers.push(("retry-after".into(), s.to_string()));
        }
        return send(resp);
    }
    if let Some(resp) = fresh_miss(state, svc, r, op) {
        return send(resp);
    }
    let mut answer = Answer::Send;
    if let Some(kind) = fault {
        match kind {
            FaultKind::Throttle { retry_after_secs } => {
                note(state, &kind, op, false);
                return send(fault_error(svc, 429, Some(retry_after_secs)));
            }
            FaultKind::ServerError { status } => {
                note(state, &kind, op, false);
                return send(fault_error(svc, status, None));
            }
            FaultKind::ResetBeforeApply => {
                note(state, &kind, op, false);
                return (no_answer(), Answer::Reset);
            }
            FaultKind::TimeoutBeforeApply => {
                note(state, &kind, op, false);
                let stall = state.fault_plan.stall;
                return (no_answer(), Answer::StallThenReset(stall));
            }
            FaultKind::ResetAfterApply => answer = Answer::Reset,
            FaultKind::TimeoutAfterApply => {
                answer = Answer::StallThenReset(state.fault_plan.stall);
            }
            FaultKind::ConcurrentWriter => state.concurrent_writer_armed = true,
            FaultKind::Latency { .. } | FaultKind::FreshResource { .. } => {}
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
    if let Some(kind) = fault {
        let applied = resp.status < 300;
        match kind {
            FaultKind::ConcurrentWriter => {
                // Armed but unused when the handler failed before reading the policy.
                state.concurrent_writer_armed = false;
                note(state, &kind, op, applied);
            }
            FaultKind::FreshResource { status, misses } if applied => {
                // A service account is named by its email in IAM paths, anything else by name.
                let key = ["email", "name"]
                    .iter()
                    .find_map(|k| resp.body.get(*k).and_then(Value::as_str));
                if let Some(k) = key {
                    state.fresh.insert(k.to_owned(), (status, misses.max(1)));
                }
                note(state, &kind, op, true);
            }
            FaultKind::Latency { .. }
            | FaultKind::ResetAfterApply
            | FaultKind::TimeoutAfterApply => note(state, &kind, op, applied),
            _ => {}
        }
    }
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
    (resp, answer)
}

/// The recorded "response" of a request that got no answer (status 0).
fn no_answer() -> Resp {
    Resp {
        status: 0,
        body: Value::Null,
        headers: Vec::new(),
    }
}

/// The AWS action of a request to `{base}/aws`: `X-Amz-Target: TrentService.PutKeyPolicy` (KMS)
/// or `Action=CreateRole` in the form body (IAM, STS).
fn aws_action(headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(t) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return t.rsplit('.').next().unwrap_or(t).to_owned();
    }
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("unknown")
        .to_owned()
}

/// `{base}/aws` under the fault plan: latency, 429/500/503 (as canned faults the AWS
/// dispatcher renders in the protocol's error format), resets and time-outs before or after
/// the request is applied, another writer of a key or trust policy
/// ([`crate::aws::concurrent`]). Time-outs are answered like resets after the plan's stall.
pub(crate) async fn aws(
    shared: &Arc<Mutex<State>>,
    method: &str,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Response<Body> {
    let action = aws_action(headers, bytes);
    let is_write = !["Get", "List", "Describe"]
        .iter()
        .any(|p| action.starts_with(p));
    let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
    let fault = lock().fault_plan.decide(&action, is_write);
    // Another writer of a key or trust policy (`crate::aws::concurrent`): armed by this
    // request, or landing right before this read.
    if let Some(named) = concurrent::policy_named(&action, bytes) {
        let mut state = lock();
        let policy = concurrent::canonical(&state, named);
        concurrent::land_before_read(&mut state, &action, &policy);
        if fault == Some(FaultKind::ConcurrentWriter) {
            concurrent::arm(&mut state, policy);
            note(&mut state, &FaultKind::ConcurrentWriter, &action, true);
        }
    }
    let mut answer = Answer::Send;
    match fault {
        Some(FaultKind::Latency { millis }) => {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
        }
        Some(kind @ (FaultKind::ResetBeforeApply | FaultKind::TimeoutBeforeApply)) => {
            let stall = {
                let mut state = lock();
                note(&mut state, &kind, &action, false);
                let service = if headers.contains_key("x-amz-target") {
                    "aws-kms"
                } else if action == "GetCallerIdentity" {
                    "aws-sts"
                } else {
                    "aws-iam"
                };
                state.requests.push(crate::state::RecordedRequest {
                    method: method.to_owned(),
                    path: "/".into(),
                    query: String::new(),
                    service: service.into(),
                    operation: action.clone(),
                    is_write,
                    status: 0,
                    body: Value::Null,
                });
                state.fault_plan.stall
            };
            if kind == FaultKind::TimeoutBeforeApply {
                tokio::time::sleep(stall).await;
            }
            drop_connection();
        }
        Some(FaultKind::ResetAfterApply) => answer = Answer::Reset,
        Some(FaultKind::TimeoutAfterApply) => {
            answer = Answer::StallThenReset(lock().fault_plan.stall);
        }
        _ => {}
    }
    let (resp, stall) = {
        let mut state = lock();
        if let Some(kind @ (FaultKind::Throttle { .. } | FaultKind::ServerError { .. })) = fault {
            let (status, code) = match kind {
                FaultKind::Throttle { .. } => (400, "ThrottlingException"),
                FaultKind::ServerError { status: 503 } => (503, "ServiceUnavailable"),
                _ => (500, "InternalFailure"),
            };
            note(&mut state, &kind, &action, false);
            state.faults.insert(
                0,
                crate::state::Fault {
                    operation: action.clone(),
                    status,
                    body: json!({"__type": code, "message": "Rate exceeded or service failure (injected)"}),
                    times: 1,
                    retry_after_secs: None,
                },
            );
        }
        let (resp, rec) = crate::aws::dispatch(&mut state, method, headers, bytes);
        if let Some(kind) = fault.filter(|k| {
            matches!(
                k,
                FaultKind::Latency { .. }
                    | FaultKind::ResetAfterApply
                    | FaultKind::TimeoutAfterApply
            )
        }) {
            note(&mut state, &kind, &rec.operation, rec.status < 300);
        }
        let stall = crate::router::take_stall(&mut state, &rec.operation);
        state.requests.push(rec);
        (resp, stall)
    };
    if let Some(delay) = stall {
        tokio::time::sleep(delay).await;
    }
    match answer {
        Answer::Send => resp,
        Answer::Reset => drop_connection(),
        Answer::StallThenReset(d) => {
            tokio::time::sleep(d).await;
            drop_connection()
        }
    }
}
