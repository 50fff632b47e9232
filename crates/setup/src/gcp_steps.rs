//! The Google Cloud side of the setup: permissions preflight, APIs, service account, key
//! ring, crypto key and the two IAM grants. Each function checks, acts only on what is
//! missing, and verifies.

use crate::apply::{Run, StepDone};
use crate::wait::{self, mmss, not_visible_yet};
use cmek_core::iam::{service_account_member, Grant, ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use cmek_core::kms::{
    version_state, CryptoKey, VersionTemplate, ALGORITHM_SYMMETRIC, PURPOSE_ENCRYPT_DECRYPT,
};
use cmek_core::names::format_duration_secs;
use cmek_core::plan::{StepKind, StepOutcome};
use cmek_core::service_usage::{SERVICE_IAM, SERVICE_KMS};
use cmek_core::{Error, ErrorCode, Result};
use cmek_gcp::{edit_policy, PolicyTarget};
use cmek_retry::Check;

/// Permissions the setup needs in the service account's project (field report B40).
const SA_PROJECT_PERMISSIONS: &[&str] = &[
    "serviceusage.services.get",
    "serviceusage.services.enable",
    "iam.serviceAccounts.create",
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.getIamPolicy",
    "iam.serviceAccounts.setIamPolicy",
];
/// Permissions the setup needs in the project that holds the keys (B40): the service
/// account's project, or the separate key project (`SetupRequest::key_project`).
const KMS_PROJECT_PERMISSIONS: &[&str] = &[
    "cloudkms.keyRings.create",
    "cloudkms.keyRings.get",
    "cloudkms.cryptoKeys.create",
    "cloudkms.cryptoKeys.get",
    "cloudkms.cryptoKeys.getIamPolicy",
    "cloudkms.cryptoKeys.setIamPolicy",
];
const KEY_PERMISSIONS: &[&str] = &[
    "cloudkms.cryptoKeys.get",
    "cloudkms.cryptoKeys.getIamPolicy",
    "cloudkms.cryptoKeys.setIamPolicy",
];
const SA_PERMISSIONS: &[&str] = &[
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.getIamPolicy",
    "iam.serviceAccounts.setIamPolicy",
];

/// testIamPermissions on the service account's project (Service Usage, IAM), on the key
/// project (Cloud KMS; the same project unless `key_project` names another, which then also
/// needs Service Usage to read — and, when an API must be enabled, enable — Cloud KMS), and on
/// each existing key and the service account; a permission counts if granted at its project or
/// on the resource itself. Names every missing permission with its project or resource before
/// any write.
pub(crate) async fn check_permissions(run: &Run<'_>) -> Result<StepDone> {
    let g = &run.conn.google;
    let req = &run.plan.request;
    let project = &req.project;
    let key_project = req.keys_project();
    let separate = key_project != project.as_str();
    let mut at_sa_project: Vec<&str> = SA_PROJECT_PERMISSIONS.to_vec();
    let mut at_key_project: Vec<&str> = KMS_PROJECT_PERMISSIONS.to_vec();
    if separate {
        at_key_project.push("serviceusage.services.get");
        let enabling = run
            .plan
            .steps
            .iter()
            .any(|s| s.kind == StepKind::EnableApis && !s.already_done);
        if enabling {
            at_key_project.push("serviceusage.services.enable");
        }
    } else {
        at_sa_project.append(&mut at_key_project);
    }
    let sa_granted = g.crm.test_iam_permissions(project, &at_sa_project).await?;
    let key_granted = match separate {
        true => {
            g.crm
                .test_iam_permissions(key_project, &at_key_project)
                .await?
        }
        false => sa_granted.clone(),
    };
    let mut missing: Vec<String> = Vec::new();
    for key in run.plan.keys.iter().filter(|k| k.exists) {
        let granted = g
            .kms
            .test_iam_permissions(&key.name, KEY_PERMISSIONS)
            .await?;
        for p in KEY_PERMISSIONS
            .iter()
            .filter(|p| !key_granted.iter().any(|x| x == *p) && !granted.iter().any(|x| x == *p))
        {
            missing.push(format!("{p} on {}", key.name));
        }
    }
    if run.plan.service_account_exists {
        let email = &run.plan.service_account_email;
        let granted = g
            .iam
            .test_iam_permissions(project, email, SA_PERMISSIONS)
            .await?;
        for p in SA_PERMISSIONS
            .iter()
            .filter(|p| !sa_granted.iter().any(|x| x == *p) && !granted.iter().any(|x| x == *p))
        {
            missing.push(format!("{p} on {email}"));
        }
    }
    let needed = |p: &&&str| {
        let covered_elsewhere = (run.plan.service_account_exists && SA_PERMISSIONS.contains(p))
            || (p.starts_with("cloudkms.cryptoKeys.")
                && !p.ends_with("create")
                && run.plan.keys.iter().all(|k| k.exists));
        let skip_create_sa = **p == "iam.serviceAccounts.create" && run.plan.service_account_exists;
        !covered_elsewhere && !skip_create_sa
    };
    let mut checks = vec![(project.as_str(), &at_sa_project, &sa_granted)];
    if separate {
        checks.push((key_project, &at_key_project, &key_granted));
    }
    for (in_project, wanted, granted) in checks {
        for p in wanted
            .iter()
            .filter(needed)
            .filter(|p| !granted.iter().any(|x| x == *p))
        {
            missing.push(format!("{p} on projects/{in_project}"));
        }
    }
    if missing.is_empty() {
        return Ok((
            StepOutcome::Unchanged,
            format!(
                "{} holds every permission the setup needs.",
                run.conn.info.google_identity
            ),
        ));
    }
    Err(Error::new(ErrorCode::PermissionDenied, format!(
        "{} is missing {} permission(s); nothing was changed: {}. Roles that carry them: Cloud KMS Admin, Service Account Admin, Service Usage Admin.",
        run.conn.info.google_identity, missing.len(), missing.join("; ")
    )).with_permission(missing[0].split(' ').next().unwrap_or_default().to_owned()))
}

/// Enables `cloudkms.googleapis.com` and `iam.googleapis.com` if needed and waits for the
/// operations (field report B19).
pub(crate) async fn enable_apis(run: &Run<'_>) -> Result<StepDone> {
    let su = &run.conn.google.service_usage;
    let req = &run.plan.request;
    let timing = run.conn.timing;
    let mut enabled = Vec::new();
    // Cloud KMS where the keys live (the key project when separate), IAM where the service
    // account lives.
    for (service, project) in [
        (SERVICE_KMS, req.keys_project()),
        (SERVICE_IAM, req.project.as_str()),
    ] {
        if su.get_service(project, service).await?.is_enabled() {
            continue;
        }
        run.note(format!("Enabling {service} in {project}…"));
        let op = su.enable_service(project, service).await?;
        let op = if op.done || op.name.ends_with("DONE_OPERATION") {
            op
        } else {
            let name = op.name.clone();
            cmek_retry::poll(
                &wait::api_enable(&timing),
                &run.cancel(),
                |w| {
                    run.note(format!(
                        "Waiting for {service} to be enabled ({} elapsed)",
                        mmss(w.elapsed)
                    ))
                },
                || async {
                    let op = su.get_operation(&name).await?;
                    Ok(if op.done {
                        Check::Ready(op)
                    } else {
                        Check::NotYet(Error::new(
                            ErrorCode::Timeout,
                            format!("Enabling {service} did not finish in time."),
                        ))
                    })
                },
            )
            .await?
        };
        if let Some(err) = op.error {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!(
                    "Enabling {service} failed: {}",
                    err["message"].as_str().unwrap_or("no message")
                ),
            ));
        }
        enabled.push(format!("{service} in {project}"));
    }
    Ok(if enabled.is_empty() {
        (
            StepOutcome::Unchanged,
            "Cloud KMS and IAM APIs are enabled.".into(),
        )
    } else {
        (
            StepOutcome::Done,
            format!("Enabled {}.", enabled.join(" and ")),
        )
    })
}

/// Creates the customer service account (or adopts it) and waits until reads of it succeed
/// `sa_ready_reads` times in a row (field report B07).
pub(crate) async fn create_service_account(run: &Run<'_>) -> Result<StepDone> {
    let iam = &run.conn.google.iam;
    let project = &run.plan.request.project;
    let email = &run.plan.service_account_email;
    if let Some(sa) = iam.get_service_account(project, email).await? {
        if sa.disabled {
            return Err(Error::new(ErrorCode::FailedPrecondition, format!("Service account {email} exists but is disabled. Enable it, or choose another service account id.")).with_resource(email.clone()));
        }
        return Ok((
            StepOutcome::Adopted,
            format!("{email} already exists; using it."),
        ));
    }
    let cluster = &run.plan.cluster.name;
    let outcome = match iam.create_service_account(project, &run.plan.request.service_account_id, "CockroachDB CMEK", &format!("CockroachDB Cloud cluster {cluster} acts as this account to use its CMEK key. Created by CMEK Desk.")).await {
        Ok(_) => StepOutcome::Done,
        Err(e) if e.code == ErrorCode::AlreadyExists => StepOutcome::Adopted,
        Err(e) => return Err(e),
    };
    run.mark_fresh(email);
    let timing = run.conn.timing;
    // Ready after `sa_ready_reads` successful reads in a row (Terraform uses 3); any miss starts
    // the streak again after the poll interval.
    let not_yet = || {
        Error::new(ErrorCode::Timeout, format!("Service account {email} was created but Google did not show it within {}. Apply again in a minute.", mmss(timing.fresh_resource))).with_resource(email.clone())
    };
    cmek_retry::poll(
        &wait::resource_ready(&timing),
        &run.cancel(),
        |_| run.note(format!("Waiting for {email} to become visible…")),
        || async {
            for _ in 0..timing.sa_ready_reads {
                match iam.get_service_account(project, email).await {
                    Ok(Some(_)) => {}
                    Ok(None) => return Ok(Check::NotYet(not_yet())),
                    Err(e) if not_visible_yet(&e) => return Ok(Check::NotYet(not_yet())),
                    Err(e) => return Err(e),
                }
            }
            Ok(Check::Ready(()))
        },
    )
    .await?;
    Ok((outcome, format!("{email} is ready.")))
}

/// Which "not visible yet" answers a grant may wait out.
#[derive(Clone, Copy, PartialEq)]
enum Fresh {
    /// Nothing involved was created by this run: no retries.
    No,
    /// The member was just created: only "member does not exist" (B07).
    Member,
    /// The resource itself was just created: 403/404 and "member does not exist" (B06).
    Resource,
}

/// Adds `grant` to `target`, retrying "not visible yet" answers on what this run created
/// (`cmek_retry::policy::FRESH_RESOURCE`), and nothing else.
async fn grant(
    run: &Run<'_>,
    target: PolicyTarget,
    grant: Grant,
    fresh: Fresh,
) -> Result<StepDone> {
    let retryable = |e: &Error| match fresh {
        Fresh::No => false,
        Fresh::Member => e.code == ErrorCode::MemberNotFound,
        Fresh::Resource => not_visible_yet(e),
    };
    let label = target.to_string();
    let edit = cmek_retry::retry(
        &wait::fresh_resource(&run.conn.timing),
        &run.cancel(),
        retryable,
        |w| {
            run.note(format!(
                "{label} is not visible to IAM yet ({}; {} elapsed); retrying",
                w.error.message,
                mmss(w.elapsed)
            ))
        },
        || edit_policy(&run.conn.google, &target, std::slice::from_ref(&grant), &[]),
    )
    .await?;
    Ok(if edit.outcome.is_noop() {
        (
            StepOutcome::Unchanged,
            format!("{} already holds {} on {label}.", grant.member, grant.role),
        )
    } else {
        (
            StepOutcome::Done,
            format!(
                "Granted {} to {} on {label}; every other binding kept.",
                grant.role, grant.member
            ),
        )
    })
}

/// Token Creator for CockroachDB's principal on the service account. A 400 "does not exist"
/// for that principal writes nothing and says why it may be missing (field report B08).
pub(crate) async fn grant_token_creator(run: &Run<'_>) -> Result<StepDone> {
    let p = run.plan;
    let target = PolicyTarget::ServiceAccount {
        project: p.request.project.clone(),
        email: p.service_account_email.clone(),
    };
    let g = Grant::new(
        ROLE_TOKEN_CREATOR,
        service_account_member(&p.cockroach_principal),
    );
    let fresh = if run.is_fresh(&p.service_account_email) {
        Fresh::Resource
    } else {
        Fresh::No
    };
    match grant(run, target, g, fresh).await {
        Err(e) if e.code == ErrorCode::MemberNotFound || (e.code == ErrorCode::InvalidArgument && e.message.contains(&p.cockroach_principal)) => Err(Error::new(
            ErrorCode::MemberNotFound,
            format!(
                "Google says CockroachDB's identity {} does not exist, so nothing was written. Either CockroachDB has not provisioned it yet (a cluster created minutes ago), or the cluster id or its account ({}) is not the one you meant. Try again in a few minutes.",
                p.cockroach_principal, p.cluster.account_id
            ),
        )
        .with_resource(p.cockroach_principal.clone())),
        other => other,
    }
}

/// Creates the key ring, or adopts it when it exists (409 included; key rings are permanent, B02).
pub(crate) async fn create_key_ring(run: &Run<'_>, ring: &str) -> Result<StepDone> {
    let kms = &run.conn.google.kms;
    if kms.get_key_ring(ring).await?.is_some() {
        return Ok((
            StepOutcome::Adopted,
            format!("{ring} already exists; reusing it (key rings cannot be deleted)."),
        ));
    }
    let (parent, id) = ring
        .rsplit_once("/keyRings/")
        .ok_or_else(|| Error::internal(format!("not a key ring name: {ring}")))?;
    match kms.create_key_ring(parent, id).await {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::AlreadyExists => {
            // Lost a race with another writer: read it back before adopting it (B02).
            kms.get_key_ring(ring).await?.ok_or_else(|| {
                Error::internal(format!(
                    "{ring}: Google said it exists but it cannot be read"
                ))
            })?;
            return Ok((
                StepOutcome::Adopted,
                format!("{ring} already existed; reusing it."),
            ));
        }
        Err(e) => return Err(e),
    }
    run.mark_fresh(ring);
    kms.get_key_ring(ring)
        .await?
        .ok_or_else(|| Error::internal(format!("{ring} was created but cannot be read back")))?;
    Ok((StepOutcome::Done, format!("Created {ring}.")))
}

/// Creates the symmetric key with rotation set (both fields, B20), or adopts an existing one
/// after checking it (B01); then makes sure it has an ENABLED primary version (B23).
pub(crate) async fn create_crypto_key(run: &Run<'_>, name: &str) -> Result<StepDone> {
    let kms = &run.conn.google.kms;
    let req = &run.plan.request;
    let mut outcome = StepOutcome::Adopted;
    let key = match kms.get_crypto_key(name).await? {
        Some(k) => k,
        None => {
            let (ring, id) = name
                .rsplit_once("/cryptoKeys/")
                .ok_or_else(|| Error::internal(format!("not a key name: {name}")))?;
            let body = CryptoKey {
                purpose: Some(PURPOSE_ENCRYPT_DECRYPT.into()),
                version_template: Some(VersionTemplate {
                    algorithm: Some(ALGORITHM_SYMMETRIC.into()),
                    protection_level: Some(req.protection_level.as_kms().into()),
                }),
                rotation_period: req
                    .rotation_days()
                    .map(|d| format_duration_secs(u64::from(d) * 86_400)),
                next_rotation_time: crate::plan::next_rotation_time(req.rotation_days()),
                labels: [("managed-by".to_owned(), serde_json::json!("cmek-desk"))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            match kms.create_crypto_key(ring, id, &body).await {
                Ok(k) => {
                    outcome = StepOutcome::Done;
                    run.mark_fresh(name);
                    k
                }
                Err(e) if e.code == ErrorCode::AlreadyExists => kms
                    .get_crypto_key(name)
                    .await?
                    .ok_or_else(|| Error::internal(format!("{name} exists but cannot be read")))?,
                Err(e) => return Err(e),
            }
        }
    };
    if key.purpose.as_deref() != Some(PURPOSE_ENCRYPT_DECRYPT) {
        return Err(Error::new(ErrorCode::FailedPrecondition, format!(
            "{name} already exists with purpose {}; CMEK needs a symmetric ENCRYPT_DECRYPT key. Key names cannot be reused in Cloud KMS: pick another key id.",
            key.purpose.as_deref().unwrap_or("unknown")
        )).with_resource(name.to_owned()));
    }
    ensure_enabled_primary(run, name, key).await?;
    let verb = if outcome == StepOutcome::Done {
        "Created"
    } else {
        "Adopted existing key"
    };
    Ok((outcome, format!("{verb} {name}; primary version ENABLED.")))
}

/// Waits out PENDING_GENERATION (HSM; `cmek_retry::policy::RESOURCE_READY_POLL`); creates and
/// promotes a version when there is no primary.
async fn ensure_enabled_primary(run: &Run<'_>, name: &str, mut key: CryptoKey) -> Result<()> {
    let kms = &run.conn.google.kms;
    let timing = run.conn.timing;
    if key.primary.is_none() {
        run.note(format!(
            "{name} has no primary version; creating one and making it primary."
        ));
        let v = kms.create_version(name).await?;
        key = kms.update_primary_version(name, v.version_id()).await?;
    }
    let not_enabled = |state: &str| {
        Error::new(ErrorCode::FailedPrecondition, format!(
            "{name}'s primary version is {state}; CockroachDB needs it ENABLED. Enable or restore it in Cloud KMS, or pick another key id."
        )).with_resource(name.to_owned())
    };
    // The first check looks at the key in hand; later ones read it again.
    let in_hand = std::sync::Mutex::new(Some(key));
    cmek_retry::poll(
        &wait::resource_ready(&timing),
        &run.cancel(),
        |_| {
            run.note(format!(
                "Waiting for {name}'s first version to be generated…"
            ))
        },
        || async {
            let taken = in_hand.lock().expect("key lock").take();
            let key = match taken {
                Some(k) => k,
                None => kms
                    .get_crypto_key(name)
                    .await?
                    .ok_or_else(|| Error::internal(format!("{name} disappeared")))?,
            };
            let state = key
                .primary
                .as_ref()
                .and_then(|p| p.state.clone())
                .unwrap_or_default();
            match state.as_str() {
                version_state::ENABLED => Ok(Check::Ready(())),
                version_state::PENDING_GENERATION => Ok(Check::NotYet(not_enabled(&state))),
                other => Err(not_enabled(other)),
            }
        },
    )
    .await
}

/// Encrypter/Decrypter for the service account on the key.
pub(crate) async fn grant_encrypter_decrypter(run: &Run<'_>, key: &str) -> Result<StepDone> {
    let email = &run.plan.service_account_email;
    let fresh = match (run.is_fresh(key), run.is_fresh(email)) {
        (true, _) => Fresh::Resource,
        (false, true) => Fresh::Member,
        (false, false) => Fresh::No,
    };
    grant(
        run,
        PolicyTarget::Kms(key.to_owned()),
        Grant::new(ROLE_ENCRYPTER_DECRYPTER, service_account_member(email)),
        fresh,
    )
    .await
}
