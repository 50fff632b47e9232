//! The scenarios of the fault campaign: which operation runs under the fault plan, what is set
//! up cleanly before it, which field reports it stands for, and the plan drawn for it.

use cmek_sandbox::{FaultKind, FaultPlan, FaultRule, RandomPlan, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// The operation a schedule runs under faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Guided setup of the single-region cluster (from nothing).
    Setup,
    /// Rotation to a new key after a clean setup.
    Rotate,
    /// Revocation (encrypter/decrypter lever) after a clean setup.
    Revoke,
    /// Recovery of a clean revocation.
    Recover,
    /// "Disable all versions" on the key after a clean setup, with version 1 already
    /// scheduled for destruction by someone else (B04).
    DisableVersions,
    /// AWS setup of the sandbox's AWS cluster from nothing: role with ExternalId trust, key,
    /// alias, rotation, key policy, CMEK.
    AwsSetup,
    /// AWS setup adopting a key the KMS team made, whose key policy holds their statements.
    AwsSetupAdopt,
    /// AWS revocation by the key-policy lever (`key-policy` in the CLI) after a clean setup.
    AwsRevokeKey,
    /// AWS revocation by the trust lever (`role-trust` in the CLI) after a clean setup.
    AwsRevokeTrust,
    /// Recovery of a clean key-policy revocation.
    AwsRecoverKey,
    /// Recovery of a clean trust revocation.
    AwsRecoverTrust,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Setup => "setup",
            Op::Rotate => "rotate",
            Op::Revoke => "revoke",
            Op::Recover => "recover",
            Op::DisableVersions => "disable_versions",
            Op::AwsSetup => "aws_setup",
            Op::AwsSetupAdopt => "aws_setup_adopt",
            Op::AwsRevokeKey => "aws_revoke_key_policy",
            Op::AwsRevokeTrust => "aws_revoke_role_trust",
            Op::AwsRecoverKey => "aws_recover_key_policy",
            Op::AwsRecoverTrust => "aws_recover_role_trust",
        }
    }
    /// True for the AWS operations.
    pub fn is_aws(self) -> bool {
        matches!(
            self,
            Op::AwsSetup
                | Op::AwsSetupAdopt
                | Op::AwsRevokeKey
                | Op::AwsRevokeTrust
                | Op::AwsRecoverKey
                | Op::AwsRecoverTrust
        )
    }
    /// True for revocations and recoveries (logged per change, checked write for write
    /// against their outcome rows).
    pub fn is_revoke_or_recover(self) -> bool {
        matches!(
            self,
            Op::Revoke
                | Op::Recover
                | Op::AwsRevokeKey
                | Op::AwsRevokeTrust
                | Op::AwsRecoverKey
                | Op::AwsRecoverTrust
        )
    }
    /// True for operations whose every write attempt is logged through the write observer.
    pub fn is_setup_like(self) -> bool {
        matches!(
            self,
            Op::Setup | Op::Rotate | Op::AwsSetup | Op::AwsSetupAdopt
        )
    }
    /// The AWS policy action another writer is aimed at (read or write of the policy the
    /// operation edits).
    fn aws_policy_actions(self) -> &'static [&'static str] {
        match self {
            Op::AwsRevokeTrust | Op::AwsRecoverTrust => &["GetRole", "UpdateAssumeRolePolicy"],
            _ => &["GetKeyPolicy", "PutKeyPolicy"],
        }
    }
    /// Operation-id suffixes worth aiming faults at.
    fn targets(self) -> &'static [&'static str] {
        match self {
            Op::Setup => &[
                "serviceAccounts.create",
                "keyRings.create",
                "cryptoKeys.create",
                "setIamPolicy",
                "getIamPolicy",
                "UpdateCMEKStatus",
                "EnableCMEKSpec",
                "GetCMEKClusterInfo",
            ],
            Op::Rotate => &[
                "cryptoKeys.create",
                "setIamPolicy",
                "UpdateCMEKSpec",
                "GetCMEKClusterInfo",
            ],
            Op::Revoke | Op::Recover => &[
                "setIamPolicy",
                "getIamPolicy",
                "UpdateCMEKStatus",
                "GetCMEKClusterInfo",
            ],
            Op::DisableVersions => &[
                "cryptoKeyVersions.patch",
                "cryptoKeys.patch",
                "cryptoKeyVersions.list",
            ],
            Op::AwsSetup | Op::AwsSetupAdopt => &[
                "CreateRole",
                "GetRole",
                "CreateKey",
                "CreateAlias",
                "EnableKeyRotation",
                "GetKeyPolicy",
                "PutKeyPolicy",
                "EnableCMEKSpec",
                "GetCMEKClusterInfo",
            ],
            Op::AwsRevokeKey | Op::AwsRecoverKey => &[
                "GetKeyPolicy",
                "PutKeyPolicy",
                "UpdateCMEKStatus",
                "GetCMEKClusterInfo",
            ],
            Op::AwsRevokeTrust | Op::AwsRecoverTrust => &[
                "GetRole",
                "UpdateAssumeRolePolicy",
                "UpdateCMEKStatus",
                "GetCMEKClusterInfo",
            ],
        }
    }
}

/// One schedule: an operation, the field report it stands for (if any) and its fault plan.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub seed: u64,
    pub op: Op,
    pub field_report: Option<&'static str>,
    pub plan: FaultPlan,
}

/// The mix: (operation, field report, forced rule). One in two schedules is a field-report
/// scenario; the others are plain random plans over every operation.
const FIELD_REPORTS: &[(Op, &str)] = &[
    (Op::DisableVersions, "B04"),
    (Op::Revoke, "B05"),
    (Op::Setup, "B06"),
    (Op::Setup, "B07"),
    (Op::Setup, "B09"),
    (Op::Revoke, "B10"),
    (Op::Setup, "B10"),
    (Op::Setup, "B11"),
    (Op::Recover, "B11"),
];
const OPS: &[Op] = &[
    Op::Setup,
    Op::Setup,
    Op::Rotate,
    Op::Revoke,
    Op::Recover,
    Op::DisableVersions,
];
/// The AWS operations, drawn for about one schedule in three.
const AWS_OPS: &[Op] = &[
    Op::AwsSetup,
    Op::AwsSetupAdopt,
    Op::AwsRevokeKey,
    Op::AwsRevokeTrust,
    Op::AwsRecoverKey,
    Op::AwsRecoverTrust,
];
/// Share of AWS schedules.
const AWS_SHARE: f64 = 1.0 / 3.0;

/// How long a time-out fault holds an answer: past the clients' compressed time-out
/// (`cmek_retry::test_clock::MIN_COMPRESSED_TIMEOUT`).
pub const STALL: Duration = Duration::from_millis(1100);
/// The IAM propagation delay of B09 schedules (real time; 2.5 s in the campaign's compressed
/// time).
pub const PROPAGATION: Duration = Duration::from_millis(100);

fn forced(report: &str, rng: &mut StdRng) -> (Vec<FaultRule>, Option<Duration>) {
    let rule = |kind, target: &str, skip, times| FaultRule {
        kind,
        target: Target::Operation(target.into()),
        skip,
        times,
    };
    match report {
        "B06" => (
            vec![rule(
                FaultKind::FreshResource {
                    status: 403,
                    misses: rng.random_range(1..=2),
                },
                "cryptoKeys.create",
                0,
                1,
            )],
            None,
        ),
        "B07" => (
            vec![rule(
                FaultKind::FreshResource {
                    status: 404,
                    misses: rng.random_range(1..=2),
                },
                "serviceAccounts.create",
                0,
                1,
            )],
            None,
        ),
        "B09" => (Vec::new(), Some(PROPAGATION)),
        "B10" => (
            vec![rule(
                FaultKind::ConcurrentWriter,
                "setIamPolicy",
                rng.random_range(0..2),
                1,
            )],
            None,
        ),
        "B11" => (
            vec![rule(FaultKind::ConcurrentWriter, "setIamPolicy", 0, 2)],
            None,
        ),
        // B04 (versions already scheduled for destruction) and B05 (the observed state at the
        // end) are set by the scenario itself; the plan adds random faults.
        _ => (Vec::new(), None),
    }
}

impl Schedule {
    /// The schedule of `seed` (rand's `StdRng`): one seed, one schedule.
    pub fn draw(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x005e_ed0f_fa17);
        let (op, field_report) = if rng.random_bool(AWS_SHARE) {
            (AWS_OPS[rng.random_range(0..AWS_OPS.len())], None)
        } else if rng.random_bool(0.5) {
            let (op, r) = FIELD_REPORTS[rng.random_range(0..FIELD_REPORTS.len())];
            (op, Some(r))
        } else {
            (OPS[rng.random_range(0..OPS.len())], None)
        };
        let knobs = RandomPlan {
            operations: op.targets(),
            max_rules: 3,
            timeouts: rng.random_bool(0.2),
            // REVOKE_FAILED during a revocation is resumed by finishing the stopped revocation
            // (it re-sends REVOKE; seed 15116214861123664389 found the gap). A recovery has no
            // CockroachDB transition of its own to fail.
            cmek_failures: !matches!(op, Op::Recover | Op::AwsRecoverKey | Op::AwsRecoverTrust),
            iam_propagation: PROPAGATION,
            stall: STALL,
        };
        let mut plan = FaultPlan::random(seed, &knobs);
        let mut field_report = field_report;
        if op.is_aws() {
            // Google's "not visible yet" has no AWS twin on these calls, and a concurrent
            // writer on AWS edits the key or trust policy the operation touches.
            let actions = op.aws_policy_actions();
            for rule in &mut plan.rules {
                if matches!(
                    rule.kind,
                    FaultKind::ConcurrentWriter | FaultKind::FreshResource { .. }
                ) {
                    rule.kind = FaultKind::ConcurrentWriter;
                    rule.target =
                        Target::Operation(actions[rng.random_range(0..actions.len())].into());
                }
            }
            // B26: a new role KMS cannot see yet (setup from nothing creates the role).
            if plan.iam_propagation.is_some() && matches!(op, Op::AwsSetup | Op::AwsSetupAdopt) {
                field_report = Some("B26");
            }
        }
        if let Some(r) = field_report.filter(|_| !op.is_aws()) {
            let (rules, propagation) = forced(r, &mut rng);
            plan.rules.splice(0..0, rules);
            if propagation.is_some() {
                plan.iam_propagation = propagation;
            }
        }
        Self {
            seed,
            op,
            field_report,
            plan,
        }
    }

    /// The seed of schedule `i` of a campaign with base seed `base`.
    pub fn seed_of(base: u64, i: u64) -> u64 {
        base.wrapping_mul(6364136223846793005)
            .wrapping_add(i.wrapping_mul(1442695040888963407))
    }
}
