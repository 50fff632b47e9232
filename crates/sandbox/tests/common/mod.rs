//! Shared helpers for the sandbox's HTTP-level tests: start a sandbox and call it with reqwest.
#![allow(dead_code)]

pub mod crdb;

use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, COCKROACH_API_VERSION, DEFAULT_COCKROACH_KEY,
    DEFAULT_GOOGLE_TOKEN,
};
use reqwest::Method;
use serde_json::Value;

pub const P: &str = "cmek-demo-project";

pub struct Api {
    pub sb: SandboxHandle,
    pub http: reqwest::Client,
    pub token: String,
}

pub async fn start() -> Api {
    start_with(SandboxConfig::for_tests()).await
}

pub async fn start_with(cfg: SandboxConfig) -> Api {
    let sb = Sandbox::start(cfg).await;
    Api {
        sb,
        http: reqwest::Client::new(),
        token: DEFAULT_GOOGLE_TOKEN.to_string(),
    }
}

impl Api {
    /// Calls `{base}/{path}` (path includes the service prefix, e.g. `kms/v1/...`).
    pub async fn google(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.google_as(&self.token.clone(), method, path, body)
            .await
    }

    pub async fn google_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}/{path}", self.sb.base_url()))
            .bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("send");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_string());
        assert_eq!(ct.as_deref(), Some("application/json; charset=UTF-8"));
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn crdb(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .http
            .request(
                method,
                format!("{}cockroach/api/v1/{path}", self.sb.base_url() + "/"),
            )
            .bearer_auth(DEFAULT_COCKROACH_KEY)
            .header("Cc-Version", COCKROACH_API_VERSION);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// Every test also checks that the sandbox never produced a response violating the spec.
impl Drop for Api {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let v = self.sb.spec_violations();
            assert!(
                v.is_empty(),
                "sandbox responses violate the API spec: {v:#?}"
            );
        }
    }
}

/// Creates key ring `id` in `location` (answer unchecked: it may exist); returns its name.
pub async fn key_ring(api: &Api, location: &str, id: &str) -> String {
    api.google(
        Method::POST,
        &format!("kms/v1/projects/{P}/locations/{location}/keyRings?keyRingId={id}"),
        Some(serde_json::json!({})),
    )
    .await;
    kr(location, id)
}

pub fn kr(loc: &str, ring: &str) -> String {
    format!("projects/{P}/locations/{loc}/keyRings/{ring}")
}
