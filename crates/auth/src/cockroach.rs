//! CockroachDB Cloud API key validation: `GET {base}api/v1/organization` with the key.
//!
//! Headers per the CockroachDB Cloud API: `Authorization: Bearer <key>` and
//! `Cc-Version: 2024-09-16` (the API version this app is written against).

use cmek_core::cockroach::Organization;
use cmek_core::{Error, ErrorCode, Result, Secret};

/// The production API base URL (with trailing slash).
pub const COCKROACH_CLOUD_URL: &str = "https://cockroachlabs.cloud/";
/// The `Cc-Version` header value.
pub const COCKROACH_API_VERSION: &str = "2024-09-16";

/// Checks `api_key` against `base_url` (e.g. [`COCKROACH_CLOUD_URL`]; a missing trailing
/// slash is added) and returns the key's organization. Errors: `InvalidInput` (empty key or
/// bad URL), `Unauthenticated` (401: wrong or revoked key), `PermissionDenied` (403),
/// `Unavailable` (network or 5xx), `Internal` (unexpected answer). Messages never contain the key.
pub async fn validate_api_key(base_url: &str, api_key: &Secret) -> Result<Organization> {
    if api_key.expose().trim().is_empty() {
        return Err(Error::invalid_input("api key", "must not be empty"));
    }
    let base = if base_url.ends_with('/') {
        base_url.to_owned()
    } else {
        format!("{base_url}/")
    };
    let url = url::Url::parse(&base)
        .and_then(|b| b.join("api/v1/organization"))
        .map_err(|_| Error::invalid_input("base url", "must be an absolute http(s) URL"))?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
    let resp = http
        .get(url)
        .bearer_auth(api_key.expose().trim())
        .header("Cc-Version", COCKROACH_API_VERSION)
        .send()
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Unavailable,
                format!("CockroachDB Cloud is unreachable: {}", without_url(&e)),
            )
        })?;
    let status = resp.status().as_u16();
    match status {
        200 => resp
            .json::<Organization>()
            .await
            .map_err(|_| Error::internal("CockroachDB Cloud answered 200 without an organization").with_status(200)),
        401 => Err(Error::new(ErrorCode::Unauthenticated, "CockroachDB Cloud rejected the API key (wrong, expired or deleted). Create a service-account API key in the Cloud Console and paste it again.").with_status(401)),
        403 => Err(Error::new(ErrorCode::PermissionDenied, "The API key's service account may not read the organization; grant it a role in the Cloud Console.").with_status(403)),
        s if s >= 500 => Err(Error::new(ErrorCode::Unavailable, format!("CockroachDB Cloud failed (HTTP {s}); try again later.")).with_status(s)),
        s => Err(Error::internal(format!("CockroachDB Cloud answered HTTP {s} to the organization check")).with_status(s)),
    }
}

fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}
