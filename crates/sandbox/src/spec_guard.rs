//! The spec guard's findings (ARCHITECTURE invariant 8) for whoever owns the sandbox: the
//! exchanges that broke the API contracts and that nobody has looked at yet, and the
//! loopback-only endpoint `GET {base}/_sandbox/spec-findings` that lists them for a harness in
//! another process (the command-line tests' `cmek sandbox serve`, the window E2E tests' app).
//!
//! The endpoint answers `{"guard": "off|record|fail", "findings": ["request broke the spec:
//! CreateCryptoKey: cryptoKey.purpose (enum)", …]}`; it is never recorded in the request log,
//! needs no credential (it names operations and fields, never a body value) and answers 404 to
//! a peer that is not on loopback.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use serde_json::json;

use crate::state::State;

/// The endpoint's path (after the base URL).
pub const FINDINGS_PATH: &str = "/_sandbox/spec-findings";

/// The spec guard's report of `findings` (what [`crate::SandboxHandle::take_spec_findings`]
/// returns): `N exchange(s) broke the API contracts (specs/):` and one finding a line. The
/// owners prefix it with who speaks: a dropped `SandboxConfig::for_tests()` handle's panic,
/// `cmek sandbox serve` and the `cmek-sandbox` binary on exit 1.
pub fn findings_message(findings: &[String]) -> String {
    format!(
        "{} exchange(s) broke the API contracts (specs/):\n{}",
        findings.len(),
        findings.join("\n")
    )
}

/// Findings not looked at yet, oldest first, each prefixed with what broke the spec (the
/// request or the sandbox's answer). Whatever the guard mode.
pub(crate) fn unseen(s: &State) -> Vec<String> {
    let (r, v) = s.seen_spec_findings;
    let rejected = s.spec_rejections.iter().skip(r);
    let violating = s.spec_violations.iter().skip(v);
    rejected
        .map(|x| format!("request broke the spec: {x}"))
        .chain(violating.map(|x| format!("sandbox answer broke the spec: {x}")))
        .collect()
}

/// Marks every finding so far as looked at.
pub(crate) fn mark_seen(s: &mut State) {
    s.seen_spec_findings = (s.spec_rejections.len(), s.spec_violations.len());
}

/// The peer of a request when the server was started with connection info (`Sandbox::start`).
pub(crate) fn peer(req: &Request<Body>) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}

/// Answers `GET /_sandbox/spec-findings` (see the module doc); 404 to a non-loopback or
/// unknown peer, 405 to another method.
pub(crate) fn endpoint(
    shared: &Arc<Mutex<State>>,
    method: &str,
    peer: Option<SocketAddr>,
) -> Response<Body> {
    let reply = |status: StatusCode, body: serde_json::Value| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap_or_default()
    };
    if !peer.is_some_and(|p| p.ip().is_loopback()) {
        return reply(StatusCode::NOT_FOUND, json!({"error": "not found"}));
    }
    if method != "GET" {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "only GET lists the spec findings"}),
        );
    }
    let s = shared.lock().unwrap_or_else(|p| p.into_inner());
    reply(
        StatusCode::OK,
        json!({
            "guard": s.config.spec_guard_mode().as_str(),
            "findings": unseen(&s),
        }),
    )
}

#[cfg(test)]
mod tests {
    use crate::config::{SandboxConfig, SpecGuard};

    #[test]
    fn the_findings_message_counts_and_lists_each_finding() {
        let findings = [
            "request broke the spec: CreateCryptoKey: crypto_key.bogus_field".to_owned(),
            "sandbox answer broke the spec: GetCluster: state (enum)".to_owned(),
        ];
        assert_eq!(
            super::findings_message(&findings),
            "2 exchange(s) broke the API contracts (specs/):\n\
             request broke the spec: CreateCryptoKey: crypto_key.bogus_field\n\
             sandbox answer broke the spec: GetCluster: state (enum)"
        );
    }

    #[test]
    fn the_mode_is_read_as_typed_and_sets_both_switches() {
        for (text, mode) in [
            ("off", SpecGuard::Off),
            ("record", SpecGuard::Record),
            (" FAIL ", SpecGuard::Fail),
        ] {
            assert_eq!(text.parse::<SpecGuard>(), Ok(mode));
            let config = SandboxConfig::demo().with_spec_guard_mode(mode);
            assert_eq!(config.spec_guard_mode(), mode);
            assert_eq!(config.validate_against_spec, mode != SpecGuard::Off);
            assert_eq!(config.fail_on_spec_findings, mode == SpecGuard::Fail);
        }
        assert_eq!(
            "loud".parse::<SpecGuard>(),
            Err("must be off, record or fail (got \"loud\")".to_owned())
        );
        assert_eq!(SandboxConfig::demo().spec_guard_mode(), SpecGuard::Record);
        assert_eq!(
            SandboxConfig::for_tests().spec_guard_mode(),
            SpecGuard::Fail
        );
    }
}
