//! One module per command; [`run`] dispatches. Commands that talk to the clouds first
//! [`connect`] (in-process sandbox, a sandbox at a URL, or live with the stored credentials);
//! [`resolve_cluster`] turns the CLUSTER argument (a name or an id) into a cluster.

mod activity;
mod add_region;
mod apply;
mod audit;
mod aws_output;
mod aws_setup;
mod change_flow;
mod clusters;
mod completions;
mod drift;
mod login;
mod login_aws;
mod plan;
mod revoke;
mod rotate;
mod sandbox;
mod status;

use crate::args::{Cli, Command};
use crate::exit::{invalid, Outcome};
use crate::output::Out;
use cmek_core::cockroach::Cluster;
use cmek_core::plan::ConnectionInfo;
use cmek_core::{ErrorCode, Result};
use cmek_desk_core::Desk;

/// Runs the command `cli` names.
pub async fn run(cli: Cli, out: &Out) -> Outcome {
    let target = Target {
        sandbox: cli.sandbox,
        sandbox_url: cli.sandbox_url,
    };
    match cli.command {
        Command::Completions { shell } => completions::run(shell),
        Command::Sandbox(cmd) => sandbox::run(cmd, out).await,
        Command::Login(login) => login::run(&Desk::default(), login, out).await,
        Command::Logout { which } => login::logout(&Desk::default(), which, out).await,
        Command::Activity => activity::run(&Desk::default(), out),
        Command::Pending => activity::pending(&Desk::default(), out),
        command => {
            let desk = Desk::default();
            connect(&desk, &target).await?;
            run_connected(&desk, command, out).await
        }
    }
}

/// The commands that talk to the clouds, once connected.
async fn run_connected(desk: &Desk, command: Command, out: &Out) -> Outcome {
    match command {
        Command::Clusters => clusters::run(desk, out).await,
        Command::Plan(a) => plan::run(desk, a, out).await,
        Command::Apply(a) => apply::run(desk, a, out).await,
        Command::Status(a) => status::run(desk, a, out).await,
        Command::Rotate(a) => rotate::run(desk, a, out).await,
        Command::AddRegion(a) => add_region::run(desk, a, out).await,
        Command::Audit(a) => audit::run(desk, a, out).await,
        Command::Revoke(a) => revoke::run(desk, a, out).await,
        Command::Drift(c) => drift::run(desk, c, out).await,
        Command::Recover { operation_id } => revoke::recover(desk, &operation_id, out).await,
        Command::Finish { operation_id } => revoke::finish(desk, &operation_id, out).await,
        Command::Login(_)
        | Command::Logout { .. }
        | Command::Activity
        | Command::Pending
        | Command::Sandbox(_)
        | Command::Completions { .. } => unreachable!("run without a connection"),
    }
}

/// Which clouds to talk to (global flags).
struct Target {
    sandbox: bool,
    sandbox_url: Option<String>,
}

/// Connects the Desk: `--sandbox` wins over `--sandbox-url`/`CMEK_SANDBOX_URL`, else live.
async fn connect(desk: &Desk, target: &Target) -> Result<ConnectionInfo> {
    if target.sandbox {
        desk.connect_sandbox().await
    } else if let Some(url) = target
        .sandbox_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        desk.connect_external_sandbox(url).await
    } else {
        match desk.connect_live().await {
            // Not signed in because the keychain cannot be read: say that, with its fix.
            Err(e) if e.code == ErrorCode::Unauthenticated => {
                Err(desk.session_status().await.keychain_error.unwrap_or(e))
            }
            other => other,
        }
    }
}

/// The cluster named `arg`: its id (any case) or its exact name.
async fn resolve_cluster(desk: &Desk, arg: &str) -> Result<Cluster> {
    let clusters = desk.list_clusters().await?;
    let wanted = arg.trim();
    if let Some(c) = clusters
        .iter()
        .find(|c| c.cluster.id.eq_ignore_ascii_case(wanted))
    {
        return Ok(c.cluster.clone());
    }
    let named: Vec<&Cluster> = clusters
        .iter()
        .map(|c| &c.cluster)
        .filter(|c| c.name == wanted)
        .collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(invalid(
            "CLUSTER",
            format!("no cluster is named \"{wanted}\" or has that id (`cmek clusters` lists them)"),
        )),
        several => Err(invalid(
            "CLUSTER",
            format!(
                "{} clusters are named \"{wanted}\"; give the id instead ({})",
                several.len(),
                several
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
