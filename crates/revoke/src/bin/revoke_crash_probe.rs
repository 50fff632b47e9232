//! Test probe: performs one revocation against a sandbox (or any endpoints) and, when
//! `CMEK_REVOKE_PAUSE_AFTER` names a step (`snapshot`, `removeAccess`, `callRevoke`), prints
//! `PAUSED {operation_id}` once that step has finished and its outcome is in the activity log,
//! then hangs so the test can SIGKILL it there. Used by `tests/crash_resume.rs`.
//!
//! Environment: `CMEK_PROBE_BASE` (sandbox base URL, no trailing slash), `CMEK_PROBE_DB`
//! (activity database path), `CMEK_PROBE_CLUSTER`, `CMEK_PROBE_CONFIRM`, `CMEK_PROBE_LEVER`
//! (`TOKEN_CREATOR`…), `CMEK_PROBE_GOOGLE_TOKEN`, `CMEK_PROBE_COCKROACH_KEY`.

use std::io::Write;
use std::sync::Arc;

use cmek_activity::ActivityLog;
use cmek_cockroach::CockroachClient;
use cmek_core::Secret;
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken};
use cmek_revoke::{
    revoke, Lever, RevokeContext, RevokeControl, RevokeEvent, RevokeRequest, RevokeTiming,
};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let base = var("CMEK_PROBE_BASE");
    let endpoints = GoogleEndpoints::single_server(&base);
    let tokens = Arc::new(StaticToken::new(
        Secret::new(var("CMEK_PROBE_GOOGLE_TOKEN")),
        "user:officer@example.com",
    ));
    let google = Google::new(GoogleHttp::new(tokens), &endpoints);
    let cockroach = CockroachClient::new(
        &format!("{base}/cockroach/"),
        Secret::new(var("CMEK_PROBE_COCKROACH_KEY")),
    );
    let ctx = RevokeContext::new(google, cockroach, "user:officer@example.com")
        .with_timing(RevokeTiming::fast());
    let log = ActivityLog::open(var("CMEK_PROBE_DB")).expect("open activity log");
    let lever: Lever =
        serde_json::from_value(serde_json::Value::String(var("CMEK_PROBE_LEVER"))).expect("lever");
    let req = RevokeRequest {
        cluster_id: var("CMEK_PROBE_CLUSTER"),
        lever,
        confirm_name: var("CMEK_PROBE_CONFIRM"),
    };
    let pause = std::env::var("CMEK_REVOKE_PAUSE_AFTER").ok();
    let op = std::sync::Mutex::new(String::new());
    let sink = move |e: RevokeEvent| match e {
        RevokeEvent::OperationStarted { operation_id, .. } => *op.lock().unwrap() = operation_id,
        RevokeEvent::StepFinished { step, .. } => {
            let name = serde_json::to_value(step)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            if name.is_some() && name == pause {
                println!("PAUSED {}", op.lock().unwrap());
                std::io::stdout().flush().ok();
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                }
            }
        }
        _ => {}
    };
    match revoke(&ctx, &log, &req, &RevokeControl::default(), &sink).await {
        Ok(r) => println!("DONE {} {}", r.operation_id, r.cmek_status),
        Err(e) => {
            println!("ERROR {:?} {}", e.code, e.message);
            std::process::exit(1);
        }
    }
}
