//! Test harness: an `AwsClient` on the sandbox's AWS endpoint or on moto in server mode (`cmek_sandbox::moto`), and a
//! write observer that records what it is told.
#![allow(dead_code)]

use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::observe::{WriteCall, WriteObserver};
use cmek_core::{Error, Secret};
use serde_json::Value;
use std::sync::Mutex;
use std::time::Duration;

/// A client for `endpoint` with static keys in `region`, short retry waits.
pub async fn client(endpoint: &str, key: &str, secret: &str, region: &str) -> AwsClient {
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: key.to_owned(),
        secret_access_key: Secret::new(secret),
        session_token: None,
    })
    .with_endpoint(endpoint)
    .with_region(region);
    AwsClient::connect(options).await.with_retry_policy(
        cmek_retry::policy::HTTP_TRANSIENT
            .with_min_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_millis(50)),
    )
}

/// The demo officer's client on a sandbox.
pub async fn sandbox_client(sb: &cmek_sandbox::SandboxHandle) -> AwsClient {
    client(
        &sb.endpoints().aws,
        cmek_sandbox::AWS_ACCESS_KEY_ID,
        cmek_sandbox::AWS_SECRET_ACCESS_KEY,
        cmek_sandbox::AWS_REGION,
    )
    .await
}

/// Remembers every intent and outcome.
#[derive(Default)]
pub struct Recorder {
    pub intents: Mutex<Vec<(String, Value)>>,
    pub outcomes: Mutex<Vec<(i64, bool)>>,
}

impl WriteObserver for Recorder {
    fn before(&self, call: &WriteCall<'_>) -> cmek_core::Result<i64> {
        let mut i = self.intents.lock().unwrap();
        i.push((
            call.url.to_owned(),
            call.body.cloned().unwrap_or(Value::Null),
        ));
        Ok(i.len() as i64)
    }
    fn after(&self, token: i64, outcome: Result<&Value, &Error>) {
        self.outcomes.lock().unwrap().push((token, outcome.is_ok()));
    }
}

/// Starts a fresh moto for `account` (the sandbox crate's harness); `None` only when it is not
/// installed and `CMEK_DESK_ALLOW_MISSING=1`, a failure with the install hint otherwise.
pub fn start_moto(account: &str) -> Option<cmek_sandbox::moto::Moto> {
    cmek_sandbox::moto::start_or_fail(account)
}
