//! The grammar of `cmek drift` (issue #10): `list` and `fix FINDING_ID --confirm RESOURCE`.

use clap::{Args, Subcommand};

pub const DRIFT_EXAMPLES: &str = "\
Examples:
  cmek drift list                                   every extra or missing binding, with its id (exit 3 when any)
  cmek drift list --json
  cmek drift fix drift-1f2e3d4c5b6a7980 --confirm drift                                    a key: type its id
  cmek drift fix drift-0a1b2c3d4e5f6789 --confirm crdb-drift@my-prj.iam.gserviceaccount.com a service account: its email
Levels covered: the key's own policy and the service account's own policy.";

#[derive(Debug, Subcommand)]
pub enum DriftCommand {
    /// List the drift of every key and service account the clusters' CMEK specs name, read
    /// now: bindings CockroachDB does not need (extra) and those it needs that are absent
    /// (missing). Exits 3 when there is any.
    List,
    /// Fix one finding: remove exactly that extra binding (or grant the missing one back),
    /// etag-safe and recorded in the activity log.
    Fix(DriftFixArgs),
}

#[derive(Debug, Args)]
pub struct DriftFixArgs {
    /// The finding's id (`drift-…`, from `cmek drift list` or the audit's C15/C16 findings).
    #[arg(value_name = "FINDING_ID", value_parser = finding_id)]
    pub finding_id: String,
    /// Typed to confirm: the key's id (last part of its name), or the service account's email.
    #[arg(long, value_name = "RESOURCE", required = true, value_parser = super::confirm_text)]
    pub confirm: String,
}

/// `drift-` + 16 hex digits (`cmek_core::input::FindingId`).
fn finding_id(s: &str) -> Result<String, String> {
    cmek_core::input::clap_rule::<cmek_core::input::FindingId>(s)
        .map(cmek_core::input::FindingId::into_inner)
}
