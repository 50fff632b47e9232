//! The grammar of the after-day-one commands (issue 10): `cmek rotate` and `cmek add-region`.
//! Each plans by default (reads only; `--out FILE` keeps the plan), applies with `--yes`, or
//! applies a reviewed plan file with `--plan FILE`, like `cmek plan` / `cmek apply`.

use super::{kms_id, location, project_id, rotation, Rotation};
use clap::Args;
use std::path::PathBuf;

pub const ROTATE_EXAMPLES: &str = "\
Examples:
  cmek rotate prod-payments --key-ring cockroachdb-cmek --key payments-2026 --out rotate.json
  cmek rotate --plan rotate.json                  apply the reviewed plan (refused if edited or stale)
  cmek rotate global-ledger --key ledger-next --yes      one key per region, as now
The old key is kept: CockroachDB still needs it to decrypt. Never disable or destroy it.";

pub const ADD_REGION_EXAMPLES: &str = "\
Examples:
  cmek add-region prod-payments --region us-west1 --nodes 3 --out add.json
  cmek add-region --plan add.json                 apply the reviewed plan
  cmek add-region global-ledger --region asia-east1 --yes
The region's key is created (or the cluster's key reused when its location covers the region)
and granted before CockroachDB is asked to add the region.";

/// What applying does: plan only, apply now, or apply a reviewed file.
#[derive(Debug, Clone, Args)]
pub struct ApplyChoice {
    /// Also write the plan (with its id and digest) to FILE, for `--plan FILE`.
    #[arg(long, value_name = "FILE", conflicts_with = "plan", value_parser = super::file_path)]
    pub out: Option<PathBuf>,
    /// Apply right after planning (without it, the plan is only shown).
    #[arg(long, conflicts_with = "plan")]
    pub yes: bool,
    /// Apply a plan file written with --out (refused if edited or if the world changed).
    #[arg(long, value_name = "FILE", value_parser = super::file_path)]
    pub plan: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The cluster's name or id.
    #[arg(required_unless_present = "plan", conflicts_with = "plan", value_parser = super::cluster_ref)]
    pub cluster: Option<String>,
    /// Key ring of the new key(s) [default: the current key's].
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key_ring: Option<String>,
    /// Id of the new key; with one key per region each is ID-REGION [default: the current id
    /// and today's date]. An existing key of that name is adopted.
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key: Option<String>,
    /// GCP project of the new key(s) [default: the current key's].
    #[arg(long, value_name = "PROJECT", value_parser = project_id)]
    pub project: Option<String>,
    /// One new key per cluster region, each in its region [default: as now].
    #[arg(long, conflicts_with = "single_key")]
    pub key_per_region: bool,
    /// One new key for every region, in LOC (a region, `global`, `us`, `europe`, …).
    #[arg(long, value_name = "LOC", value_parser = location)]
    pub single_key: Option<String>,
    /// New keys with HSM protection [default: as the current key].
    #[arg(long)]
    pub hsm: bool,
    /// Automatic rotation of new keys: days (`90d`) or `never` [default: as the current key].
    #[arg(long, value_name = "PERIOD", value_parser = rotation)]
    pub rotation: Option<Rotation>,
    #[command(flatten)]
    pub apply: ApplyChoice,
}

#[derive(Debug, Args)]
pub struct AddRegionArgs {
    /// The cluster's name or id.
    #[arg(required_unless_present = "plan", conflicts_with = "plan", value_parser = super::cluster_ref)]
    pub cluster: Option<String>,
    /// The region to add (GCP code, e.g. `europe-west1`).
    #[arg(long, value_name = "REGION", value_parser = location, required_unless_present = "plan")]
    pub region: Option<String>,
    /// Nodes in the new region (1-150) [default: as many as the cluster's first region].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=150))]
    pub nodes: Option<i32>,
    /// Project of the region's new key [default: the current key's].
    #[arg(long, value_name = "PROJECT", value_parser = project_id)]
    pub project: Option<String>,
    /// Key ring of the region's new key [default: the current key's].
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key_ring: Option<String>,
    /// Id of the region's new key [default: the current key's id with -REGION].
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key: Option<String>,
    #[command(flatten)]
    pub apply: ApplyChoice,
}
