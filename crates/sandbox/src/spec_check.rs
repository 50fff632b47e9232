//! The `cmek-spec` hook: every request body and every response the router handles is checked
//! against the embedded API contracts (Google discovery documents, CockroachDB OpenAPI).
//! Invalid requests are rejected with 400 naming the field as the real service would;
//! invalid sandbox responses are turned into 500s by the router and recorded.

use serde_json::{json, Value};

use crate::errors::{CError, GError, Resp};
use crate::router::Service;

fn google_service(svc: Service, api_version: &str) -> Option<cmek_spec::GoogleService> {
    use cmek_spec::GoogleService as G;
    Some(match svc {
        Service::Kms => G::CloudKms,
        Service::Iam => G::Iam,
        Service::ServiceUsage => G::ServiceUsage,
        Service::Crm if api_version == "v3" => G::CloudResourceManagerV3,
        Service::Crm => G::CloudResourceManagerV1,
        Service::CloudAsset => G::CloudAsset,
        Service::KmsInventory => G::KmsInventory,
        Service::Logging => G::Logging,
        Service::Monitoring => G::Monitoring,
        Service::Cockroach => return None,
    })
}

fn messages(v: Vec<cmek_spec::Violation>) -> Vec<String> {
    v.into_iter().map(|v| v.to_string()).collect()
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A request-body field that violates the spec, named the way Google names it
/// (`crypto_key.rotation_period`; JSON pointer for CockroachDB).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
    /// JSON Schema keyword that failed (`type`, `additionalProperties`, `enum`, ...).
    pub rule: String,
}

/// Spec validation of a request body (the `cmek-spec` hook). Bodiless requests pass.
/// `query` selects the enum encoding (`$alt=json;enum-encoding=int`).
pub fn validate_request_against_spec(
    svc: Service,
    api_version: &str,
    operation: &str,
    query: &str,
    body: &Value,
) -> Result<(), Vec<FieldViolation>> {
    if body.is_null() || !svc.has_spec() {
        return Ok(());
    }
    let spec = cmek_spec::Spec::load();
    let (result, prefix) = match google_service(svc, api_version) {
        Some(g) => {
            // Google names fields of a resource body after the request message field
            // (`crypto_key.rotation_period`); `*Request` bodies are the message itself.
            let prefix = spec
                .google_method(g, operation)
                .and_then(|m| m.request_schema.clone())
                .filter(|n| !n.ends_with("Request"))
                .map(|n| snake(&n));
            (
                spec.validate_google_request_with(
                    (g, operation),
                    body,
                    cmek_spec::EnumEncoding::from_query(query),
                ),
                prefix,
            )
        }
        None => (spec.validate_cockroach_request(operation, body), None),
    };
    result.map_err(|vs| {
        vs.into_iter()
            .map(|v| {
                let parts: Vec<String> = v
                    .pointer
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        if svc == Service::Cockroach {
                            p.to_string()
                        } else {
                            snake(p)
                        }
                    })
                    .collect();
                let field = prefix
                    .iter()
                    .cloned()
                    .chain(parts)
                    .collect::<Vec<_>>()
                    .join(".");
                FieldViolation {
                    field,
                    description: v.message,
                    rule: v.rule,
                }
            })
            .collect()
    })
}

pub(crate) fn spec_rejection(svc: Service, vs: &[FieldViolation]) -> Resp {
    let first = &vs[0];
    // The spec guard's record mode (the app's sandbox for real users) only logs it.
    tracing::warn!(
        service = svc.prefix(),
        field = %first.field,
        rule = %first.rule,
        "a request to the sandbox broke the API spec (listed at {})",
        crate::spec_guard::FINDINGS_PATH
    );
    if svc == Service::Cockroach {
        return CError::invalid(format!(
            "invalid request body: {}: {}",
            first.field, first.description
        ))
        .render();
    }
    let message = if first.rule == "additionalProperties" {
        let (parent, name) = first.field.rsplit_once('.').unwrap_or(("", &first.field));
        format!("Invalid JSON payload received. Unknown name \"{name}\" at '{parent}': Cannot find field.")
    } else {
        format!("Invalid value at '{}': {}", first.field, first.description)
    };
    let violations: Vec<Value> = vs
        .iter()
        .map(|v| json!({"field": v.field, "description": v.description}))
        .collect();
    GError::invalid(message)
        .with_detail(json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}))
        .render(svc.legacy_errors())
}

/// Spec validation of a response (the `cmek-spec` hook): 2xx bodies against the method's
/// response schema, errors against the error schema.
pub fn validate_response_against_spec(
    svc: Service,
    api_version: &str,
    operation: &str,
    query: &str,
    status: u16,
    body: &Value,
) -> Result<(), Vec<String>> {
    if !svc.has_spec() {
        return Ok(());
    }
    let spec = cmek_spec::Spec::load();
    match google_service(svc, api_version) {
        Some(g) => spec
            .validate_google_response_with(
                (g, operation),
                status,
                body,
                cmek_spec::EnumEncoding::from_query(query),
            )
            .map_err(messages),
        None => spec
            .validate_cockroach_response(operation, status, body)
            .map_err(messages),
    }
}
