//! The command line's grammar (clap derive): global flags, every subcommand and its flags, the
//! value parsers that check a flag's value locally (so a bad value exits 2 naming the flag and
//! the rule in the user's units), and the `--help` examples.

use crate::help::{
    APPLY_EXAMPLES, AUDIT_EXAMPLES, EXAMPLES, LOGIN_EXAMPLES, PLAN_EXAMPLES, REVOKE_EXAMPLES,
    STATUS_EXAMPLES,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cmek_audit::Severity;
use cmek_core::input::{self, clap_rule};
use cmek_revoke::Lever;
use std::path::PathBuf;

mod changes;
pub use changes::{AddRegionArgs, ApplyChoice, RotateArgs};
mod drift;
pub use drift::{DriftCommand, DriftFixArgs};
#[cfg(test)]
mod fuzz;

/// `cmek`: set up, check, audit and revoke CMEK for CockroachDB Cloud clusters on Google Cloud.
#[derive(Debug, Parser)]
#[command(name = "cmek", version, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// Start the built-in sandbox in this process (its state lasts as long as this command).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Use the sandbox another process runs at URL (`cmek sandbox serve`), http://127.0.0.1:PORT.
    #[arg(long, global = true, env = "CMEK_SANDBOX_URL", value_name = "URL")]
    pub sandbox_url: Option<String>,
    /// Print stable, machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (Google, CockroachDB Cloud API key) or show who is signed in.
    #[command(subcommand, after_help = LOGIN_EXAMPLES)]
    Login(Login),
    /// Sign out of Google and/or forget the CockroachDB Cloud API key (default: both).
    Logout {
        #[arg(value_enum)]
        which: Option<LogoutWhich>,
    },
    /// List the organisation's clusters with their CMEK eligibility and status.
    Clusters,
    /// Show what setting up CMEK for a cluster would do (reads only; --out writes the plan file).
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Apply a reviewed plan file, or plan and apply for CLUSTER with --yes.
    #[command(after_help = APPLY_EXAMPLES)]
    Apply(ApplyArgs),
    /// Rotate a CMEK cluster to a new key (shows the plan; --yes applies; --plan FILE applies a
    /// reviewed plan).
    #[command(after_help = changes::ROTATE_EXAMPLES)]
    Rotate(RotateArgs),
    /// Add a region to a CMEK cluster, with its key (shows the plan; --yes or --plan FILE applies).
    #[command(after_help = changes::ADD_REGION_EXAMPLES)]
    AddRegion(AddRegionArgs),
    /// Show CockroachDB's CMEK status of a cluster and the actions it allows (--wait: until it
    /// settles).
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
    /// Audit the Cloud KMS keys of projects and the clusters that use them.
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(AuditArgs),
    /// Revoke CMEK for a cluster (cuts its access to the key; typed confirmation required).
    #[command(after_help = REVOKE_EXAMPLES)]
    Revoke(RevokeArgs),
    /// Drift of the keys and service accounts CockroachDB uses: list it, or fix one finding.
    #[command(subcommand, after_help = drift::DRIFT_EXAMPLES)]
    Drift(DriftCommand),
    /// Restore exactly what a revocation removed, from its recovery snapshot.
    Recover {
        /// The revocation's operation id (printed by `cmek revoke`, listed by `cmek activity`).
        #[arg(value_parser = record_id)]
        operation_id: String,
    },
    /// Finish a revocation a crash interrupted (listed by `cmek pending`): remove what is left,
    /// REVOKE if not yet accepted, wait and verify.
    Finish {
        /// The interrupted revocation's operation id (listed by `cmek pending`).
        #[arg(value_parser = record_id)]
        operation_id: String,
    },
    /// List the activity log (every change, sign-in, connection and export), oldest first.
    Activity,
    /// List the operations a crash interrupted, each with what finishes or rolls it back.
    Pending,
    /// Run the local sandbox for other `cmek` commands (--sandbox-url) or the app.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum Login {
    /// Sign in with Google in the system browser (the refresh token goes to the OS keychain).
    Google {
        /// Do not open a browser: print the sign-in link to open yourself.
        #[arg(long)]
        no_browser: bool,
    },
    /// Save a CockroachDB Cloud API key, read from stdin (one line, never echoed).
    Cockroach,
    /// Prove AWS credentials: the standard chain (environment, --profile, SSO), or access keys
    /// read from stdin (two lines, never echoed) and kept in the OS keychain (--access-keys).
    Aws {
        /// A named profile of the AWS CLI's config (standard chain).
        #[arg(long, value_name = "PROFILE", conflicts_with = "access_keys")]
        profile: Option<String>,
        /// Read an access key id and a secret access key from stdin and keep them.
        #[arg(long)]
        access_keys: bool,
    },
    /// Show the Google identity and the CockroachDB organisation in use.
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogoutWhich {
    Google,
    Cockroach,
    /// The AWS access keys in the keychain (only when named).
    Aws,
}

/// What a plan asks for beyond the suggested defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct PlanOptions {
    /// GCP project for the service account and the keys [default: the first suitable one].
    #[arg(long, value_name = "PROJECT", value_parser = project_id)]
    pub project: Option<String>,
    /// A separate GCP project for the key rings and keys, the fix for the audit's C12
    /// (separation of duties): a project no person owns, where you hold Cloud KMS Admin; the
    /// service account stays in --project [default: the keys go in --project].
    #[arg(long, value_name = "PROJECT", value_parser = project_id)]
    pub key_project: Option<String>,
    /// One key per cluster region, each in its region (the default for several regions).
    #[arg(long, group = "layout")]
    pub key_per_region: bool,
    /// One key in the cluster's only region (single-region clusters).
    #[arg(long, group = "layout")]
    pub same_key: bool,
    /// One key for every region, in a multi-region location (`us`, `europe`, `global`, …).
    #[arg(long, group = "layout", value_name = "LOC", value_parser = location)]
    pub multi_region: Option<String>,
    /// Keys with HSM protection (default: software).
    #[arg(long)]
    pub hsm: bool,
    /// Automatic rotation: a number of days (`90d`, 1d-36500d) or `never` [default: 90d].
    #[arg(long, value_name = "PERIOD", value_parser = rotation)]
    pub rotation: Option<Rotation>,
    /// Key ring id [default: cockroachdb-cmek].
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key_ring: Option<String>,
    /// Crypto key id (with --key-per-region each key is ID-REGION) [default: crdb-SUFFIX].
    #[arg(long, value_name = "ID", value_parser = kms_id)]
    pub key: Option<String>,
    /// Customer service account id [default: crdb-cmek-SUFFIX].
    #[arg(long, value_name = "ID", value_parser = service_account_id)]
    pub service_account: Option<String>,
    /// AWS clusters: the IAM role CockroachDB assumes [default: crdb-cmek-SUFFIX].
    #[arg(long, value_name = "NAME", value_parser = role_name)]
    pub role_name: Option<String>,
    /// AWS clusters: the KMS alias of the key(s) [default: alias/crdb-cmek-SUFFIX].
    #[arg(long, value_name = "ALIAS", value_parser = key_alias)]
    pub key_alias: Option<String>,
    /// AWS clusters: one multi-Region key, its primary in REGION [default: the cluster's primary
    /// region] and a replica in each other cluster region (instead of one key per region).
    #[arg(long, group = "layout", value_name = "REGION", num_args = 0..=1, default_missing_value = "", value_parser = aws_region_or_default)]
    pub multi_region_key: Option<String>,
    /// AWS clusters: allow rewriting an existing role's trust policy that lacks CockroachDB's
    /// account or its sts:ExternalId condition (every other statement is kept).
    #[arg(long)]
    pub fix_trust: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The cluster's name or id.
    #[arg(value_parser = cluster_ref)]
    pub cluster: String,
    #[command(flatten)]
    pub options: PlanOptions,
    /// Also write the plan (with its id and digest) to FILE, for `cmek apply --plan FILE`.
    #[arg(long, value_name = "FILE", value_parser = file_path)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan file written by `cmek plan --out` (refused if edited or if the world changed).
    #[arg(long, value_name = "FILE", value_parser = file_path, conflicts_with_all = ["cluster", "yes", "PlanOptions"])]
    pub plan: Option<PathBuf>,
    /// The cluster's name or id (plans with the flags below, then applies; needs --yes).
    #[arg(required_unless_present = "plan", value_parser = cluster_ref)]
    pub cluster: Option<String>,
    /// Apply without a reviewed plan file.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub options: PlanOptions,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cluster's name or id.
    #[arg(value_parser = cluster_ref)]
    pub cluster: String,
    /// Poll until the cluster and every region reach a settled status.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after SECONDS.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1800,
        value_parser = timeout_secs,
        requires = "wait"
    )]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Project ids to scan (several after the flag, the flag repeated, or comma-separated).
    #[arg(long = "project", value_name = "P", required_unless_present_any = ["organization", "folder"], conflicts_with_all = ["organization", "folder"], num_args = 1.., value_delimiter = ',', value_parser = project_id)]
    pub projects: Vec<String>,
    /// Output format [default: table; with --out, from the file's extension; with --json, json].
    #[arg(long, value_enum)]
    pub format: Option<AuditFormat>,
    /// Write the report to FILE (stdout then gets a summary).
    #[arg(long, value_name = "FILE", value_parser = file_path)]
    pub out: Option<PathBuf>,
    /// Exit 3 when FAIL findings of this severity or higher exist.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Cloud KMS read calls per minute per project (the quota is 300 by default).
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = reads_per_minute)]
    pub reads_per_minute: u32,
    /// AWS regions whose KMS keys to audit (several after the flag, repeated, or comma-separated)
    /// [default: the regions of the organization's AWS clusters' keys].
    #[arg(long = "aws-region", value_name = "R", num_args = 1.., value_delimiter = ',', value_parser = aws_region)]
    pub aws_regions: Vec<String>,
    /// Scan every active project of this organization (numeric id) instead of --project.
    #[arg(long, value_name = "ID", conflicts_with = "folder", value_parser = scope_id)]
    pub organization: Option<String>,
    /// Scan every active project of this folder (numeric id) instead of --project.
    #[arg(long, value_name = "ID", value_parser = scope_id)]
    pub folder: Option<String>,
    /// Read Cloud KMS key by key (the crawl) even when Cloud Asset Inventory may be used.
    #[arg(long)]
    pub crawl: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Csv,
    Html,
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
}

impl FailOn {
    /// The lowest severity that counts.
    pub fn severity(self) -> Severity {
        match self {
            Self::Critical => Severity::Critical,
            Self::High => Severity::High,
            Self::Medium => Severity::Medium,
            Self::Low => Severity::Low,
        }
    }
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The cluster's name or id.
    #[arg(value_parser = cluster_ref)]
    pub cluster: String,
    /// How access is cut. Google Cloud clusters: token-creator (this cluster only; the default),
    /// key-access (every cluster using the service account with the key), disable-sa (every
    /// cluster using the service account). AWS clusters: key-policy (remove the role's statement
    /// from the key policy: every cluster using the key through the role; the default),
    /// role-trust (remove CockroachDB's account from the role's trust: every cluster using the
    /// role). Without it, the cluster's cloud's default lever.
    #[arg(long, value_enum)]
    pub lever: Option<LeverArg>,
    /// The cluster's exact name, typed to confirm.
    #[arg(long, value_name = "CLUSTER_NAME", required = true, value_parser = confirm_text)]
    pub confirm: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LeverArg {
    TokenCreator,
    KeyAccess,
    DisableSa,
    KeyPolicy,
    RoleTrust,
}

/// The `--lever` value of a lever (as typed on the command line).
pub fn lever_flag(l: Lever) -> &'static str {
    match l {
        Lever::TokenCreator => "token-creator",
        Lever::EncrypterDecrypter => "key-access",
        Lever::DisableServiceAccount => "disable-sa",
        Lever::KeyPolicyStatement => "key-policy",
        Lever::RoleTrust => "role-trust",
    }
}

impl From<LeverArg> for Lever {
    fn from(l: LeverArg) -> Self {
        match l {
            LeverArg::TokenCreator => Lever::TokenCreator,
            LeverArg::KeyAccess => Lever::EncrypterDecrypter,
            LeverArg::DisableSa => Lever::DisableServiceAccount,
            LeverArg::KeyPolicy => Lever::KeyPolicyStatement,
            LeverArg::RoleTrust => Lever::RoleTrust,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox (demo and audit organisations) on 127.0.0.1 until Ctrl-C; the first
    /// line on stdout is its URL.
    Serve {
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// No simulated delays (IAM propagation, CMEK transitions, latency): for tests.
        #[arg(long)]
        fast: bool,
        /// Requests and answers that break the API contracts: off (not checked), record
        /// (answered as the real API would, logged as a warning and listed at
        /// {URL}/_sandbox/spec-findings) or fail (as record, and the sandbox exits with code 1
        /// naming them when it stops: for tests).
        #[arg(long, value_name = "MODE", default_value_t = cmek_sandbox::SpecGuard::Record)]
        spec_guard: cmek_sandbox::SpecGuard,
    },
}

/// `--rotation`: automatic rotation every N days, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Days(u32),
    Never,
}

/// The longest rotation period Cloud KMS accepts, in days (876,000 hours).
pub const MAX_ROTATION_DAYS: u32 = 36_500;

fn rotation(s: &str) -> Result<Rotation, String> {
    let rule = "use a whole number of days from 1d to 36500d (e.g. 90d), or `never`";
    if s.eq_ignore_ascii_case("never") {
        return Ok(Rotation::Never);
    }
    let days = s
        .strip_suffix('d')
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| rule.to_owned())?;
    if !(1..=MAX_ROTATION_DAYS).contains(&days) {
        return Err(format!("{rule}; {days}d is out of range"));
    }
    Ok(Rotation::Days(days))
}

/// The rule of a `cmek_core::names` validator, without its field prefix (clap names the flag).
fn rule_of(r: cmek_core::Result<()>) -> Result<(), String> {
    r.map_err(|e| {
        e.message
            .split_once(": ")
            .map_or(e.message.clone(), |(_, rule)| rule.to_owned())
    })
}

fn project_id(s: &str) -> Result<String, String> {
    rule_of(cmek_core::names::validate_project_id("", s)).map(|()| s.to_owned())
}

/// An organization or folder id: 1 to 32 digits (Resource Manager ids are numeric).
fn scope_id(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("must be the numeric id (digits only), e.g. 123456789012".to_owned())
    }
}

fn kms_id(s: &str) -> Result<String, String> {
    rule_of(cmek_core::names::validate_kms_id("", s)).map(|()| s.to_owned())
}

fn service_account_id(s: &str) -> Result<String, String> {
    rule_of(cmek_core::names::validate_service_account_id("", s)).map(|()| s.to_owned())
}

fn role_name(s: &str) -> Result<String, String> {
    rule_of(cmek_core::aws::arn::validate_role_name("", s)).map(|()| s.to_owned())
}

fn key_alias(s: &str) -> Result<String, String> {
    cmek_core::aws::arn::normalize_alias("", s).map_err(|e| {
        e.message
            .split_once(": ")
            .map_or(e.message.clone(), |(_, rule)| rule.to_owned())
    })
}

fn location(s: &str) -> Result<String, String> {
    rule_of(cmek_core::names::validate_location("", s)).map(|()| s.to_owned())
}

// Positional and free-form values, parsed into `cmek_core::input` types (the rule only: clap
// names the argument).

/// A cluster's name or UUID (1-100 characters, no control characters; trimmed).
pub(crate) fn cluster_ref(s: &str) -> Result<String, String> {
    clap_rule::<input::ClusterRef>(s).map(input::ClusterRef::into_inner)
}

/// A plan or operation id the app printed (a UUID).
pub(crate) fn record_id(s: &str) -> Result<String, String> {
    clap_rule::<input::RecordId>(s).map(input::RecordId::into_inner)
}

/// A typed confirmation (at most 200 characters, no control characters).
pub(crate) fn confirm_text(s: &str) -> Result<String, String> {
    clap_rule::<input::ConfirmText>(s).map(input::ConfirmText::into_inner)
}

/// A file path (1-4096 bytes, no NUL or line break).
pub(crate) fn file_path(s: &str) -> Result<PathBuf, String> {
    clap_rule::<input::FilePath>(s).map(|p| p.to_path_buf())
}

fn aws_region(s: &str) -> Result<String, String> {
    clap_rule::<input::AwsRegion>(s).map(input::AwsRegion::into_inner)
}

/// `--multi-region-key` without a value means "the cluster's primary region".
fn aws_region_or_default(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Ok(String::new())
    } else {
        aws_region(s)
    }
}

fn timeout_secs(s: &str) -> Result<u64, String> {
    input::ScanLimit::parse("", s, input::ScanLimit::TIMEOUT_SECS)
        .map(input::ScanLimit::get)
        .map_err(|e| input::rule_only(&e))
}

fn reads_per_minute(s: &str) -> Result<u32, String> {
    input::ScanLimit::parse("", s, input::ScanLimit::READS_PER_MINUTE)
        .map(|n| n.get() as u32)
        .map_err(|e| input::rule_only(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rotation_accepts_days_and_never_only() {
        assert_eq!(rotation("90d"), Ok(Rotation::Days(90)));
        assert_eq!(rotation("never"), Ok(Rotation::Never));
        for bad in ["5x", "90", "0d", "36501d", "-1d", "d"] {
            let e = rotation(bad).unwrap_err();
            assert!(e.contains("number of days"), "{bad}: {e}");
        }
    }

    #[test]
    fn validators_keep_the_rule_and_drop_the_core_field_name() {
        let e = kms_id("bad id!").unwrap_err();
        assert!(e.starts_with("must be 1-63 characters"), "{e}");
        assert!(project_id("cmek-demo-project").is_ok());
    }
}
