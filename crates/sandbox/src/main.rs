//! `cmek-sandbox` binary: starts the sandbox with the demo configuration and prints its base URL
//! (and the per-service endpoints). `--port N` binds a fixed port; `--tests` uses zero delays.

use std::net::SocketAddr;

use cmek_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(0);
    let config = if args.iter().any(|a| a == "--tests") {
        SandboxConfig::for_tests()
    } else {
        SandboxConfig::demo()
    };
    let handle = match Sandbox::try_start_on(config, SocketAddr::from(([127, 0, 0, 1], port))).await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cmek-sandbox: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", handle.base_url());
    let e = handle.endpoints();
    eprintln!(
        "kms={} iam={} serviceusage={} crm={} cockroach={}",
        e.kms, e.iam, e.serviceusage, e.crm, e.cockroach
    );
    eprintln!(
        "google token: {}  cockroach key: {}",
        cmek_sandbox::DEFAULT_GOOGLE_TOKEN,
        cmek_sandbox::DEFAULT_COCKROACH_KEY
    );
    eprintln!(
        "aws endpoint: {}  access key: {}  secret: {}  account: {}",
        e.aws,
        cmek_sandbox::AWS_ACCESS_KEY_ID,
        cmek_sandbox::AWS_SECRET_ACCESS_KEY,
        cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID
    );
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown();
}
