//! Sign-in and credential commands through Tauri's real IPC layer (MockRuntime, the app's own
//! config and capabilities), with an `InMemoryStore` as the keychain and cmek-auth's real OAuth
//! test server (oauth2-mock-server) playing Google and CockroachDB Cloud.
//!
//! Every response is also appended to `$SECRET_SCAN_DIR/ipc-mock-runtime.jsonl` (when set) so
//! the secret scan of scripts/test.sh checks what crossed IPC.

mod mock_ipc;
mod support;

use cmek_core::Secret;
use cmek_desk::session::GOOGLE_EMAIL_KEY;
use cmek_desk::settings::Settings;
use cmek_keychain::{keys, InMemoryStore, SecretStore};
use mock_ipc::{app_with_session, invoke, MockApp as App, Window};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::{OAuthServer, GOOD_API_KEY};

fn app(settings: Vec<(String, String)>, store: Arc<InMemoryStore>) -> App {
    app_with_session(Settings::from_pairs(settings), store)
}

/// One command through the IPC layer (blocking, so on a blocking thread), recorded for the scan.
async fn call(window: &Window, cmd: &str, args: Value) -> Result<Value, Value> {
    let (window, cmd) = (window.clone(), cmd.to_owned());
    tokio::task::spawn_blocking(move || {
        let result = invoke(&window, &cmd, args);
        record(&cmd, &result);
        result
    })
    .await
    .expect("IPC thread")
}

fn record(cmd: &str, result: &Result<Value, Value>) {
    if let Some(dir) = std::env::var_os("SECRET_SCAN_DIR") {
        use std::io::Write;
        let line = json!({ "cmd": cmd, "result": match result { Ok(v) => v.clone(), Err(e) => e.clone() } });
        let path = std::path::Path::new(&dir).join("ipc-mock-runtime.jsonl");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }
}

async fn status(window: &Window) -> Value {
    call(window, "session_status", json!({}))
        .await
        .expect("session_status")
}

/// Starts `sign_in_google` and waits until the app shows the URL to copy.
async fn start_sign_in(window: &Window) -> (tokio::task::JoinHandle<Result<Value, Value>>, String) {
    let w = window.clone();
    let sign_in = tokio::spawn(async move {
        call(&w, "sign_in_google", json!({ "onEvent": "__CHANNEL__:7" })).await
    });
    for _ in 0..100 {
        let s = status(window).await;
        if let Some(url) = s["pendingSignIn"]["authorizationUrl"].as_str() {
            // CMEK_DESK_OPEN_BROWSER=0: the browser is not opened, the link is shown instead.
            assert!(s["pendingSignIn"]["browserError"].is_string(), "{s}");
            return (sign_in, url.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no pending sign-in appeared");
}

fn stored(store: &InMemoryStore, key: &str) -> Option<String> {
    store.retrieve(key).unwrap().map(|s| s.expose().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_restart_sign_out_with_the_keychain() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    let first = app(server.app_settings(), store.clone());

    let s = status(&first.window).await;
    assert!(
        s.get("google").is_none() && s.get("keychainError").is_none(),
        "{s}"
    );
    assert_eq!(s["cockroachKeyStored"], false);

    let (sign_in, url) = start_sign_in(&first.window).await;
    assert!(url.starts_with(&server.url("/authorize")), "{url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    server.play_browser(&url).await.expect("browser step");
    let signed_in = sign_in.await.unwrap().expect("sign_in_google");
    assert_eq!(
        signed_in["google"]["email"], "officer@example.com",
        "{signed_in}"
    );
    assert_eq!(signed_in["google"]["method"], "oauth");
    assert!(signed_in.get("pendingSignIn").is_none(), "{signed_in}");
    let refresh =
        stored(&store, keys::GOOGLE_REFRESH_TOKEN).expect("refresh token in the keychain");
    assert!(
        !signed_in.to_string().contains(&refresh),
        "the refresh token crossed IPC"
    );
    assert_eq!(
        stored(&store, GOOGLE_EMAIL_KEY).as_deref(),
        Some("officer@example.com")
    );
    drop(first);

    // A new app run with the same keychain restores the sign-in (refreshing once).
    let second = app(server.app_settings(), store.clone());
    let s = status(&second.window).await;
    assert_eq!(s["google"]["email"], "officer@example.com", "{s}");
    assert!(s.get("problem").is_none(), "{s}");
    assert_eq!(server.stats().await["token"]["refresh_token"], 1);

    // Sign out: revoked at the provider, gone from the keychain.
    let s = call(&second.window, "sign_out", json!({}))
        .await
        .expect("sign_out");
    assert!(s.get("google").is_none(), "{s}");
    assert!(stored(&store, keys::GOOGLE_REFRESH_TOKEN).is_none());
    assert!(stored(&store, GOOGLE_EMAIL_KEY).is_none());
    let revoked = server.stats().await["revoked"].clone();
    assert!(
        revoked
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == &json!(refresh)),
        "{revoked}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_ends_a_waiting_sign_in() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    let app = app(server.app_settings(), store.clone());
    let (sign_in, _url) = start_sign_in(&app.window).await;
    assert_eq!(
        call(&app.window, "cancel_sign_in", json!({})).await,
        Ok(Value::Null)
    );
    let error = sign_in.await.unwrap().expect_err("cancelled");
    assert_eq!(error["code"], "CANCELLED", "{error}");
    let s = status(&app.window).await;
    assert!(
        s.get("pendingSignIn").is_none() && s.get("google").is_none(),
        "{s}"
    );
    assert!(store.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_refresh_token_at_startup_is_a_problem_and_is_deleted() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    store
        .persist(
            keys::GOOGLE_REFRESH_TOKEN,
            &Secret::new("1//revoked-elsewhere"),
        )
        .unwrap();
    store
        .persist(GOOGLE_EMAIL_KEY, &Secret::new("officer@example.com"))
        .unwrap();
    server
        .control(json!({ "tokenError": { "grant": "refresh_token", "error": "invalid_grant", "subtype": "invalid_rapt" } }))
        .await;
    let app = app(server.app_settings(), store.clone());
    let s = status(&app.window).await;
    assert_eq!(s["problem"]["code"], "UNAUTHENTICATED", "{s}");
    assert!(
        s["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid_rapt"),
        "{s}"
    );
    assert!(s.get("google").is_none(), "{s}");
    assert!(stored(&store, keys::GOOGLE_REFRESH_TOKEN).is_none());
    // Live commands then fail with UNAUTHENTICATED (the UI's "Sign in again").
    let e = call(&app.window, "connect_live", json!({}))
        .await
        .expect_err("not signed in");
    assert_eq!(e["code"], "UNAUTHENTICATED", "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cockroach_key_is_validated_stored_never_echoed_and_forgotten() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    let app = app(server.app_settings(), store.clone());

    let e = call(
        &app.window,
        "save_cockroach_key",
        json!({ "key": "crl-wrong-key" }),
    )
    .await
    .expect_err("wrong key");
    assert_eq!(e["code"], "UNAUTHENTICATED", "{e}");
    assert!(!e.to_string().contains("crl-wrong-key"), "{e}");
    assert!(stored(&store, keys::COCKROACH_API_KEY).is_none());

    let s = call(
        &app.window,
        "save_cockroach_key",
        json!({ "key": format!(" {GOOD_API_KEY} ") }),
    )
    .await
    .expect("good key");
    assert_eq!(s["cockroachKeyStored"], true);
    assert_eq!(s["cockroachOrganization"]["id"], "org-1", "{s}");
    assert_eq!(s["cockroachOrganization"]["name"], "acme", "{s}");
    assert!(!s.to_string().contains(GOOD_API_KEY), "{s}");
    assert_eq!(
        stored(&store, keys::COCKROACH_API_KEY).as_deref(),
        Some(GOOD_API_KEY)
    );
    assert!(!status(&app.window).await.to_string().contains(GOOD_API_KEY));

    let s = call(&app.window, "forget_cockroach_key", json!({}))
        .await
        .expect("forget");
    assert_eq!(s["cockroachKeyStored"], false);
    assert!(s.get("cockroachOrganization").is_none(), "{s}");
    assert!(stored(&store, keys::COCKROACH_API_KEY).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn no_keychain_is_an_error_with_the_fix_and_nothing_falls_back() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    store.set_unavailable(true);
    let app = app(server.app_settings(), store.clone());
    let s = status(&app.window).await;
    assert_eq!(s["keychainError"]["code"], "KEYCHAIN", "{s}");
    let e = call(
        &app.window,
        "sign_in_google",
        json!({ "onEvent": "__CHANNEL__:3" }),
    )
    .await
    .expect_err("no keychain, no sign-in");
    assert_eq!(e["code"], "KEYCHAIN", "{e}");
    let e = call(
        &app.window,
        "save_cockroach_key",
        json!({ "key": GOOD_API_KEY }),
    )
    .await
    .expect_err("no keychain, no key");
    assert_eq!(e["code"], "KEYCHAIN", "{e}");
    store.set_unavailable(false);
    assert!(
        store.is_empty(),
        "nothing may be kept anywhere else meanwhile"
    );
    assert_eq!(
        server.stats().await["token"],
        json!({}),
        "no token request without a keychain"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_oauth_client_sign_in_says_where_to_configure_it() {
    let store = Arc::new(InMemoryStore::new());
    // No client id; the config dir (Tauri's app_config_dir in tests) has no oauth-client.json
    // unless a developer put one there, in which case this check does not apply.
    if std::env::var_os("CMEK_DESK_OAUTH_CLIENT_ID").is_some() {
        return;
    }
    let app = app(vec![], store);
    let s = status(&app.window).await;
    if let Some(e) = s.get("oauthConfigError") {
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("CMEK_DESK_OAUTH_CLIENT_ID"),
            "{e}"
        );
        let e = call(
            &app.window,
            "sign_in_google",
            json!({ "onEvent": "__CHANNEL__:3" }),
        )
        .await
        .expect_err("not configured");
        assert!(
            e["message"].as_str().unwrap().contains("oauth-client.json"),
            "{e}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_opener_plugin_is_not_granted_to_the_window() {
    let app = app(vec![], Arc::new(InMemoryStore::new()));
    let e = call(
        &app.window,
        "plugin:opener|open_url",
        json!({ "url": "https://example.com" }),
    )
    .await
    .expect_err("denied");
    assert!(e.as_str().is_some_and(|m| m.contains("not allowed")), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_live_uses_the_sign_in_and_a_revoked_token_mid_session_raises_the_problem() {
    use cmek_sandbox::{Sandbox, SandboxConfig, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER};
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    // The OAuth server issues one fixed access token, which the sandbox accepts as the officer;
    // tokens live 30 s (< the 60 s refresh margin), so every Google call refreshes first.
    let token = format!("ya29.e2e-access-fixed-{}", std::process::id());
    support::record_secret(&token);
    server
        .control(json!({ "accessToken": token, "expiresIn": 30 }))
        .await;
    let mut config = SandboxConfig::for_tests();
    config
        .google_tokens
        .insert(token.clone(), DEFAULT_GOOGLE_MEMBER.into());
    let sandbox = Sandbox::start(config).await;
    let mut settings = server.app_settings();
    settings.push((
        "CMEK_DESK_GOOGLE_API_BASE".into(),
        format!("{}/", sandbox.base_url()),
    ));
    settings.push((
        "CMEK_DESK_COCKROACH_API_BASE".into(),
        sandbox.endpoints().cockroach,
    ));
    let store = Arc::new(InMemoryStore::new());
    let app = app(settings, store.clone());

    let e = call(&app.window, "connect_live", json!({}))
        .await
        .expect_err("not signed in yet");
    assert_eq!(e["code"], "UNAUTHENTICATED", "{e}");
    let (sign_in, url) = start_sign_in(&app.window).await;
    server.play_browser(&url).await.expect("browser step");
    sign_in.await.unwrap().expect("signed in");
    call(
        &app.window,
        "save_cockroach_key",
        json!({ "key": DEFAULT_COCKROACH_KEY }),
    )
    .await
    .expect("the sandbox accepts its key");

    let info = call(&app.window, "connect_live", json!({}))
        .await
        .expect("connect_live");
    assert_eq!(info["mode"], "live", "{info}");
    assert_eq!(info["googleIdentity"], "user:officer@example.com", "{info}");
    assert!(!info.to_string().contains(&token), "{info}");
    let clusters = call(&app.window, "list_clusters", json!({}))
        .await
        .expect("list_clusters");
    assert!(clusters.to_string().contains("prod-payments"), "{clusters}");

    // The refresh token is revoked elsewhere: the next Google call fails UNAUTHENTICATED and the
    // session reports the problem (the UI's "Sign in again" banner), not a generic failure.
    server
        .control(json!({ "tokenError": { "grant": "refresh_token", "error": "invalid_grant", "sticky": true } }))
        .await;
    // (connect_live reads the Google projects, so it needs a fresh access token.)
    let e = call(&app.window, "connect_live", json!({}))
        .await
        .expect_err("Google refuses the dead sign-in");
    assert_eq!(e["code"], "UNAUTHENTICATED", "{e}");
    let s = status(&app.window).await;
    assert_eq!(s["problem"]["code"], "UNAUTHENTICATED", "{s} after {e:?}");
    assert!(
        s["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid_grant"),
        "{s}"
    );
    // Signing out ends the live connection too.
    call(&app.window, "sign_out", json!({}))
        .await
        .expect("sign_out");
    let e = call(&app.window, "list_clusters", json!({}))
        .await
        .expect_err("disconnected");
    assert_eq!(e["code"], "UNAUTHENTICATED", "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_api_key_that_is_no_longer_accepted_is_reported_on_its_own() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    store
        .persist(
            keys::COCKROACH_API_KEY,
            &Secret::new("crl-deleted-in-console"),
        )
        .unwrap();
    let app = app(server.app_settings(), store.clone());
    let s = status(&app.window).await;
    assert_eq!(s["cockroachKeyStored"], true, "{s}");
    assert_eq!(s["cockroachKeyError"]["code"], "UNAUTHENTICATED", "{s}");
    // Not the Google "Sign in again" problem, and the key itself never crosses IPC.
    assert!(s.get("problem").is_none(), "{s}");
    assert!(!s.to_string().contains("crl-deleted-in-console"), "{s}");
    let s = call(
        &app.window,
        "save_cockroach_key",
        json!({ "key": GOOD_API_KEY }),
    )
    .await
    .expect("replace");
    assert!(s.get("cockroachKeyError").is_none(), "{s}");
    assert_eq!(
        stored(&store, keys::COCKROACH_API_KEY).as_deref(),
        Some(GOOD_API_KEY)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_out_reports_a_failed_token_revocation_and_still_forgets_the_sign_in() {
    let Some(server) = OAuthServer::start().await else {
        return;
    };
    let store = Arc::new(InMemoryStore::new());
    store
        .persist(keys::GOOGLE_REFRESH_TOKEN, &Secret::new("1//to-revoke"))
        .unwrap();
    store
        .persist(GOOGLE_EMAIL_KEY, &Secret::new("officer@example.com"))
        .unwrap();
    let app = app(server.app_settings(), store.clone());
    let s = status(&app.window).await;
    assert_eq!(s["google"]["email"], "officer@example.com", "{s}");
    // Google's revocation endpoint answers an error (issue 13: sign-out must not say "done").
    server.control(json!({ "revokeStatus": 503 })).await;
    let e = call(&app.window, "sign_out", json!({}))
        .await
        .expect_err("a failed revocation is reported");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains("did not confirm"), "{e}");
    assert!(message.contains("HTTP 503"), "{e}");
    assert!(message.contains("myaccount.google.com/permissions"), "{e}");
    assert_eq!(
        server.stats().await["revoked"],
        json!(["1//to-revoke"]),
        "the revocation was attempted"
    );
    // Signed out on this computer all the same.
    assert!(stored(&store, keys::GOOGLE_REFRESH_TOKEN).is_none());
    assert!(stored(&store, GOOGLE_EMAIL_KEY).is_none());
    assert!(status(&app.window).await.get("google").is_none());
}
