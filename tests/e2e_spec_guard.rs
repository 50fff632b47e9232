//! The window E2E tests' spec guard fails a session whose app's sandbox saw a request that
//! broke the API contracts (issue 13, ARCHITECTURE invariant 8): the app connects to its
//! in-process sandbox (started with `CMEK_DESK_SANDBOX_SPEC_GUARD=fail` by `common::session`),
//! a deliberately bad body (a field Cloud KMS's discovery document does not have) goes to that
//! sandbox, and `common::close` turns the session's success into a failure naming the field.
//!
//! Needs `TAURI_DRIVER_URL` (scripts/test.sh sets it up).

mod common;

use common::*;
use std::time::{Duration, Instant};

/// A key in a key ring of the demo project (`cmek-sandbox` seed).
const KEYS: &str = "kms/v1/projects/cmek-demo-project/locations/us-east4/keyRings/guard/cryptoKeys";

#[tokio::test]
async fn a_bad_body_sent_to_the_apps_sandbox_fails_the_session() {
    let Some(url) = driver_url() else { return };
    let client = session(&url, &[]).await;
    let outcome = async {
        click(&client, "connect-sandbox").await?;
        // The app writes its sandbox's URL once the sandbox listens.
        let started = Instant::now();
        let base = loop {
            if let Some(base) = spec_guard::sandbox_url(&client).await {
                break base;
            }
            if started.elapsed() > UI_TIMEOUT {
                return Err("the app never wrote its sandbox URL".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let response = reqwest::Client::new()
            .post(format!("{base}/{KEYS}?cryptoKeyId=k"))
            .bearer_auth(cmek_sandbox::DEFAULT_GOOGLE_TOKEN)
            .json(&serde_json::json!({"purpose": "ENCRYPT_DECRYPT", "bogusField": 1}))
            .send()
            .await
            .map_err(err)?;
        if response.status() != 400 {
            return Err(format!("the bad body got {}", response.status()));
        }
        Ok(())
    }
    .await;
    let closed = close(
        client,
        outcome,
        "spec-guard-expected-failure",
        "[data-testid=error-banner]",
    )
    .await;
    let failure = closed.expect_err("the spec guard fails the session");
    assert!(
        failure.contains("request broke the spec")
            && failure.contains("crypto_key.bogus_field (additionalProperties)"),
        "{failure}"
    );
}
