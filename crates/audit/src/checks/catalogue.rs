//! The check catalogue: id, title, default severity, the exact failing condition, source ids
//! (CIS GCP control, Prowler check, ScoutSuite rule, SCC finding, others) and the remediation,
//! for A01-A16 (merged table, audit-checks.md §2), C01-C13 (CockroachDB, §3) and the day-two
//! checks C14 (rotation undoing a freeze) and C15/C16 (drift), issue #10.

use crate::model::{CheckInfo, CheckSources, Severity};

type Row = (
    &'static str,
    &'static str,
    Severity,
    &'static str,
    [&'static [&'static str]; 5],
    &'static str,
);

const ROWS: &[Row] = &[
    ("A01", "Key not public", Severity::High,
     "FAIL if any binding of the effective policy (key ∪ key ring ∪ project) has member allUsers or allAuthenticatedUsers, for any role, conditional or not.",
     [&["CIS GCP 1.9", "CIS GCP 5.0 1.10"], &["kms_key_not_publicly_accessible"], &["kms-cryptokeys-anonymously-publicly-accessible"], &["KMS_PUBLIC_KEY"], &["Steampipe kms_key_not_publicly_accessible", "Checkov CKV_GCP_112"]],
     "Remove allUsers/allAuthenticatedUsers from the policy at the level shown (gcloud kms keys|keyrings remove-iam-policy-binding, or the project policy)."),
    ("A02", "AWS key policy not public", Severity::Critical,
     "FAIL if an Allow statement of the AWS key policy has principal * / {\"AWS\":\"*\"} / arn:aws:iam::*:root without an account, organisation or IP condition.",
     [&[], &["kms_key_not_publicly_accessible (AWS)"], &[], &[], &["Security Hub KMS.5", "Checkov CKV_AWS_33"]],
     "Restrict the key policy principal to named accounts/roles or add an aws:SourceAccount / kms:CallerAccount condition."),
    ("A03", "Rotation configured", Severity::Medium,
     "Applies to keys with purpose ENCRYPT_DECRYPT, primary version ENABLED, protection level not EXTERNAL/EXTERNAL_VPC and not import-only (where automatic rotation is possible). FAIL if rotationPeriod is absent.",
     [&["CIS GCP 1.10", "CIS GCP 5.0 1.11"], &["kms_key_rotation_enabled"], &[], &["KMS_KEY_NOT_ROTATED"], &[]],
     "Set automatic rotation: gcloud kms keys update KEY --rotation-period=90d --next-rotation-time=… (CockroachDB keeps using the same key URI)."),
    ("A04", "Rotation within 90 days", Severity::Low,
     "Same applicability as A03, and rotationPeriod present. FAIL if rotationPeriod > 7776000 s (exact, nanosecond precision), or nextRotationTime is absent, in the past, or more than 7776000 s after the scan time.",
     [&["CIS GCP 1.10", "CIS GCP 5.0 1.11"], &["kms_key_rotation_max_90_days"], &["kms-encryption-keys-not-rotated"], &["KMS_KEY_NOT_ROTATED"], &["Trivy AVD-GCP-0065", "Checkov CKV_GCP_43", "Steampipe kms_key_rotated_within_90_day"]],
     "Set rotationPeriod ≤ 7776000s and a nextRotationTime within 90 days."),
    ("A05", "AWS rotation enabled", Severity::Medium,
     "Customer-managed, Enabled, SYMMETRIC_DEFAULT, origin AWS_KMS, not in a custom key store: FAIL if GetKeyRotationStatus is false.",
     [&["CIS AWS 3.8 / 3.6 / 4.6"], &["kms_cmk_rotation_enabled"], &["kms-cmk-rotation-disabled"], &[], &["Security Hub KMS.4", "Checkov CKV_AWS_7"]],
     "aws kms enable-key-rotation --key-id KEY."),
    ("A06", "KMS admin is not a key user (separation of duties)", Severity::Medium,
     "FAIL if one member (any type) holds roles/cloudkms.admin and any of cryptoKeyEncrypterDecrypter / cryptoKeyEncrypter / cryptoKeyDecrypter anywhere in the key's effective policy (levels may differ), regardless of binding order; conditional grants count and are shown.",
     [&["CIS GCP 1.11", "CIS GCP 5.0 1.12"], &["iam_role_kms_enforce_separation_of_duties"], &["iam-role-kms-separation-duties-is-false"], &["KMS_ROLE_SEPARATION"], &["Steampipe kms_key_separation_of_duties_enforced"]],
     "Remove either the admin role or the encrypt/decrypt role from the member shown."),
    ("A07", "No project owner on a key project", Severity::Medium,
     "FAIL if the project holds at least one Cloud KMS key and its policy grants roles/owner to any member.",
     [&[], &[], &[], &["KMS_PROJECT_HAS_OWNER"], &[]],
     "Keep keys in a dedicated project without owners; use narrower admin roles."),
    ("A08", "At most three key users", Severity::Medium,
     "FAIL if more than 3 distinct members (across all levels and bindings, de-duplicated) hold a key-use role (encrypt/decrypt/sign/MAC/raw, or roles/owner), or if a public member holds one.",
     [&[], &[], &[], &["TOO_MANY_KMS_USERS"], &["Steampipe kms_key_users_limited_to_3"]],
     "Reduce key users; for a CockroachDB key grant only its service account (plus a break-glass group)."),
    ("A09", "Key not scheduled for destruction", Severity::Critical,
     "FAIL if any version is DESTROY_SCHEDULED (evidence: destroyTime = restore deadline) or the primary version is DESTROYED.",
     [&[], &[], &[], &[], &["Cloud KMS: destroy and restore key versions"]],
     "Restore the version before destroyTime: gcloud kms keys versions restore VERSION, then enable it."),
    ("A10", "Key enabled", Severity::Low,
     "ENCRYPT_DECRYPT keys: FAIL if there is no primary or primary.state ≠ ENABLED. Other purposes (no primary by design): FAIL if no version is ENABLED.",
     [&[], &[], &[], &[], &["Cloud KMS: enable and disable key versions"]],
     "Enable the version (gcloud kms keys versions enable) or promote an enabled version to primary."),
    ("A11", "Alarm on disable/destroy of key versions", Severity::Medium,
     "Per project holding keys: FAIL unless each of DestroyCryptoKeyVersion, UpdateCryptoKeyVersion (disable) and SetIamPolicy on Cloud KMS is covered by an alert policy with enabled ≠ false, through a conditionMatchedLog filter naming Cloud KMS and the method, or a threshold/MQL/PromQL condition on the metric type of a non-disabled log-based metric whose filter does. A failed read (e.g. 403 without logging.logMetrics.list / monitoring.alertPolicies.list) without proven coverage is reported as 'could not evaluate'.",
     [&["CIS GCP 2.4-2.11 pattern (log metric filter and alerts; no Cloud KMS control)"], &[], &[], &[], &["Steampipe logging_metric_alert_* (GCP pattern)"]],
     super::alerting::A11_REMEDIATION),
    ("A12", "No kms:* or decrypt-on-all in AWS IAM policies", Severity::Medium,
     "FAIL if a customer-managed or inline IAM policy allows kms:*, or kms:Decrypt / kms:ReEncryptFrom on Resource *.",
     [&[], &["iam_policy_no_full_access_to_kms", "iam_inline_policy_no_full_access_to_kms"], &[], &[], &["Security Hub KMS.1", "Security Hub KMS.2"]],
     "Scope KMS actions to key ARNs."),
    ("A13", "AWS single-Region key (info)", Severity::Info,
     "Informational: enabled customer key with MultiRegion=true (CockroachDB accepts multi-Region keys).",
     [&[], &["kms_cmk_not_multi_region"], &[], &[], &[]],
     "None required for CockroachDB; confirm multi-Region replication is intended."),
    ("A14", "No deleted principals on the key", Severity::High,
     "FAIL if any member of the key's effective policy starts with deleted: (e.g. deleted:serviceAccount:…?uid=…).",
     [&[], &[], &[], &[], &["GCP IAM deleted: member syntax"]],
     "Remove the deleted member; if the principal was recreated, grant the new one explicitly."),
    ("A15", "Token Creator / SA User not granted project-wide", Severity::Medium,
     "FAIL if a project policy grants roles/iam.serviceAccountTokenCreator or roles/iam.serviceAccountUser to any member (it should be granted on one service account only).",
     [&["CIS GCP 1.8 (SA separation of duties)"], &[], &[], &["OVER_PRIVILEGED_SERVICE_ACCOUNT_USER"], &[]],
     "Remove the project-level grant; grant the role on the specific service account."),
    ("A16", "Destruction delay long enough", Severity::Low,
     "FAIL if destroyScheduledDuration is set and < 604800 s (7 days); absent means the service default (30 days).",
     [&[], &[], &[], &[], &["Checkov CKV_GCP_82 (live-state analogue)"]],
     "Create keys with --destroy-scheduled-duration of at least 7 days (it is immutable: rotate to a new key)."),
    ("C01", "CockroachDB key usable", Severity::Critical,
     "For each current key spec of a cluster region: FAIL if the key is not in the scanned inventory of its project, purpose ≠ ENCRYPT_DECRYPT, or primary absent / not ENABLED.",
     [&[], &[], &[], &[], &["CRDB managing-cmek", "A10"]],
     "Enable the primary version; CockroachDB nodes cannot restart without it."),
    ("C02", "No destruction pending on a CockroachDB key", Severity::Critical,
     "FAIL if a version of a key a cluster uses (now or in the past) is DESTROY_SCHEDULED or DESTROYED and was created at or after the first key info of that key, or was the newest version created before it (the primary at enable time).",
     [&[], &[], &[], &[], &["CRDB managing-cmek", "A09"]],
     "Restore the version before its destroyTime."),
    ("C03", "CockroachDB service account holds exactly Encrypter/Decrypter", Severity::Critical,
     "FAIL (Critical) if the auth_principal has no unconditional roles/cloudkms.cryptoKeyEncrypterDecrypter in the key's effective policy; FAIL (High) if it also holds roles/cloudkms.admin, roles/owner or roles/editor there.",
     [&[], &[], &[], &[], &["CRDB cmek-ops-gcp", "A06", "A08"]],
     "Grant roles/cloudkms.cryptoKeyEncrypterDecrypter on the key to the service account and remove broader roles."),
    ("C04", "CockroachDB identity can impersonate the service account", Severity::Critical,
     "FAIL (Critical) if crl-kms-user-<last 12 of cluster id>@<account_id>.iam.gserviceaccount.com has no unconditional roles/iam.serviceAccountTokenCreator on the auth_principal (its own policy or its project); FAIL (Medium) if it is granted only at project level.",
     [&[], &[], &[], &["OVER_PRIVILEGED_SERVICE_ACCOUNT_USER"], &["CRDB cmek-ops-gcp", "A15"]],
     "Grant roles/iam.serviceAccountTokenCreator on the service account itself to the CockroachDB identity."),
    ("C05", "AWS trust policy sound", Severity::High,
     "AWS clusters: FAIL if the role trust allows any principal but the CockroachDB account, or lacks sts:ExternalId = CockroachDB organisation id.",
     [&[], &[], &[], &[], &["CRDB cmek-ops-aws", "B29"]],
     "Restrict the trust policy and require the external id."),
    ("C06", "Key location matches each cluster region", Severity::High,
     "For each cluster region with a current GCP key spec: FAIL if the key location ≠ the region (a global, multi-region or dual-region location is flagged as 'verify', field report B18).",
     [&[], &[], &[], &[], &["CRDB cmek-ops-gcp", "B18"]],
     "Use a key ring in the cluster's region for that region's key spec."),
    ("C07", "Every cluster region covered by CMEK", Severity::Critical,
     "FAIL for each cluster region with no CMEK region info or no key info, or whose region status ≠ ENABLED (field report B43).",
     [&[], &[], &[], &[], &["CRDB managing-cmek", "B43", "terraform-provider-cockroach PR #363"]],
     "PUT /api/v1/clusters/{id}/cmek with a region spec for the missing region."),
    ("C08", "CockroachDB CMEK status healthy", Severity::Critical,
     "FAIL if the cluster's CMEK status ≠ ENABLED (e.g. *_FAILED, REVOKED, ENABLING); evidence includes every user_message.",
     [&[], &[], &[], &[], &["CRDB SDK CMEKStatus"]],
     "Fix the cause in user_message and retry the CMEK operation."),
    ("C09", "CockroachDB key not public", Severity::Critical,
     "A01 on a key a cluster uses now.",
     [&["CIS GCP 1.9"], &["kms_key_not_publicly_accessible"], &["kms-cryptokeys-anonymously-publicly-accessible"], &["KMS_PUBLIC_KEY"], &["A01"]],
     "Remove the public member at once."),
    ("C10", "No deleted principals on a CockroachDB key or service account", Severity::High,
     "FAIL if a deleted: member is in the effective policy of a key a cluster uses now or in its auth_principal's own policy.",
     [&[], &[], &[], &[], &["A14"]],
     "Remove deleted members; re-grant the recreated principal."),
    ("C11", "CockroachDB key rotation configured", Severity::Medium,
     "A03/A04 on a key a cluster uses now (KMS-side rotation keeps the same URI; CockroachDB 'rotate' swaps to a new URI).",
     [&["CIS GCP 1.10"], &["kms_key_rotation_enabled", "kms_key_rotation_max_90_days"], &["kms-encryption-keys-not-rotated"], &["KMS_KEY_NOT_ROTATED"], &["A03", "A04"]],
     "Set a rotation period ≤ 90 days on the key."),
    ("C12", "Separation of duties for humans on a CockroachDB key", Severity::Medium,
     "FAIL if a human member (user, group, domain, principal, principalSet) holds roles/cloudkms.admin and an encrypt/decrypt role on a key a cluster uses now, or holds roles/owner on its project.",
     [&["CIS GCP 1.11"], &["iam_role_kms_enforce_separation_of_duties"], &[], &["KMS_ROLE_SEPARATION", "KMS_PROJECT_HAS_OWNER"], &["A06", "A07"]],
     "Split admin and use roles between different people; remove project owners."),
    ("C13", "Change alarms on CockroachDB keys", Severity::Medium,
     "A11 on the project of each key a cluster uses now (current GCP key spec of each region): one result per (cluster, key project); a key project not scanned is 'could not evaluate'.",
     [&["CIS GCP 2.4-2.11 pattern (log metric filter and alerts; no Cloud KMS control)"], &[], &[], &[], &["A11"]],
     super::alerting::A11_REMEDIATION),
    ("C14", "A rotation schedule does not undo a freeze", Severity::High,
     "FAIL if nextRotationTime is set, the primary version is absent or not ENABLED, and at least one version is DISABLED, DESTROY_SCHEDULED or DESTROYED: at nextRotationTime Cloud KMS creates a new ENABLED primary, so the frozen key becomes usable again. A key with an ENABLED primary passes.",
     [&[], &[], &[], &[], &["gcp-apis §3 (automatic rotation at nextRotationTime)", "Cloud KMS cryptoKeys.patch updateMask=rotationPeriod,nextRotationTime"]],
     "Stop automatic rotation while the key is frozen: gcloud kms keys update KEY --location=L --keyring=R --remove-rotation-schedule (CMEK Desk's \"Disable every enabled version\" does this and records the schedule to put back), or end the freeze."),
    ("C15", "Drift: no extra access to a CockroachDB key or service account", Severity::High,
     "For each key and service account a cluster's CMEK specs name (current and past key infos): FAIL for every (role, member, condition) in the resource's own policy other than the unconditional grants CockroachDB needs (auth_principal: roles/cloudkms.cryptoKeyEncrypterDecrypter on the key; crl-kms-user-<last 12 of cluster id>@<account_id>: roles/iam.serviceAccountTokenCreator on the service account). Levels: key and service account policies (key ring and project grants are judged by A01/A06/A08/A15/C03/C04/C12). Grants of REVOKED/REVOKING regions are neither extra nor missing.",
     [&[], &[], &[], &["TOO_MANY_KMS_USERS", "OVER_PRIVILEGED_SERVICE_ACCOUNT_USER"], &["CRDB cmek-ops-gcp", "C03", "C04"]],
     "Remove the binding if nobody should have it (CMEK Desk: one-click fix, or cmek drift fix DRIFT_ID --confirm RESOURCE); otherwise record why it is needed."),
    ("C16", "Drift: no binding CockroachDB needs is missing", Severity::Critical,
     "Same resources as C15: FAIL for every grant CockroachDB needs that is not in the resource's own policy unconditionally (for a key, an unconditional grant on its key ring also counts), unless the region is REVOKED/REVOKING.",
     [&[], &[], &[], &[], &["CRDB cmek-ops-gcp", "C03", "C04"]],
     "Grant it back exactly (CMEK Desk: one-click fix, or cmek drift fix DRIFT_ID --confirm RESOURCE); CockroachDB cannot use the key without it."),
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Every check, in id order.
pub fn catalogue() -> Vec<CheckInfo> {
    all().to_vec()
}

fn all() -> &'static [CheckInfo] {
    static ALL: std::sync::OnceLock<Vec<CheckInfo>> = std::sync::OnceLock::new();
    ALL.get_or_init(build)
}

fn build() -> Vec<CheckInfo> {
    ROWS.iter()
        .map(
            |(id, title, severity, condition, s, remediation)| CheckInfo {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                severity: *severity,
                condition: (*condition).to_owned(),
                sources: CheckSources {
                    cis: strings(s[0]),
                    prowler: strings(s[1]),
                    scoutsuite: strings(s[2]),
                    scc: strings(s[3]),
                    other: strings(s[4]),
                },
                remediation: (*remediation).to_owned(),
            },
        )
        .collect()
}

/// The catalogue entry of `id`.
///
/// # Panics
/// If `id` is not in the catalogue (a programming error caught by the tests).
pub fn info(id: &str) -> &'static CheckInfo {
    all()
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("unknown check {id}"))
}
