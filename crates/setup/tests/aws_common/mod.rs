//! Harness of the AWS setup tests: a sandbox (or moto) connection, the AWS client as the demo
//! officer, and plan/apply helpers that collect the events.
#![allow(dead_code)]

use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::aws::plan::{AwsKeyLayout, AwsPlan, AwsSetupRequest};
use cmek_core::plan::{ApplyEvent, ApplyResult};
use cmek_core::{Result, Secret};
use cmek_sandbox::{seed, SandboxHandle, AWS_ACCESS_KEY_ID, AWS_REGION, AWS_SECRET_ACCESS_KEY};
use cmek_setup::{ApplyControl, Connection};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The demo AWS cluster.
pub const CLUSTER: &str = seed::AWS_CLUSTER_ID;

/// An AWS client with static keys on `endpoint`, short retry waits.
pub async fn aws_client(endpoint: &str, key: &str, secret: &str) -> AwsClient {
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: key.to_owned(),
        secret_access_key: Secret::new(secret),
        session_token: None,
    })
    .with_endpoint(endpoint)
    .with_region(AWS_REGION);
    AwsClient::connect(options).await.with_retry_policy(
        cmek_retry::policy::HTTP_TRANSIENT
            .with_min_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_millis(50)),
    )
}

/// The demo officer on a sandbox.
pub async fn sandbox_aws(sb: &SandboxHandle) -> AwsClient {
    aws_client(
        &sb.endpoints().aws,
        AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY,
    )
    .await
}

/// The suggested request for the demo AWS cluster, with `layout`.
pub async fn request(conn: &Connection, layout: AwsKeyLayout) -> AwsSetupRequest {
    let mut r = cmek_setup::suggest_aws_request(conn, CLUSTER)
        .await
        .expect("suggest");
    r.layout = layout;
    r
}

/// Events of one apply.
#[derive(Default, Clone)]
pub struct Events(pub Arc<Mutex<Vec<ApplyEvent>>>);

impl Events {
    pub fn all(&self) -> Vec<ApplyEvent> {
        self.0.lock().unwrap().clone()
    }
    pub fn notes(&self) -> Vec<String> {
        self.all()
            .into_iter()
            .filter_map(|e| match e {
                ApplyEvent::StepProgress { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }
}

/// Applies `plan`, collecting events; `also` sees every event first.
pub async fn apply_with(
    conn: &Connection,
    aws: &AwsClient,
    plan: &AwsPlan,
    control: &ApplyControl,
    also: impl Fn(&ApplyEvent) + Send + Sync,
) -> (Result<ApplyResult>, Events) {
    let events = Events::default();
    let sink = {
        let events = events.clone();
        move |e: ApplyEvent| {
            also(&e);
            events.0.lock().unwrap().push(e);
        }
    };
    let r = cmek_setup::apply_aws(conn, aws, plan, control, &sink).await;
    (r, events)
}

/// Plans `request` and applies it.
pub async fn plan_and_apply(
    conn: &Connection,
    aws: &AwsClient,
    request: AwsSetupRequest,
) -> (AwsPlan, Result<ApplyResult>, Events) {
    let plan = cmek_setup::plan_aws(conn, aws, request)
        .await
        .expect("plan");
    let (r, events) = apply_with(conn, aws, &plan, &ApplyControl::default(), |_| {}).await;
    (plan, r, events)
}
