//! The real sign-in flow against a real OAuth server on loopback (oauth2-mock-server with
//! PKCE S256 checks), the test playing the browser. Test names carry field-report ids.

mod common;

use cmek_auth::{start_sign_in, AuthError, AuthErrorKind, Cancellation, PendingSignIn, SignedIn};
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

fn spawn_wait(p: PendingSignIn) -> tokio::task::JoinHandle<Result<SignedIn, AuthError>> {
    tokio::spawn(async move { p.wait(WAIT, &Cancellation::new()).await })
}

#[tokio::test]
async fn b32_get_callback_completes_sign_in_with_email() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    server.control(json!({"email": "alice@example.com"})).await;
    let opener = CapturingOpener::default();
    let pending = start_sign_in(&server.config(), &opener).unwrap();
    let opened = opener.0.lock().unwrap().clone();
    assert_eq!(
        opened,
        vec![pending.authorization_url().to_owned()],
        "the browser is asked to open the URL"
    );
    let url = pending.authorization_url().to_owned();
    assert_eq!(
        param(&url, "redirect_uri").unwrap(),
        format!("http://127.0.0.1:{}/", pending.port())
    );
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid email https://www.googleapis.com/auth/cloud-platform")
    );
    let redirect_uri = pending.redirect_uri().to_owned();
    let task = spawn_wait(pending);

    let callback = server.authorize(&url).await;
    assert!(callback.starts_with(&redirect_uri), "{callback}");
    let (status, page) = follow(&callback).await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("You can close this tab"), "{page}");

    let signed_in = task.await.unwrap().unwrap();
    assert_eq!(signed_in.email.as_deref(), Some("alice@example.com"));
    assert!(!signed_in.refresh_token.is_empty() && !signed_in.access_token.is_empty());
    assert!(signed_in.expires_at > time::OffsetDateTime::now_utc() + Duration::from_secs(3000));
    assert!(
        !format!("{signed_in:?}").contains(signed_in.access_token.expose()),
        "Debug must redact"
    );
    let stats = server.stats().await;
    assert_eq!(stats["token"]["authorization_code"], 1);
    assert_eq!(stats["lastToken"]["redirect_uri"], redirect_uri.as_str());
    assert_eq!(stats["lastToken"]["has_code_verifier"], true);
    assert_eq!(stats["lastToken"]["has_client_secret"], true);
}

#[tokio::test]
async fn b30_b37_wrong_state_is_rejected_and_the_real_callback_still_works() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let url = pending.authorization_url().to_owned();
    let task = spawn_wait(pending);
    let callback = server.authorize(&url).await;

    for forged in [
        with_param(&callback, "state", "not-this-flow"),
        callback.split('&').next().unwrap().to_owned(),
    ] {
        let (status, page) = follow(&forged).await.unwrap();
        assert_eq!(status, 400, "{forged}");
        assert!(page.contains("does not belong"), "{page}");
    }
    let (status, _) = follow(&format!(
        "{}favicon.ico",
        param(&url, "redirect_uri").unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(status, 404);
    assert!(
        !task.is_finished(),
        "a forged callback must not end the wait"
    );

    let (status, _) = follow(&callback).await.unwrap();
    assert_eq!(status, 200);
    assert!(task.await.unwrap().is_ok());
    assert_eq!(
        server.stats().await["token"]["authorization_code"],
        1,
        "forged callbacks never reach the token endpoint"
    );
}

#[tokio::test]
async fn b32_b37_replayed_callback_is_rejected() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let url = pending.authorization_url().to_owned();
    let task = spawn_wait(pending);
    let callback = server.authorize(&url).await;
    assert_eq!(follow(&callback).await.unwrap().0, 200);
    task.await.unwrap().unwrap();
    // The flow is over: its listener is closed, so the replay reaches no one.
    assert!(
        follow(&callback).await.is_err(),
        "a replayed callback must not be served"
    );
    assert_eq!(server.stats().await["token"]["authorization_code"], 1);
}

#[tokio::test]
async fn b37_code_for_another_flows_challenge_fails_the_pkce_check() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let flow_a = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let flow_b = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    // An attacker's code, issued for flow A's challenge, delivered to flow B with B's state:
    // B exchanges it with B's verifier, which the server's S256 check rejects.
    let injected = with_param(
        &with_param(
            flow_a.authorization_url(),
            "redirect_uri",
            flow_b.redirect_uri(),
        ),
        "state",
        &param(flow_b.authorization_url(), "state").unwrap(),
    );
    let task = spawn_wait(flow_b);
    let callback = server.authorize(&injected).await;
    let (_, page) = follow(&callback).await.unwrap();
    assert!(page.contains("Sign-in failed"), "{page}");
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::InvalidGrant, "{err:?}");
    assert!(err.message.contains("Start the sign-in again"));
    drop(flow_a);
}

#[tokio::test]
async fn access_denied_shows_a_page_and_returns_its_own_error() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    server
        .control(json!({"authorizeError": "access_denied"}))
        .await;
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let url = pending.authorization_url().to_owned();
    let task = spawn_wait(pending);
    let (status, page) = follow(&server.authorize(&url).await).await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("You declined access"), "{page}");
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::AccessDenied);
    assert_eq!(
        cmek_core::Error::from(err).code,
        cmek_core::ErrorCode::SignIn
    );
    assert!(server.stats().await["token"]
        .get("authorization_code")
        .is_none());
}

#[tokio::test]
async fn b36_invalid_client_on_exchange_is_a_client_configuration_error() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    for error in ["invalid_client", "invalid_request"] {
        server
            .control(json!({"tokenError": {"grant": "authorization_code", "error": error}}))
            .await;
        let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
        let url = pending.authorization_url().to_owned();
        let task = spawn_wait(pending);
        follow(&server.authorize(&url).await).await.unwrap();
        let err = task.await.unwrap().unwrap_err();
        assert_eq!(err.kind, AuthErrorKind::ClientConfiguration, "{error}");
        assert!(err.message.contains("Desktop app"));
    }
}

#[tokio::test]
async fn b30_listener_uses_an_os_chosen_port_never_a_fixed_one() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    // Occupy the ports other tools hard-code; it must not matter.
    let _busy: Vec<_> = [8080u16, 8085, 8000]
        .iter()
        .filter_map(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).ok())
        .collect();
    let a = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let b = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    assert_ne!(a.port(), b.port(), "each flow gets its own OS-chosen port");
    for p in [&a, &b] {
        assert!(![0, 8080, 8085, 8000].contains(&p.port()));
        assert_eq!(
            p.redirect_uri(),
            format!("http://127.0.0.1:{}/", p.port()),
            "IP literal and exact port"
        );
    }
}

#[tokio::test]
async fn b33_no_callback_times_out_instead_of_hanging() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let started = Instant::now();
    let err = pending
        .wait(Duration::from_millis(300), &Cancellation::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::Timeout);
    assert_eq!(
        cmek_core::Error::from(err).code,
        cmek_core::ErrorCode::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn b33_cancel_ends_the_wait() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let cancel = Cancellation::new();
    let c2 = cancel.clone();
    let task = tokio::spawn(async move { pending.wait(Duration::from_secs(600), &c2).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    cancel.cancel();
    let err = tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("cancel must not hang")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind, AuthErrorKind::Cancelled);
}

#[tokio::test]
async fn b33_browser_open_failure_returns_the_url_and_the_flow_still_works() {
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &NoBrowser).unwrap();
    assert_eq!(
        pending.browser_error(),
        Some("could not locate runnable browser")
    );
    let url = pending.authorization_url().to_owned();
    assert!(
        url.starts_with(&server.url("/authorize?client_id=cmek-desk-test.apps.example")),
        "{url}"
    );
    let task = spawn_wait(pending);
    // The user copies the URL into a browser by hand.
    follow(&server.authorize(&url).await).await.unwrap();
    assert!(task.await.unwrap().is_ok());
}

#[tokio::test]
async fn idle_local_connections_do_not_hold_the_loopback_listener() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(server) = MockServer::start().await else {
        return;
    };
    let pending = start_sign_in(&server.config(), &CapturingOpener::default()).unwrap();
    let url = pending.authorization_url().to_owned();
    // Local clients that hold a connection open before the browser arrives: one sends
    // nothing (as a browser's speculative pre-connect does), one stalls mid-request.
    let addr = ("127.0.0.1", pending.port());
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"GET /?state=").await.unwrap();
    let task = spawn_wait(pending);
    let callback = server.authorize(&url).await;

    let started = Instant::now();
    let (status, page) = tokio::time::timeout(Duration::from_secs(10), follow(&callback))
        .await
        .expect("the browser's callback must not queue behind idle connections")
        .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("You can close this tab"), "{page}");
    // A listener that served one connection at a time waited 5 s for each idle one.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered after {:?}",
        started.elapsed()
    );
    let signed_in = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the wait ends although idle connections are still open")
        .unwrap()
        .unwrap();
    assert!(!signed_in.refresh_token.is_empty());
    // The flow is over: the idle connection is closed and the listener is gone.
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf))
        .await
        .expect("the idle connection is closed when the flow ends");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(follow(&callback).await.is_err());
    drop(stalled);
}
