//! The one AWS endpoint (`{base}/aws`): tells KMS (JSON 1.1, `X-Amz-Target`) from IAM and STS
//! (Query, credential scope service) apart, authenticates the access key, runs test hooks and
//! injected faults (matched on the action name), calls the handler, renders the protocol's
//! body and builds the request-log entry (`aws-kms` / `aws-iam` / `aws-sts`).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Response};
use serde_json::{json, Value};

use super::wire::{self, AwsError};
use super::{iam, iam_policies, kms, Caller};
use crate::state::{RecordedRequest, State};

/// IAM's XML namespace.
pub(crate) const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// STS's XML namespace.
pub(crate) const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Svc {
    Kms,
    Iam,
    Sts,
}

impl Svc {
    fn log_name(self) -> &'static str {
        match self {
            Svc::Kms => "aws-kms",
            Svc::Iam => "aws-iam",
            Svc::Sts => "aws-sts",
        }
    }
}

/// Who is calling and where (the region of the credential scope).
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub caller: Caller,
    pub region: String,
}

/// Reads and mutations: every action that is not Get/List/Describe changes state.
fn is_write(op: &str) -> bool {
    !["Get", "List", "Describe"]
        .iter()
        .any(|p| op.starts_with(p))
}

/// The reply of a handler before rendering.
enum Out {
    Json(Value),
    Xml(Option<String>),
}

/// Handles one request to `{base}/aws`; returns the HTTP response and its log entry.
pub(crate) fn dispatch(
    state: &mut State,
    method: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response<Body>, RecordedRequest) {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let scope = header("authorization").and_then(wire::parse_authorization);
    let target = header("x-amz-target").and_then(|t| t.strip_prefix("TrentService."));
    let form = if target.is_none() {
        wire::parse_form(body)
    } else {
        BTreeMap::new()
    };
    let (svc, op) = match target {
        Some(op) => (Svc::Kms, op.to_string()),
        None => {
            let action = form.get("Action").cloned().unwrap_or_default();
            let svc = match scope.as_ref().map(|s| s.service.as_str()) {
                Some("sts") => Svc::Sts,
                Some("iam") => Svc::Iam,
                _ if action == "GetCallerIdentity" => Svc::Sts,
                _ => Svc::Iam,
            };
            (svc, action)
        }
    };
    let logged_body = match svc {
        Svc::Kms => serde_json::from_slice(body).unwrap_or(Value::Null),
        _ => json!(form),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = if method != "POST" {
        Err(AwsError::new(
            405,
            "MethodNotAllowed",
            "The sandbox's AWS endpoint only accepts POST.",
        ))
    } else {
        run(state, svc, &op, scope, body, &form)
    };
    let (status, ctype, text) = render(svc, &op, result, &request_id);
    let write = is_write(&op);
    let rec = RecordedRequest {
        method: method.to_string(),
        path: "/".into(),
        query: String::new(),
        service: svc.log_name().into(),
        operation: if op.is_empty() { "unknown".into() } else { op },
        is_write: write,
        status,
        body: logged_body,
    };
    let resp = Response::builder()
        .status(status)
        .header("content-type", ctype)
        .header("x-amzn-requestid", request_id)
        .body(Body::from(text))
        .unwrap_or_else(|_| Response::new(Body::empty()));
    (resp, rec)
}

fn auth_error(svc: Svc, missing: bool) -> AwsError {
    match (svc, missing) {
        (Svc::Kms, true) => AwsError::new(
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        (Svc::Kms, false) => AwsError::new(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (_, true) => AwsError::new(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        (_, false) => AwsError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
    }
}

fn run(
    state: &mut State,
    svc: Svc,
    op: &str,
    scope: Option<wire::Scope>,
    body: &[u8],
    form: &BTreeMap<String, String>,
) -> Result<Out, AwsError> {
    let Some(scope) = scope else {
        return Err(auth_error(svc, true));
    };
    let Some(caller) = state.aws.access_keys.get(&scope.access_key).cloned() else {
        return Err(auth_error(svc, false));
    };
    let ctx = Ctx {
        caller,
        region: scope.region,
    };
    crate::router::run_hooks(state, op);
    if let Some(f) = crate::router::take_fault(state, op) {
        let message = f.body["message"].as_str().unwrap_or("injected fault");
        let code = f.body["__type"]
            .as_str()
            .or(f.body["code"].as_str())
            .unwrap_or("InternalFailure");
        return Err(AwsError::new(f.status, code, message));
    }
    match svc {
        Svc::Kms => {
            let input: Value = if body.is_empty() {
                json!({})
            } else {
                serde_json::from_slice(body).map_err(|_| {
                    AwsError::new(400, "SerializationException", "Malformed JSON body")
                })?
            };
            kms::handle(state, &ctx, op, &input).map(Out::Json)
        }
        Svc::Sts => match op {
            "GetCallerIdentity" => Ok(Out::Xml(Some(format!(
                "{}{}{}",
                wire::el("Arn", &ctx.caller.arn),
                wire::el("UserId", &ctx.caller.user_id),
                wire::el("Account", &ctx.caller.account)
            )))),
            _ => Err(invalid_action(op, "2011-06-15")),
        },
        Svc::Iam => match iam::handle(state, &ctx, op, form) {
            Err(e) if e.code == "InvalidAction" => {
                iam_policies::handle(state, &ctx, op, form).map(Out::Xml)
            }
            other => other.map(Out::Xml),
        },
    }
}

/// `InvalidAction` for an action the service does not know.
pub(crate) fn invalid_action(op: &str, version: &str) -> AwsError {
    AwsError::new(
        400,
        "InvalidAction",
        format!("Could not find operation {op} for version {version}"),
    )
}

fn render(
    svc: Svc,
    op: &str,
    result: Result<Out, AwsError>,
    request_id: &str,
) -> (u16, &'static str, String) {
    let ns = if svc == Svc::Sts { STS_NS } else { IAM_NS };
    match (svc, result) {
        (Svc::Kms, Ok(Out::Json(v))) => (
            200,
            "application/x-amz-json-1.1",
            if v.is_null() {
                String::new()
            } else {
                v.to_string()
            },
        ),
        (Svc::Kms, Err(e)) => (
            e.status,
            "application/x-amz-json-1.1",
            e.json_body().to_string(),
        ),
        (_, Ok(Out::Xml(r))) => (
            200,
            "text/xml",
            wire::query_body(op, ns, r.as_deref(), request_id),
        ),
        (_, Err(e)) => (e.status, "text/xml", e.xml_body(ns, request_id)),
        (_, Ok(Out::Json(_))) => (500, "text/xml", String::new()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_are_everything_but_reads() {
        assert!(super::is_write("PutKeyPolicy"));
        assert!(super::is_write("ScheduleKeyDeletion"));
        assert!(!super::is_write("GetKeyRotationStatus"));
        assert!(!super::is_write("ListRoles"));
        assert!(!super::is_write("DescribeKey"));
    }
}
