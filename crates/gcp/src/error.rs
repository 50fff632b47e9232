//! The one mapping from Google's error bodies to [`cmek_core::Error`].
//!
//! Input: HTTP status, the body (`{"error":{"code","message","status","details"}}`,
//! gcp-apis.md §3) and the `Retry-After` header. Output: a closed [`ErrorCode`], a message safe
//! to show (Google's own message, which names resources but holds no credentials), and the
//! permission or resource when Google says which.

use cmek_core::{Error, ErrorCode};
use serde_json::Value;
use std::time::Duration;

/// Maps a non-2xx Google response to a domain error. See the table in the tests.
pub fn map_google_error(http_status: u16, body: &str, retry_after: Option<Duration>) -> Error {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = &v["error"];
    let status = err["status"].as_str().unwrap_or_default();
    let message = err["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {http_status} with an unreadable error body"));
    let details = err["details"].as_array().cloned().unwrap_or_default();
    let reason = details
        .iter()
        .find_map(|d| d["reason"].as_str())
        .unwrap_or_default();
    let permission = details
        .iter()
        .find_map(|d| d["metadata"]["permission"].as_str().map(str::to_owned))
        .or_else(|| quoted_after(&message, "Permission '"));
    let org_policy = details.iter().any(|d| {
        d["violations"].as_array().is_some_and(|vs| {
            vs.iter().any(|x| {
                x["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("constraints/"))
            })
        })
    }) || message.contains("do not belong to a permitted customer");

    let code = match (http_status, status) {
        (400, "FAILED_PRECONDITION") if org_policy => ErrorCode::OrgPolicyViolation,
        (400, "FAILED_PRECONDITION") => ErrorCode::FailedPrecondition,
        (400, _) if message.contains("does not exist") && message.contains("ccount") => {
            ErrorCode::MemberNotFound
        }
        (400, _) => ErrorCode::InvalidArgument,
        (401, _) => ErrorCode::Unauthenticated,
        (403, _)
            if reason == "SERVICE_DISABLED" || message.contains("has not been used in project") =>
        {
            ErrorCode::ServiceDisabled
        }
        (403, _) => ErrorCode::PermissionDenied,
        (404, _) => ErrorCode::NotFound,
        (409, "ABORTED") => ErrorCode::Conflict,
        (409, _) => ErrorCode::AlreadyExists,
        (429, _) => ErrorCode::RateLimited,
        (500 | 502 | 503 | 504, _) => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    let mut e = Error::new(code, message)
        .with_status(http_status)
        .with_retry_after(retry_after);
    if let Some(p) = permission.filter(|_| code == ErrorCode::PermissionDenied) {
        e = e.with_permission(p);
    }
    if code == ErrorCode::ServiceDisabled {
        if let Some(s) = details
            .iter()
            .find_map(|d| d["metadata"]["service"].as_str())
        {
            e = e.with_resource(s);
        }
    }
    e
}

/// The text between `prefix` and the next `'`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let len = message[start..].find('\'')?;
    Some(message[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(status: u16, body: Value) -> Error {
        map_google_error(status, &body.to_string(), None)
    }

    fn g(code: u16, status: &str, message: &str, details: Value) -> Value {
        json!({"error": {"code": code, "status": status, "message": message, "details": details}})
    }

    /// One row per case of gcp-apis.md §3, with Google's real messages.
    #[test]
    fn every_row_of_the_error_table_maps_to_its_code() {
        let rows: Vec<(u16, Value, ErrorCode)> = vec![
            (409, g(409, "ALREADY_EXISTS", "KeyRing projects/p/locations/global/keyRings/r already exists.", json!([])), ErrorCode::AlreadyExists),
            (404, g(404, "NOT_FOUND", "CryptoKey projects/p/locations/l/keyRings/r/cryptoKeys/k not found.", json!([])), ErrorCode::NotFound),
            (403, g(403, "PERMISSION_DENIED", "Permission 'cloudkms.cryptoKeys.get' denied on resource 'projects/p/locations/l/keyRings/r/cryptoKeys/k' (or it may not exist).", json!([])), ErrorCode::PermissionDenied),
            (403, g(403, "PERMISSION_DENIED", "Cloud Key Management Service (KMS) API has not been used in project 123 before or it is disabled.", json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "metadata": {"service": "cloudkms.googleapis.com"}}])), ErrorCode::ServiceDisabled),
            (409, g(409, "ABORTED", "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.", json!([])), ErrorCode::Conflict),
            (429, g(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests'", json!([])), ErrorCode::RateLimited),
            (400, g(400, "FAILED_PRECONDITION", "The request cannot be fulfilled. Resource projects/p/.../cryptoKeyVersions/1 has value DESTROYED in field crypto_key_version.state.", json!([])), ErrorCode::FailedPrecondition),
            (400, g(400, "FAILED_PRECONDITION", "One or more users named in the policy do not belong to a permitted customer.", json!([{"@type": "type.googleapis.com/google.rpc.PreconditionFailure", "violations": [{"type": "constraints/iam.allowedPolicyMemberDomains"}]}])), ErrorCode::OrgPolicyViolation),
            (409, g(409, "ALREADY_EXISTS", "Service account crdb-cmek already exists within project projects/p.", json!([])), ErrorCode::AlreadyExists),
            (404, g(404, "NOT_FOUND", "Unknown service account", json!([])), ErrorCode::NotFound),
            (403, g(403, "PERMISSION_DENIED", "The caller does not have permission", json!([])), ErrorCode::PermissionDenied),
            (400, g(400, "INVALID_ARGUMENT", "Invalid value at 'crypto_key.rotation_period'", json!([])), ErrorCode::InvalidArgument),
            (400, g(400, "INVALID_ARGUMENT", "Service account crl-kms-user-aaa@crl.iam.gserviceaccount.com does not exist.", json!([])), ErrorCode::MemberNotFound),
            (401, g(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", json!([])), ErrorCode::Unauthenticated),
            (503, g(503, "UNAVAILABLE", "The service is currently unavailable.", json!([])), ErrorCode::Unavailable),
            (500, json!("not json"), ErrorCode::Unavailable),
            (418, json!({}), ErrorCode::Internal),
        ];
        for (status, body, want) in rows {
            let got = map(status, body.clone());
            assert_eq!(got.code, want, "{status} {body}");
            assert_eq!(got.http_status, Some(status));
        }
    }

    #[test]
    fn permission_and_service_are_extracted() {
        let e = map(403, g(403, "PERMISSION_DENIED", "Permission 'cloudkms.cryptoKeys.setIamPolicy' denied on resource 'k' (or it may not exist).", json!([])));
        assert_eq!(
            e.permission.as_deref(),
            Some("cloudkms.cryptoKeys.setIamPolicy")
        );
        let e = map(
            403,
            g(
                403,
                "PERMISSION_DENIED",
                "x",
                json!([{"reason": "IAM_PERMISSION_DENIED", "metadata": {"permission": "iam.serviceAccounts.create"}}]),
            ),
        );
        assert_eq!(e.permission.as_deref(), Some("iam.serviceAccounts.create"));
        let e = map(
            403,
            g(
                403,
                "PERMISSION_DENIED",
                "API disabled",
                json!([{"reason": "SERVICE_DISABLED", "metadata": {"service": "iam.googleapis.com"}}]),
            ),
        );
        assert_eq!(e.resource.as_deref(), Some("iam.googleapis.com"));
    }

    #[test]
    fn retry_after_is_kept() {
        let e = map_google_error(429, "{}", Some(Duration::from_secs(7)));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    }
}
