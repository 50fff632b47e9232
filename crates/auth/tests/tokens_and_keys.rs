//! TokenSource refresh/revoke, existing Google credentials (gcp_auth, service-account key)
//! and the CockroachDB Cloud API key check, against the loopback test server.

mod common;

use cmek_auth::{
    resolve_google_credentials, validate_api_key, AuthErrorKind, GoogleCredentialSource,
    TokenSource,
};
use cmek_core::{ErrorCode, Secret};
use common::MockServer;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn b34_invalid_grant_on_refresh_asks_for_sign_in_and_never_retries() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    server.control(json!({"tokenError": {"grant": "refresh_token", "error": "invalid_grant", "sticky": true}})).await;
    let source = TokenSource::new(server.config(), Secret::new("stored-refresh-token"));
    let err = source.access_token().await.unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::InvalidGrant);
    assert!(err.requires_new_sign_in());
    assert!(
        err.message.contains("7 days") && err.message.contains("Testing"),
        "{}",
        err.message
    );
    assert_eq!(
        cmek_core::Error::from(err.clone()).code,
        ErrorCode::Unauthenticated
    );
    assert_eq!(
        source.access_token().await.unwrap_err(),
        err,
        "same error again"
    );
    assert_eq!(
        server.stats().await["token"]["refresh_token"],
        1,
        "no second request: no retry loop"
    );
}

#[tokio::test]
async fn invalid_rapt_on_refresh_is_reported_as_session_control() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    server
        .control(json!({"tokenError": {"grant": "refresh_token", "error": "invalid_grant", "subtype": "invalid_rapt",
            "description": "reauth related error (invalid_rapt)"}}))
        .await;
    let err = TokenSource::new(server.config(), Secret::new("rt"))
        .access_token()
        .await
        .unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::InvalidRapt);
    assert!(err.message.contains("session control"));
}

#[tokio::test]
async fn access_token_is_cached_and_refreshed_ahead_of_expiry() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let source = TokenSource::new(server.config(), Secret::new("rt"))
        .with_refresh_margin(Duration::from_secs(60));
    let a = source.access_token().await.unwrap();
    let b = source.access_token().await.unwrap();
    assert_eq!(a, b, "a fresh token is reused");
    assert_eq!(server.stats().await["token"]["refresh_token"], 1);
    // A token that expires within the margin is refreshed on the next call.
    server.control(json!({"expiresIn": 30})).await;
    let source = TokenSource::new(server.config(), Secret::new("rt"))
        .with_refresh_margin(Duration::from_secs(60));
    source.access_token().await.unwrap();
    source.access_token().await.unwrap();
    assert_eq!(server.stats().await["token"]["refresh_token"], 3);
}

#[tokio::test]
async fn sign_out_revokes_the_refresh_token() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let source = TokenSource::new(server.config(), Secret::new("rt-to-revoke"));
    source.access_token().await.unwrap();
    source.sign_out().await.unwrap();
    assert_eq!(server.stats().await["revoked"], json!(["rt-to-revoke"]));
    assert!(source
        .access_token()
        .await
        .unwrap_err()
        .requires_new_sign_in());
    assert_eq!(
        server.stats().await["token"]["refresh_token"],
        1,
        "no refresh after sign-out"
    );
}

#[tokio::test]
async fn service_account_key_file_resolves_through_gcp_auth() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let key = server.get_json("/__sa-key").await;
    let path = std::env::temp_dir().join(format!("cmek-auth-sa-{}.json", std::process::id()));
    std::fs::write(&path, key.to_string()).unwrap();
    let creds =
        resolve_google_credentials(GoogleCredentialSource::ServiceAccountKeyFile(path.clone()))
            .await
            .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        creds.email.as_deref(),
        Some("kms-admin@cmek-test.iam.gserviceaccount.com")
    );
    assert!(creds.identity.contains("kms-admin@"));
    assert_eq!(creds.project_id.as_deref(), Some("cmek-test"));
    assert!(creds
        .access_token()
        .await
        .unwrap()
        .expose()
        .starts_with("sa-"));
    assert_eq!(
        server.stats().await["token"]["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        1,
        "gcp_auth caches the token"
    );
}

#[tokio::test]
async fn missing_key_file_is_a_credentials_error() {
    let err = resolve_google_credentials(GoogleCredentialSource::ServiceAccountKeyFile(
        "/nonexistent/key.json".into(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::Credentials);
    assert!(err.message.contains("/nonexistent/key.json"));
}

#[tokio::test]
async fn cockroach_api_key_validation() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let org = validate_api_key(&server.url("/"), &Secret::new("crl-good"))
        .await
        .unwrap();
    assert_eq!(
        (org.id.as_str(), org.label.as_str()),
        ("org-1", "Acme Corp")
    );
    let org = validate_api_key(&server.url(""), &Secret::new("crl-good"))
        .await
        .unwrap();
    assert_eq!(org.name, "acme", "trailing slash added");
    let err = validate_api_key(&server.url("/"), &Secret::new("crl-wrong-key"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.http_status),
        (ErrorCode::Unauthenticated, Some(401))
    );
    assert!(!err.message.contains("crl-wrong-key"));
    let err = validate_api_key(&server.url("/"), &Secret::new("  "))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}
