//! The HTTP layer's retry rule, one test per row, against the sandbox over HTTP (which counts
//! every attempt): a create answered 500/502/504 or timing out is sent once; 429 and 503 are
//! retried for every call, after `Retry-After`; a GET and an etag-carrying setIamPolicy are
//! retried after 500 or a time-out; cancellation ends a backoff wait at once; writes are paced.

use cmek_core::iam::{Grant, ROLE_ENCRYPTER_DECRYPTER};
use cmek_core::{ErrorCode, Secret};
use cmek_gcp::http::{Pacing, RetryPolicy, WritePacer};
use cmek_gcp::{
    edit_policy, CancellationToken, Google, GoogleEndpoints, GoogleHttp, PolicyTarget, StaticToken,
};
use cmek_sandbox::{
    seed, Fault, Sandbox, SandboxConfig, SandboxHandle, Stall, DEFAULT_GOOGLE_MEMBER,
    DEFAULT_GOOGLE_TOKEN,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RING_CREATE: &str = "cloudkms.projects.locations.keyRings.create";
const RING_GET: &str = "cloudkms.projects.locations.keyRings.get";
const KEY_SET_IAM: &str = "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy";

/// Short waits, no pacing: these tests count attempts, not time.
fn http() -> GoogleHttp {
    GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )))
    .with_retry(RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(5),
    })
    .with_write_pacer(WritePacer::unlimited())
}

fn google(sb: &SandboxHandle, http: GoogleHttp) -> Google {
    Google::new(http, &GoogleEndpoints::single_server(&sb.base_url()))
}

fn location() -> String {
    format!("projects/{}/locations/us-east4", seed::DEMO_PROJECT_ID)
}

fn google_error(status: u16) -> Value {
    let s = match status {
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    json!({"error": {"code": status, "message": format!("Simulated {status}"), "status": s}})
}

fn fault(operation: &str, status: u16, times: u32, retry_after_secs: Option<u64>) -> Fault {
    Fault {
        operation: operation.into(),
        status,
        body: google_error(status),
        times,
        retry_after_secs,
    }
}

/// Statuses the sandbox answered for `operation`, in order.
fn attempts(sb: &SandboxHandle, operation: &str) -> Vec<u16> {
    sb.requests()
        .into_iter()
        .filter(|r| r.operation == operation)
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn a_key_ring_create_answered_500_502_or_504_is_sent_exactly_once() {
    for status in [500, 502, 504] {
        let sb = Sandbox::start(SandboxConfig::for_tests()).await;
        let g = google(&sb, http());
        sb.inject_fault(fault(RING_CREATE, status, 10, None));
        let e = g
            .kms
            .create_key_ring(&location(), "once")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unavailable, "{status}");
        assert_eq!(e.http_status, Some(status));
        assert_eq!(
            attempts(&sb, RING_CREATE),
            vec![status],
            "a create that may have been applied is never repeated ({status})"
        );
    }
}

#[tokio::test]
async fn a_post_create_answered_503_or_429_is_retried_no_sooner_than_retry_after() {
    for status in [503, 429] {
        let sb = Sandbox::start(SandboxConfig::for_tests()).await;
        let g = google(&sb, http());
        sb.inject_fault(fault(RING_CREATE, status, 1, Some(1)));
        let start = Instant::now();
        let ring = g
            .kms
            .create_key_ring(&location(), "retried")
            .await
            .unwrap_or_else(|e| panic!("{status}: {e:?}"));
        assert!(ring.name.ends_with("/keyRings/retried"));
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{status}: waited {:?}, less than Retry-After",
            start.elapsed()
        );
        assert_eq!(attempts(&sb, RING_CREATE), vec![status, 200]);
    }
}

#[tokio::test]
async fn a_get_answered_500_is_retried() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb, http());
    sb.inject_fault(fault(RING_GET, 500, 1, None));
    let ring = g.kms.get_key_ring(seed::EXISTING_KEY_RING).await.unwrap();
    assert!(ring.is_some());
    assert_eq!(attempts(&sb, RING_GET), vec![500, 200]);
}

#[tokio::test]
async fn a_set_iam_policy_answered_500_is_retried_as_idempotent() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb, http());
    sb.inject_fault(fault(KEY_SET_IAM, 500, 1, None));
    let grant = Grant::new(ROLE_ENCRYPTER_DECRYPTER, "user:app@example.com");
    let edit = edit_policy(
        &g,
        &PolicyTarget::Kms(seed::EXISTING_KEY.into()),
        std::slice::from_ref(&grant),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(edit.outcome.added, vec![grant]);
    assert_eq!(attempts(&sb, KEY_SET_IAM), vec![500, 200]);
}

#[tokio::test]
async fn a_time_out_on_a_post_create_is_not_retried_although_the_create_took_effect() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb, http().with_timeout(Duration::from_millis(300)));
    sb.inject_stall(Stall {
        operation: RING_CREATE.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    let e = g
        .kms
        .create_key_ring(&location(), "slow")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unavailable);
    assert!(e.is_transport(), "a time-out has no HTTP status: {e:?}");
    assert!(e.message.contains("did not answer"), "{}", e.message);
    assert_eq!(attempts(&sb, RING_CREATE).len(), 1, "sent exactly once");
    // The stall hid an applied write: a blind retry would have met 409 on our own key ring.
    let name = format!("{}/keyRings/slow", location());
    assert!(g.kms.get_key_ring(&name).await.unwrap().is_some());
}

#[tokio::test]
async fn a_time_out_on_a_get_and_on_an_idempotent_set_iam_policy_is_retried() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb, http().with_timeout(Duration::from_millis(300)));
    sb.inject_stall(Stall {
        operation: RING_GET.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    assert!(g
        .kms
        .get_key_ring(seed::EXISTING_KEY_RING)
        .await
        .unwrap()
        .is_some());
    assert_eq!(attempts(&sb, RING_GET).len(), 2);

    // The first setIamPolicy is applied but its answer is lost; the retry carries the now
    // stale etag, is refused with 409 ABORTED, and edit_policy's fresh read finds nothing to do.
    sb.inject_stall(Stall {
        operation: KEY_SET_IAM.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    let grant = Grant::new(ROLE_ENCRYPTER_DECRYPTER, "user:app@example.com");
    let edit = edit_policy(
        &g,
        &PolicyTarget::Kms(seed::EXISTING_KEY.into()),
        std::slice::from_ref(&grant),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(attempts(&sb, KEY_SET_IAM), vec![200, 409]);
    assert!(
        edit.outcome.is_noop(),
        "already applied by the lost attempt"
    );
    let policy = sb.iam_policy(seed::EXISTING_KEY).to_string();
    assert_eq!(
        policy.matches("user:app@example.com").count(),
        1,
        "{policy}"
    );
}

#[tokio::test]
async fn cancelling_during_a_backoff_wait_returns_cancelled_promptly() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let token = CancellationToken::new();
    let slow = http()
        .with_retry(RetryPolicy {
            max_attempts: 6,
            min_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60),
        })
        .with_cancel(token.clone());
    let g = google(&sb, slow);
    sb.inject_fault(fault(RING_GET, 503, 100, None));
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    let e = g
        .kms
        .get_key_ring(seed::EXISTING_KEY_RING)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "returned after {:?}",
        start.elapsed()
    );
    assert_eq!(
        attempts(&sb, RING_GET),
        vec![503],
        "no attempt after the cancel"
    );
}

#[tokio::test]
async fn google_with_cancel_shares_the_token_with_every_client() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb, http());
    assert!(!g.cancel_token().is_cancelled());
    let token = CancellationToken::new();
    let c = g.with_cancel(&token);
    token.cancel();
    assert!(c.cancel_token().is_cancelled());
    assert!(
        !g.cancel_token().is_cancelled(),
        "the original is untouched"
    );
    // A first attempt still goes out (its outcome must be known); only retries stop.
    assert!(c
        .kms
        .get_key_ring(seed::EXISTING_KEY_RING)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn writes_are_paced_per_project_and_reads_are_not() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let pacer = WritePacer::new(Pacing {
        name: "test",
        burst: 2,
        interval: Duration::from_millis(300),
    });
    let g = google(&sb, http().with_write_pacer(pacer));
    let start = Instant::now();
    for _ in 0..5 {
        g.kms.get_key_ring(seed::EXISTING_KEY_RING).await.unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "reads are not paced"
    );
    let start = Instant::now();
    for i in 0..4 {
        g.kms
            .create_key_ring(&location(), &format!("paced-{i}"))
            .await
            .unwrap();
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(550),
        "2 writes pass, 2 more wait 300 ms each: {took:?}"
    );
    assert_eq!(attempts(&sb, RING_CREATE).len(), 4);
}
