//! Authentication (Bearer tokens -> principals, CockroachDB API keys) and the authorization
//! helpers shared by the Google handlers: API-enabled checks and IAM permission checks.

use axum::http::HeaderMap;

use crate::config::COCKROACH_API_VERSION;
use crate::errors::{CError, GError};
use crate::iam_policy::granted;
use crate::router::Req;
use crate::state::State;

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Maps the Bearer token to its IAM member, or 401 UNAUTHENTICATED.
pub(crate) fn google_auth(state: &State, headers: &HeaderMap) -> Result<String, GError> {
    bearer(headers)
        .and_then(|t| state.config.google_tokens.get(&t).cloned())
        .ok_or_else(GError::unauthenticated)
}

/// Checks the CockroachDB API key and the `Cc-Version` header.
pub(crate) fn cockroach_auth(state: &State, r: &mut Req) -> Result<(), CError> {
    let key = bearer(&r.headers).filter(|k| state.config.cockroach_api_keys.contains(k));
    let Some(key) = key else {
        return Err(CError::unauthenticated());
    };
    if let Some(v) = r.headers.get("cc-version") {
        if v.to_str().ok() != Some(COCKROACH_API_VERSION) {
            return Err(CError::invalid(format!(
                "invalid Cc-Version {:?}; supported versions: {COCKROACH_API_VERSION}",
                v.to_str().unwrap_or("")
            )));
        }
    }
    r.member = key;
    Ok(())
}

/// Human title of a Google API as used in SERVICE_DISABLED messages.
pub(crate) fn service_title(service: &str) -> &'static str {
    match service {
        "cloudkms.googleapis.com" => "Cloud Key Management Service (KMS) API",
        "iam.googleapis.com" => "Identity and Access Management (IAM) API",
        "cloudresourcemanager.googleapis.com" => "Cloud Resource Manager API",
        "serviceusage.googleapis.com" => "Service Usage API",
        "iamcredentials.googleapis.com" => "IAM Service Account Credentials API",
        _ => "Google API",
    }
}

/// 403 SERVICE_DISABLED when `service` is off in an existing `project`; unknown projects pass
/// (the permission check answers for them).
pub(crate) fn require_service(state: &State, project: &str, service: &str) -> Result<(), GError> {
    match state.project(project) {
        Some(p) if !p.services.get(service).copied().unwrap_or(false) => Err(
            GError::service_disabled(service, service_title(service), &p.number),
        ),
        _ => Ok(()),
    }
}

/// 403 PERMISSION_DENIED unless `member` holds `permission` on `chain` (resource then parents).
pub(crate) fn authorize(
    state: &State,
    member: &str,
    chain: &[String],
    permission: &str,
    resource: &str,
    domain: &str,
) -> Result<(), GError> {
    if granted(state, member, chain, permission) {
        Ok(())
    } else {
        Err(GError::permission_denied(domain, permission, resource))
    }
}

/// Canonical project policy key (`projects/{id}`) for an id or number; falls back to the input.
pub(crate) fn project_key(state: &State, id_or_number: &str) -> String {
    format!(
        "projects/{}",
        state
            .project(id_or_number)
            .map(|p| p.id.as_str())
            .unwrap_or(id_or_number)
    )
}

/// Checks the routing header (`x-goog-request-params`, field report B17): its `name=`/`parent=`
/// value must be the path's resource or one of its ancestors.
pub(crate) fn check_routing_header(r: &Req, path_resource: &str) -> Result<(), GError> {
    let Some(h) = r
        .headers
        .get("x-goog-request-params")
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    for part in h.split('&') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        if k != "name" && k != "parent" && k != "resource" {
            continue;
        }
        let v = crate::router::decode(v);
        if path_resource != v && !path_resource.starts_with(&format!("{v}/")) {
            let loc = v.split('/').nth(3).unwrap_or("global");
            return Err(GError::invalid(format!(
                "Request routing header {k}={v} does not match the resource {path_resource} in the request; the request was routed to location {loc}."
            )));
        }
    }
    Ok(())
}
