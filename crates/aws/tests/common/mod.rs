//! Test harness: an `AwsClient` on the sandbox's AWS endpoint or on moto in server mode, and a
//! write observer that records what it is told.
#![allow(dead_code)]

use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::observe::{WriteCall, WriteObserver};
use cmek_core::{Error, Secret};
use serde_json::Value;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// The pinned moto version (scripts/lib.sh `MOTO_VERSION`).
pub const MOTO_VERSION: &str = "5.2.1";

/// A running `python3 -m moto.server` (killed on drop).
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto for `account` on a free loopback port; `None` only when it is not installed
/// and `CMEK_SKIP_MOTO=1` (scripts/test.sh installs it).
pub fn start_moto(account: &str) -> Option<Moto> {
    let installed = Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert_eq!(
            std::env::var("CMEK_SKIP_MOTO").as_deref(),
            Ok("1"),
            "moto is not installed: python3 -m pip install 'moto[server]=={MOTO_VERSION}' (scripts/test.sh does it), or CMEK_SKIP_MOTO=1"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .env("MOTO_ACCOUNT_ID", account)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}
