//! The operations a schedule runs through the application core (`Desk`), their clean
//! preparation, their resume without faults and what "converged" means for each.

use super::scenario::Op;
use cmek_core::plan::{ApplyEvent, Plan};
use cmek_desk_core::Desk;
use cmek_revoke::{Lever, RevokeEvent, RevokeRequest};
use cmek_sandbox::seed::{DEMO_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use cmek_sandbox::SandboxHandle;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const CLUSTER: &str = SINGLE_REGION_CLUSTER_ID;
const ENCRYPTER: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/// What the clean preparation left for the faulted run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The cluster's service account (email).
    pub app_sa: String,
    pub cluster_name: String,
    /// The key in use (setup: the key the plan creates).
    pub key: String,
    /// Policies watched for invariant (a): project, key ring, key, service account.
    pub resources: Vec<String>,
    /// The setup plan's id (setup) or the rotation plan's id (rotate).
    pub plan_id: Option<String>,
    /// The key a rotation moves to.
    pub new_key: Option<String>,
    /// The revocation a recovery undoes.
    pub revoke_operation: Option<String>,
    /// The cluster the operation acts on.
    pub cluster_id: String,
    /// The lever a revocation (or the revocation a recovery undoes) pulls.
    pub lever: Lever,
    /// AWS schedules: the role, key and policies watched.
    pub aws: Option<super::ops_aws::AwsPrepared>,
}

/// Why a faulted run stopped: the step it names (setup and rotation) and the error.
#[derive(Debug, Clone)]
pub struct Stop {
    pub step: Option<String>,
    pub message: String,
}

fn ignore(_: ApplyEvent) {}
fn quiet(_: RevokeEvent) {}

async fn setup_plan(desk: &Desk) -> Result<Plan, String> {
    let mut request = desk.suggest_setup(CLUSTER).await.map_err(|e| e.message)?;
    request.project = DEMO_PROJECT_ID.to_owned();
    desk.plan_setup(request).await.map_err(|e| e.message)
}

fn key_ring_of(key: &str) -> String {
    key.split("/cryptoKeys/").next().unwrap_or(key).to_owned()
}

/// Unrelated grants, a condition and audit configs another team keeps on a policy: a viewer,
/// a conditional break-glass grant of the app's own role, another service account holding the
/// app's role, and data-access audit logging.
pub fn seed_unowned(sb: &SandboxHandle, resource: &str) {
    let mut p = sb.iam_policy(resource);
    let mut bindings = p["bindings"].as_array().cloned().unwrap_or_default();
    let viewer = if resource.contains("/serviceAccounts/") {
        "roles/iam.serviceAccountUser"
    } else {
        "roles/cloudkms.viewer"
    };
    bindings.push(json!({"role": viewer, "members": ["user:auditor@example.com"]}));
    bindings.push(json!({"role": ENCRYPTER, "members": ["group:break-glass@example.com"],
        "condition": {"title": "break glass", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}}));
    bindings.push(json!({"role": ENCRYPTER, "members": ["group:kms-ops@example.com"]}));
    p["bindings"] = Value::Array(bindings);
    p["version"] = json!(3);
    if !resource.contains("/serviceAccounts/") {
        p["auditConfigs"] = json!([{"service": "cloudkms.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}]);
    }
    sb.set_iam_policy_direct(resource, p);
}

fn watched(app_sa: &str, key: &str) -> Vec<String> {
    vec![
        format!("projects/{DEMO_PROJECT_ID}"),
        key_ring_of(key),
        key.to_owned(),
        format!("projects/{DEMO_PROJECT_ID}/serviceAccounts/{app_sa}"),
    ]
}

/// The clean preparation of `op` (no faults), and unowned grants seeded on every existing
/// policy the run may touch.
pub async fn prepare(desk: &Desk, sb: &SandboxHandle, op: Op) -> Result<Prepared, String> {
    if op.is_aws() {
        return super::ops_aws::prepare(desk, sb, op).await;
    }
    let plan = setup_plan(desk).await?;
    let key = plan
        .keys
        .first()
        .map(|k| k.name.clone())
        .ok_or("the setup plan has no key")?;
    let mut p = Prepared {
        app_sa: plan.service_account_email.clone(),
        cluster_name: plan.cluster.name.clone(),
        key: key.clone(),
        resources: watched(&plan.service_account_email, &key),
        plan_id: Some(plan.plan_id.clone()),
        new_key: None,
        revoke_operation: None,
        cluster_id: CLUSTER.to_owned(),
        lever: Lever::EncrypterDecrypter,
        aws: None,
    };
    seed_unowned(sb, &format!("projects/{DEMO_PROJECT_ID}"));
    if op == Op::Setup {
        return Ok(p);
    }
    let r = desk
        .apply_setup(&plan.plan_id, &ignore)
        .await
        .map_err(|e| e.message)?;
    if r.cmek.status != "ENABLED" {
        return Err(format!("clean setup ended {}", r.cmek.status));
    }
    for res in p.resources.clone().iter().skip(1) {
        seed_unowned(sb, res);
    }
    match op {
        Op::Rotate => {
            let mut req = desk
                .suggest_rotation(CLUSTER)
                .await
                .map_err(|e| e.message)?;
            req.crypto_key = format!("{}-r2", req.crypto_key.chars().take(50).collect::<String>());
            let plan = desk.plan_rotation(req).await.map_err(|e| e.message)?;
            p.new_key = plan.keys.first().map(|k| k.name.clone());
            p.plan_id = Some(plan.plan_id.clone());
            if let Some(k) = &p.new_key {
                p.resources.push(k.clone());
            }
        }
        Op::Recover => {
            let report = desk
                .revoke_cluster(&revoke_request(&p), &quiet)
                .await
                .map_err(|e| e.message)?;
            p.revoke_operation = Some(report.operation_id);
        }
        Op::DisableVersions => {
            // Another writer rotated by hand and scheduled version 1 for destruction (B04).
            let conn = desk.connection().await.map_err(|e| e.message)?;
            let v2 = conn
                .google
                .kms
                .create_version(&key)
                .await
                .map_err(|e| e.message)?;
            let id = v2.name.rsplit('/').next().unwrap_or("2").to_owned();
            conn.google
                .kms
                .update_primary_version(&key, &id)
                .await
                .map_err(|e| e.message)?;
            conn.google
                .kms
                .destroy_version(&format!("{key}/cryptoKeyVersions/1"))
                .await
                .map_err(|e| e.message)?;
        }
        _ => {}
    }
    Ok(p)
}

pub(super) fn revoke_request(p: &Prepared) -> RevokeRequest {
    RevokeRequest {
        cluster_id: p.cluster_id.clone(),
        lever: p.lever,
        confirm_name: p.cluster_name.clone(),
    }
}

fn key_id(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// Runs `op` once (under whatever fault plan is set).
pub async fn run(desk: &Desk, _sb: &SandboxHandle, op: Op, p: &Prepared) -> Result<(), Stop> {
    let failed = Arc::new(Mutex::new(None::<String>));
    let on_apply = {
        let failed = failed.clone();
        move |e: ApplyEvent| {
            if let ApplyEvent::StepFailed { step_id, .. } = e {
                *failed.lock().unwrap() = Some(step_id);
            }
        }
    };
    let stop = |e: cmek_core::Error| Stop {
        step: failed.lock().unwrap().clone(),
        message: e.message,
    };
    let plan_id = p.plan_id.clone().unwrap_or_default();
    match op {
        Op::Setup => desk
            .apply_setup(&plan_id, &on_apply)
            .await
            .map(|_| ())
            .map_err(stop),
        Op::Rotate => desk
            .apply_rotation(&plan_id, &on_apply)
            .await
            .map(|_| ())
            .map_err(stop),
        Op::AwsSetup | Op::AwsSetupAdopt => desk
            .apply_aws_setup(&plan_id, &on_apply)
            .await
            .map(|_| ())
            .map_err(stop),
        // A report carrying CockroachDB's user messages (e.g. REVOKE_FAILED) is the
        // revocation stopping at "Wait for REVOKED" with CockroachDB's cause.
        Op::Revoke | Op::AwsRevokeKey | Op::AwsRevokeTrust => {
            match desk.revoke_cluster(&revoke_request(p), &quiet).await {
                Ok(r) if !r.user_messages.is_empty() => Err(Stop {
                    step: Some("Wait for REVOKED".into()),
                    message: r.user_messages.join("; "),
                }),
                Ok(_) => Ok(()),
                Err(e) => Err(stop(e)),
            }
        }
        Op::Recover | Op::AwsRecoverKey | Op::AwsRecoverTrust => desk
            .recover_revoke(p.revoke_operation.as_deref().unwrap_or_default(), &quiet)
            .await
            .map(|_| ())
            .map_err(stop),
        Op::DisableVersions => desk
            .disable_key_versions(&p.key, key_id(&p.key), &quiet)
            .await
            .map(|_| ())
            .map_err(stop),
    }
}

/// A finished revocation that CockroachDB still reports failed did not converge.
fn settled(r: cmek_revoke::RevokeReport) -> Result<(), String> {
    if r.user_messages.is_empty() {
        Ok(())
    } else {
        Err(r.user_messages.join("; "))
    }
}

/// Runs `op` again without faults, as the officer would after a failure: the reviewed plan
/// (re-planned from its request if the world moved on), the pending revocation, the recovery.
pub async fn resume(desk: &Desk, sb: &SandboxHandle, op: Op, p: &Prepared) -> Result<(), String> {
    match op {
        Op::Setup => {
            let first = run(desk, sb, op, p).await;
            if first.is_ok() {
                return Ok(());
            }
            let plan = setup_plan(desk).await?;
            desk.apply_setup(&plan.plan_id, &ignore)
                .await
                .map(|_| ())
                .map_err(|e| e.message)
        }
        Op::Rotate => {
            if run(desk, sb, op, p).await.is_ok() {
                return Ok(());
            }
            let mut req = desk
                .suggest_rotation(CLUSTER)
                .await
                .map_err(|e| e.message)?;
            req.crypto_key = key_id(p.new_key.as_deref().unwrap_or_default()).to_owned();
            let plan = desk.plan_rotation(req).await.map_err(|e| e.message)?;
            desk.apply_rotation(&plan.plan_id, &ignore)
                .await
                .map(|_| ())
                .map_err(|e| e.message)
        }
        Op::AwsSetup | Op::AwsSetupAdopt => {
            if run(desk, sb, op, p).await.is_ok() {
                return Ok(());
            }
            super::ops_aws::replan_and_apply(desk).await
        }
        Op::Revoke | Op::AwsRevokeKey | Op::AwsRevokeTrust => {
            let pending = desk.pending_operations().map_err(|e| e.message)?;
            if let Some(op) = pending.iter().find(|o| o.action == "revoke") {
                return desk
                    .resume_revoke(&op.operation_id, &quiet)
                    .await
                    .map_err(|e| e.message)
                    .and_then(settled);
            }
            // A revocation that stopped on an error is closed, not pending: a new one, then
            // (if access is already gone) finishing the stopped one from its snapshot.
            let again = run(desk, sb, op, p).await.map_err(|s| s.message);
            let Err(first) = again else {
                return Ok(());
            };
            let entries = desk.activity_entries().map_err(|e| e.message)?;
            let last = entries.iter().rev().find(|e| {
                e.kind == cmek_activity::EntryKind::OperationStarted && e.action == "revoke"
            });
            let Some(id) = last.and_then(|e| e.operation_id.clone()) else {
                return Err(first);
            };
            desk.resume_revoke(&id, &quiet)
                .await
                .map_err(|e| {
                    format!(
                        "{first}; finishing the stopped revocation {id}: {}",
                        e.message
                    )
                })
                .and_then(settled)
        }
        Op::Recover | Op::AwsRecoverKey | Op::AwsRecoverTrust | Op::DisableVersions => {
            run(desk, sb, op, p).await.map_err(|s| s.message)
        }
    }
}

fn has_grant(sb: &SandboxHandle, resource: &str, role: &str, member: &str) -> bool {
    sb.iam_policy(resource)["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|b| {
            b["role"] == role
                && b.get("condition").is_none()
                && b["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m == member)
        })
}

/// Whether the world is in the state `op` intends.
pub async fn converged(
    desk: &Desk,
    sb: &SandboxHandle,
    op: Op,
    p: &Prepared,
) -> Result<(), String> {
    if op.is_aws() {
        return super::ops_aws::converged(desk, sb, op, p).await;
    }
    let status = desk
        .cmek_status(CLUSTER)
        .await
        .map_err(|e| e.message)?
        .status;
    let sa = format!("serviceAccount:{}", p.app_sa);
    match op {
        Op::Setup => (status == "ENABLED" && has_grant(sb, &p.key, ENCRYPTER, &sa))
            .then_some(())
            .ok_or(format!(
                "after setup: CMEK {status}, key grant {}",
                has_grant(sb, &p.key, ENCRYPTER, &sa)
            )),
        Op::Rotate => {
            let new = p.new_key.clone().unwrap_or_default();
            let info = sb.cmek_info(CLUSTER).unwrap_or(Value::Null);
            let on_new = info["region_infos"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|r| {
                    r["key_infos"].as_array().into_iter().flatten().any(|k| {
                        k["status"] == "ENABLED"
                            && k["spec"]["uri"].as_str().is_some_and(|u| u.contains(&new))
                    })
                });
            (status == "ENABLED" && on_new).then_some(()).ok_or(format!(
                "after rotation: CMEK {status}, on the new key {on_new}"
            ))
        }
        Op::Revoke => (status == "REVOKED" && !has_grant(sb, &p.key, ENCRYPTER, &sa))
            .then_some(())
            .ok_or(format!(
                "after revocation: CMEK {status}, key grant {}",
                has_grant(sb, &p.key, ENCRYPTER, &sa)
            )),
        Op::Recover => has_grant(sb, &p.key, ENCRYPTER, &sa)
            .then_some(())
            .ok_or("after recovery: the key grant is not back".to_owned()),
        Op::DisableVersions => {
            let enabled: Vec<String> = sb
                .with_state(|s| s.crypto_key_versions(&p.key))
                .iter()
                .filter(|v| v["state"] == "ENABLED")
                .map(|v| v["name"].as_str().unwrap_or_default().to_owned())
                .collect();
            enabled
                .is_empty()
                .then_some(())
                .ok_or(format!("still ENABLED: {enabled:?}"))
        }
        _ => Err(format!("{} is not a Google Cloud operation", op.name())),
    }
}
