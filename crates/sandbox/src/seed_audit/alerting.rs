//! Alerting side of the audit seed (checks A11 and C13): Cloud Logging log-based metrics and
//! Cloud Monitoring alert policies on Cloud KMS admin activity.
//!
//! - [`AUDIT_KEYS_PROJECT`] is the clean twin: one enabled counter metric whose filter covers
//!   `DestroyCryptoKeyVersion`, `UpdateCryptoKeyVersion` and `SetIamPolicy` on Cloud KMS, and an
//!   enabled threshold alert policy on that metric.
//! - [`AUDIT_OWNER_PROJECT`] is the partial case that must still fail: a metric on destroy only
//!   that no alert policy uses, and a full metric whose only alert policy is disabled. The
//!   cluster `audit-alarms` uses [`ALARMS_KEY`] in that project (C13).
//! - Projects of [`super::seed_audit_scale`] have no metric and no alert policy at all.

use super::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use crate::state::State;

/// Key in [`AUDIT_OWNER_PROJECT`] used by the cluster `audit-alarms` (C13 case): the owner
/// project's only key, [`super::OWNER_PROJECT_KEY`].
pub const ALARMS_KEY: &str = super::OWNER_PROJECT_KEY;
/// The log filter of a metric covering the three Cloud KMS admin events A11 asks for.
pub const KMS_ADMIN_FILTER: &str = "protoPayload.serviceName=\"cloudkms.googleapis.com\" AND (protoPayload.methodName:\"DestroyCryptoKeyVersion\" OR protoPayload.methodName:\"UpdateCryptoKeyVersion\" OR protoPayload.methodName:\"SetIamPolicy\")";
/// Metric id of the clean twin's metric.
pub const KMS_ADMIN_METRIC: &str = "cmek-key-admin-activity";

fn threshold_on(metric_id: &str) -> String {
    format!("metric.type=\"logging.googleapis.com/user/{metric_id}\" AND resource.type=one_of(\"cloudkms_cryptokey\",\"cloudkms_cryptokeyversion\",\"cloudkms_keyring\")")
}

/// Adds the metrics and alert policies described in the module doc.
pub(super) fn seed_alerting(state: &mut State) {
    state.add_log_metric(
        AUDIT_KEYS_PROJECT,
        KMS_ADMIN_METRIC,
        KMS_ADMIN_FILTER,
        false,
    );
    // An unrelated metric and alert (CIS GCP 2.4 style) that must not count.
    let owner = "(protoPayload.serviceName=\"cloudresourcemanager.googleapis.com\") AND (ProjectOwnership OR projectOwnerInvitee)";
    state.add_log_metric(AUDIT_KEYS_PROJECT, "project-ownership", owner, false);
    state.add_alert_policy(
        AUDIT_KEYS_PROJECT,
        "Project ownership changes",
        true,
        &[("conditionThreshold", &threshold_on("project-ownership"))],
    );
    state.add_alert_policy(
        AUDIT_KEYS_PROJECT,
        "CMEK key admin activity",
        true,
        &[("conditionThreshold", &threshold_on(KMS_ADMIN_METRIC))],
    );

    let destroy_only = "protoPayload.serviceName=\"cloudkms.googleapis.com\" AND protoPayload.methodName:\"DestroyCryptoKeyVersion\"";
    state.add_log_metric(AUDIT_OWNER_PROJECT, "kms-destroy", destroy_only, false);
    state.add_log_metric(
        AUDIT_OWNER_PROJECT,
        KMS_ADMIN_METRIC,
        KMS_ADMIN_FILTER,
        false,
    );
    state.add_alert_policy(
        AUDIT_OWNER_PROJECT,
        "CMEK key admin activity (muted)",
        false,
        &[("conditionThreshold", &threshold_on(KMS_ADMIN_METRIC))],
    );
}
