//! `cmek status CLUSTER [--wait]`: CockroachDB's CMEK status of a cluster, per region, and the
//! actions the CMEK state machine allows on it (with why not and what to do). With
//! `--wait` it polls until the cluster and every region are settled (ENABLED, DISABLED,
//! REVOKED or a `*_FAILED` status); a failed status then exits 1.

use super::resolve_cluster;
use crate::args::StatusArgs;
use crate::cancel::interruptible;
use crate::exit::{Outcome, FAILED, OK};
use crate::output::{status_tone, Out, Tone};
use crate::progress::Progress;
use cmek_core::cockroach::{classify_status, Cluster, CmekClusterInfo, StatusClass};
use cmek_core::lifecycle::ActionAvailability;
use cmek_core::{Error, ErrorCode, Result};
use cmek_desk_core::Desk;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How often `--wait` reads the status.
const POLL: Duration = Duration::from_secs(1);

/// The JSON of `cmek status`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOutput<'a> {
    cluster_id: &'a str,
    cluster_name: &'a str,
    /// The cluster-level CMEK status (`DISABLED` when CMEK was never enabled).
    status: &'a str,
    /// True when nothing is in progress.
    settled: bool,
    /// CockroachDB's `CMEKClusterInfo` as it answered (snake_case, per the API).
    cmek: &'a CmekClusterInfo,
    /// What the CMEK state machine allows now, with why not and what to do (camelCase).
    allowed_actions: &'a [ActionAvailability],
}

pub async fn run(desk: &Desk, args: StatusArgs, out: &Out) -> Outcome {
    let cluster = resolve_cluster(desk, &args.cluster).await?;
    let mut info = desk.cmek_status(&cluster.id).await?;
    if args.wait && !settled(&info) {
        let progress = Progress::spinner(out, &waiting(&cluster.name, &info));
        let timeout = Duration::from_secs(args.timeout);
        info = interruptible(wait(desk, &cluster, info, timeout, &progress)).await?;
        progress.finish();
    }
    let failed = classify_status(&info.status) == StatusClass::Failed
        || info
            .region_infos
            .iter()
            .any(|r| classify_status(&r.status) == StatusClass::Failed);
    let actions = desk.allowed_actions(&cluster.id).await?;
    if out.json {
        out.print_json(&StatusOutput {
            cluster_id: &cluster.id,
            cluster_name: &cluster.name,
            status: &info.status,
            settled: settled(&info),
            cmek: &info,
            allowed_actions: &actions,
        });
    } else {
        println!(
            "{} ({}): CMEK {}",
            cluster.name,
            cluster.id,
            out.paint(&info.status, status_tone(&info.status))
        );
        print_regions(&info, out);
        print_actions(&actions, out);
    }
    Ok(if args.wait && failed { FAILED } else { OK })
}

/// Polls until [`settled`], or fails with `TIMEOUT` after `timeout`.
async fn wait(
    desk: &Desk,
    cluster: &Cluster,
    mut info: CmekClusterInfo,
    timeout: Duration,
    progress: &Progress,
) -> Result<CmekClusterInfo> {
    let deadline = Instant::now() + timeout;
    while !settled(&info) {
        if Instant::now() >= deadline {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "--timeout: {} is still {} after {} s",
                    cluster.name,
                    info.status,
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(POLL).await;
        info = desk.cmek_status(&cluster.id).await?;
        progress.message(waiting(&cluster.name, &info));
    }
    Ok(info)
}

fn waiting(name: &str, info: &CmekClusterInfo) -> String {
    format!("waiting for {name}: {}", info.status)
}

/// Nothing in progress: the cluster status and every region's are final.
fn settled(info: &CmekClusterInfo) -> bool {
    classify_status(&info.status) != StatusClass::InProgress
        && info
            .region_infos
            .iter()
            .all(|r| classify_status(&r.status) != StatusClass::InProgress)
}

/// One row per region: status, current key and service account, CockroachDB's message.
pub fn print_regions(info: &CmekClusterInfo, out: &Out) {
    if info.region_infos.is_empty() {
        return;
    }
    let mut table = out.table(&["REGION", "STATUS", "KEY", "SERVICE ACCOUNT", "MESSAGE"]);
    for r in &info.region_infos {
        let current = r.current();
        table.add_row(vec![
            out.cell(&r.region, None),
            out.status_cell(&r.status),
            out.cell(
                current.map_or(String::new(), |k| out.fit(&k.spec.uri, 60)),
                None,
            ),
            out.cell(current.map_or("", |k| k.spec.auth_principal.as_str()), None),
            out.cell(current.map_or("", |k| k.user_message.as_str()), None),
        ]);
    }
    out.print_table(&table);
}

/// One row per action: allowed or not, and why not and what to do instead.
fn print_actions(actions: &[ActionAvailability], out: &Out) {
    let mut table = out.table(&["ACTION", "ALLOWED", "WHY NOT / NOTE", "WHAT TO DO"]);
    for a in actions {
        let (allowed, tone) = match a.allowed {
            true => ("yes", Tone::Good),
            false => ("no", Tone::Bad),
        };
        table.add_row(vec![
            out.cell(a.action.label(), None),
            out.cell(allowed, Some(tone)),
            out.cell(
                a.reason.as_deref().or(a.note.as_deref()).unwrap_or(""),
                None,
            ),
            out.cell(a.what_to_do.as_deref().unwrap_or(""), None),
        ]);
    }
    println!();
    out.print_table(&table);
}
