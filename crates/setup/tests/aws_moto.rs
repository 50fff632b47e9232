//! The AWS side of the setup against moto in server mode (a reference no one here wrote): the
//! same plan runs there and on the sandbox's fake, and the flow and the AWS write counts must
//! agree, including zero writes on re-apply. moto neither enforces principals nor simulates
//! CockroachDB, so the CockroachDB steps are left out and principals are not compared.

mod aws_common;
mod common;

use aws_common::{apply_with, request, sandbox_aws, CLUSTER};
use cmek_aws::AwsClient;
use cmek_core::aws::plan::{AwsKeyLayout, AwsStepKind};
use cmek_core::plan::{ApplyEvent, StepOutcome};
use cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID;
use cmek_setup::{ApplyControl, Connection};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto(Child, String);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `python3 -m moto.server` on a free loopback port (scripts/test.sh installs moto[server]);
/// `None` only with `CMEK_SKIP_MOTO=1` when it is missing.
fn start_moto() -> Option<Moto> {
    let ok = Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert_eq!(std::env::var("CMEK_SKIP_MOTO").as_deref(), Ok("1"), "moto is not installed: python3 -m pip install 'moto[server]' (scripts/test.sh does it), or CMEK_SKIP_MOTO=1");
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
        .env("MOTO_ACCOUNT_ID", AWS_CUSTOMER_ACCOUNT_ID)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto(child, format!("http://127.0.0.1:{port}")))
}

/// Plans and applies the AWS steps only; returns (AWS writes, outcomes by step kind).
async fn aws_steps(
    conn: &Connection,
    aws: &AwsClient,
    layout: AwsKeyLayout,
) -> (u32, Vec<(AwsStepKind, StepOutcome)>) {
    let mut plan = cmek_setup::plan_aws(conn, aws, request(conn, layout).await)
        .await
        .expect("plan");
    plan.steps
        .retain(|s| !matches!(s.kind, AwsStepKind::EnableCmek | AwsStepKind::WaitForCmek));
    let before = aws.write_calls();
    let (r, events) = apply_with(conn, aws, &plan, &ApplyControl::default(), |_| {}).await;
    r.expect("apply");
    let kinds: std::collections::HashMap<_, _> =
        plan.steps.iter().map(|s| (s.id.clone(), s.kind)).collect();
    let outcomes = events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            ApplyEvent::StepFinished {
                step_id, outcome, ..
            } => Some((kinds[&step_id], outcome)),
            _ => None,
        })
        .collect();
    (aws.write_calls() - before, outcomes)
}

#[tokio::test]
async fn the_aws_steps_agree_with_moto() {
    for layout in [
        AwsKeyLayout::KeyPerRegion,
        AwsKeyLayout::MultiRegion {
            primary_region: "us-east-1".into(),
        },
    ] {
        let Some(moto) = start_moto() else { return };
        let sb = common::sandbox().await;
        sb.add_cluster_region(CLUSTER, "us-west-2");
        let conn = common::connect(&sb).await;
        let on_sandbox = sandbox_aws(&sb).await;
        let on_moto = aws_common::aws_client(&moto.1, "testing", "testing").await;
        let (sandbox_writes, sandbox_outcomes) =
            aws_steps(&conn, &on_sandbox, layout.clone()).await;
        let (moto_writes, moto_outcomes) = aws_steps(&conn, &on_moto, layout.clone()).await;
        assert_eq!(
            moto_outcomes, sandbox_outcomes,
            "{layout:?}: the same steps end the same way"
        );
        assert_eq!(moto_writes, sandbox_writes, "{layout:?}: AWS writes");
        println!("{layout:?}: {sandbox_writes} AWS writes on the sandbox and on moto");
        // Re-apply: zero writes on both. Not for the multi-Region layout on moto: moto 5.2.1
        // keeps one alias table per account for a multi-Region key and its replicas (an alias
        // made in the replica's region re-points the primary region's alias), where AWS keeps
        // aliases per region; the sandbox follows AWS.
        let (again, _) = aws_steps(&conn, &on_sandbox, layout.clone()).await;
        assert_eq!(again, 0, "{layout:?}");
        if matches!(layout, AwsKeyLayout::KeyPerRegion) {
            let (again_moto, _) = aws_steps(&conn, &on_moto, layout.clone()).await;
            assert_eq!(again_moto, 0, "{layout:?}");
        }
    }
}
