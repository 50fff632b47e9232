//! The fault model over real HTTP (issue 13): resets and time-outs before or after a write is
//! applied, 429 with `Retry-After`, another writer between read and write, new resources that
//! answer 404/403 for a while, and the spec guard, which
//! validates every request under faults and fails a test that sent a bad body.

mod common;

use cmek_sandbox::{FaultKind, FaultPlan, Sandbox, SandboxConfig, Target};
use common::{kr, start, P};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// A raw call whose transport outcome is returned instead of unwrapped.
async fn raw(
    api: &common::Api,
    method: Method,
    path: &str,
    body: serde_json::Value,
) -> Result<u16, reqwest::Error> {
    api.http
        .request(method, format!("{}/{path}", api.sb.base_url()))
        .bearer_auth(&api.token)
        .timeout(Duration::from_millis(300))
        .json(&body)
        .send()
        .await
        .map(|r| r.status().as_u16())
}

fn ring_path(id: &str) -> String {
    format!("kms/v1/projects/{P}/locations/us-east4/keyRings?keyRingId={id}")
}

#[tokio::test]
async fn a_reset_after_apply_changes_the_state_and_a_reset_before_does_not() {
    let api = start().await;
    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::ResetBeforeApply,
        Target::Operation("keyRings.create".into()),
        1,
    ));
    let e = raw(&api, Method::POST, &ring_path("before"), json!({})).await;
    assert!(e.is_err(), "the client sees no answer: {e:?}");
    let (s, _) = api
        .google(
            Method::GET,
            &format!("kms/v1/{}", kr("us-east4", "before")),
            None,
        )
        .await;
    assert_eq!(s, 404, "a reset before apply changes nothing");

    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::ResetAfterApply,
        Target::AnyWrite,
        1,
    ));
    let e = raw(&api, Method::POST, &ring_path("after"), json!({})).await;
    assert!(e.is_err(), "the client sees no answer: {e:?}");
    let (s, _) = api
        .google(
            Method::GET,
            &format!("kms/v1/{}", kr("us-east4", "after")),
            None,
        )
        .await;
    assert_eq!(s, 200, "a reset after apply kept the change");

    let kinds: Vec<(String, bool)> = api
        .sb
        .injected_faults()
        .into_iter()
        .map(|f| (f.kind, f.applied))
        .collect();
    assert_eq!(
        kinds,
        [
            ("reset_before_apply".into(), false),
            ("reset_after_apply".into(), true)
        ]
    );
    let statuses: Vec<u16> = api
        .sb
        .requests()
        .iter()
        .filter(|r| r.is_write)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [0, 200], "both attempts are in the request log");
}

#[tokio::test]
async fn a_time_out_after_apply_holds_the_answer_past_the_client_deadline() {
    let api = start().await;
    let mut plan = FaultPlan::single(FaultKind::TimeoutAfterApply, Target::AnyWrite, 1);
    plan.stall = Duration::from_millis(600);
    api.sb.set_fault_plan(&plan);
    let e = raw(&api, Method::POST, &ring_path("slow"), json!({}))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    let (s, _) = api
        .google(
            Method::GET,
            &format!("kms/v1/{}", kr("us-east4", "slow")),
            None,
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_in_the_service_format() {
    let api = start().await;
    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::Throttle {
            retry_after_secs: 7,
        },
        Target::AnyRead,
        1,
    ));
    let resp = api
        .http
        .get(format!(
            "{}/kms/v1/projects/{P}/locations/us-east4/keyRings",
            api.sb.base_url()
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(
        api.sb.spec_violations().is_empty(),
        "the error body follows the spec"
    );
}

#[tokio::test]
async fn another_writer_between_read_and_write_makes_the_stale_etag_fail() {
    let api = start().await;
    let (_, ring) = api
        .google(Method::POST, &ring_path("shared"), Some(json!({})))
        .await;
    let name = ring["name"].as_str().unwrap().to_owned();
    let (_, read) = api
        .google(Method::GET, &format!("kms/v1/{name}:getIamPolicy"), None)
        .await;
    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::ConcurrentWriter,
        Target::AnyWrite,
        1,
    ));
    let policy = json!({"etag": read["etag"], "bindings": [{"role": "roles/cloudkms.viewer", "members": ["user:me@example.com"]}]});
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{name}:setIamPolicy"),
            Some(json!({"policy": policy})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    let writes = api.sb.foreign_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].0, name);
    let now = api.sb.iam_policy(&name);
    assert!(
        now.to_string().contains(&writes[0].2),
        "the other writer's binding is there: {now}"
    );
}

#[tokio::test]
async fn a_new_service_account_answers_404_then_appears() {
    let api = start().await;
    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::FreshResource {
            status: 404,
            misses: 2,
        },
        Target::Operation("serviceAccounts.create".into()),
        1,
    ));
    let (s, sa) = api
        .google(
            Method::POST,
            &format!("iam/v1/projects/{P}/serviceAccounts"),
            Some(json!({"accountId": "fresh-sa-1"})),
        )
        .await;
    assert_eq!(s, 200, "{sa}");
    let path = format!(
        "iam/v1/projects/{P}/serviceAccounts/{}",
        sa["email"].as_str().unwrap()
    );
    let seen: Vec<u16> = [
        api.google(Method::GET, &path, None).await.0,
        api.google(Method::GET, &path, None).await.0,
        api.google(Method::GET, &path, None).await.0,
    ]
    .to_vec();
    assert_eq!(seen, [404, 404, 200]);
}

#[tokio::test]
async fn every_request_is_validated_even_when_a_fault_hits_it() {
    let api = start().await;
    api.sb.set_fault_plan(&FaultPlan::single(
        FaultKind::ResetBeforeApply,
        Target::AnyWrite,
        5,
    ));
    let bad = json!({"purpose": "ENCRYPT_DECRYPT", "bogusField": 1});
    let (s, _) = api
        .google(
            Method::POST,
            &format!("kms/v1/{}/cryptoKeys?cryptoKeyId=k", kr("us-east4", "none")),
            Some(bad),
        )
        .await;
    assert_eq!(s, 400, "the spec check answers before the fault");
    let rejected = api.sb.spec_rejections();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
}

/// The spec guard: a test whose client sent a body the spec rejects fails, even if the test
/// never looks at the sandbox's findings.
#[tokio::test]
#[should_panic(expected = "cmek-sandbox spec guard")]
async fn a_test_that_sends_a_bad_body_fails() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let status = reqwest::Client::new()
        .post(format!(
            "{}/kms/v1/{}/cryptoKeys?cryptoKeyId=k",
            sb.base_url(),
            kr("us-east4", "x")
        ))
        .bearer_auth(cmek_sandbox::DEFAULT_GOOGLE_TOKEN)
        .json(&json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriodSeconds": 60}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    drop(sb); // the guard fires here
}

#[tokio::test]
async fn the_guard_is_off_in_the_apps_demo_mode() {
    let sb = Sandbox::start(SandboxConfig::for_tests().with_spec_guard(false)).await;
    let status = reqwest::Client::new()
        .post(format!(
            "{}/kms/v1/{}/cryptoKeys?cryptoKeyId=k",
            sb.base_url(),
            kr("us-east4", "x")
        ))
        .bearer_auth(cmek_sandbox::DEFAULT_GOOGLE_TOKEN)
        .json(&json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriodSeconds": 60}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    drop(sb);
}
