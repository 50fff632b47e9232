//! Equivalent command lines for a [`Plan`]: what a reviewer would type by hand.
//!
//! Only current gcloud syntax is emitted (`gcloud kms keys …`, never the removed
//! `gcloud kms cryptokeys …`; field report B41). The flags used are checked in tests against
//! the table [`KNOWN_COMMANDS`], transcribed from the gcloud reference pages named there.

use crate::cockroach::CC_VERSION;
use crate::iam::{ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use crate::names::{format_duration_secs, CryptoKeyName};
use crate::plan::{PlannedKey, SetupRequest};

/// gcloud commands we emit and the flags each accepts (cloud.google.com/sdk/gcloud/reference/…:
/// `services/enable`, `iam/service-accounts/create`, `iam/service-accounts/add-iam-policy-binding`,
/// `kms/keyrings/create`, `kms/keys/create`, `kms/keys/add-iam-policy-binding`).
pub const KNOWN_COMMANDS: &[(&str, &[&str])] = &[
    ("gcloud services enable", &["--project"]),
    (
        "gcloud iam service-accounts create",
        &["--project", "--display-name", "--description"],
    ),
    (
        "gcloud iam service-accounts add-iam-policy-binding",
        &["--project", "--member", "--role", "--condition"],
    ),
    ("gcloud kms keyrings create", &["--project", "--location"]),
    (
        "gcloud kms keys create",
        &[
            "--project",
            "--location",
            "--keyring",
            "--purpose",
            "--protection-level",
            "--rotation-period",
            "--next-rotation-time",
            "--default-algorithm",
        ],
    ),
    (
        "gcloud kms keys add-iam-policy-binding",
        &[
            "--project",
            "--location",
            "--keyring",
            "--member",
            "--role",
            "--condition",
        ],
    ),
];

/// Inputs the commands need besides the request.
pub struct CommandInputs<'a> {
    pub request: &'a SetupRequest,
    pub cockroach_principal: &'a str,
    pub service_account_email: &'a str,
    pub keys: &'a [PlannedKey],
    pub next_rotation_time: Option<&'a str>,
    pub cmek_body_json: &'a str,
}

/// The full sequence, one command per string, in execution order.
pub fn commands(i: &CommandInputs<'_>) -> Vec<String> {
    let p = &i.request.project;
    let mut out = match i.request.separate_key_project() {
        // A separate key project (the C12 fix): Cloud KMS there, IAM where the service account is.
        Some(kp) => vec![
            format!("gcloud services enable iam.googleapis.com --project={p}"),
            format!("gcloud services enable cloudkms.googleapis.com --project={kp}"),
        ],
        None => vec![format!(
            "gcloud services enable cloudkms.googleapis.com iam.googleapis.com --project={p}"
        )],
    };
    out.extend([
        format!(
            "gcloud iam service-accounts create {} --project={p} --display-name=\"CockroachDB CMEK\"",
            i.request.service_account_id
        ),
        format!(
            "gcloud iam service-accounts add-iam-policy-binding {} --project={p} --member=serviceAccount:{} --role={ROLE_TOKEN_CREATOR}",
            i.service_account_email, i.cockroach_principal
        ),
    ]);
    let mut rings_done: Vec<String> = Vec::new();
    for key in i.keys {
        let Ok(name) = CryptoKeyName::parse(&key.name) else {
            continue;
        };
        let ring = &name.key_ring;
        if !rings_done.contains(&ring.to_string()) {
            rings_done.push(ring.to_string());
            out.push(format!(
                "gcloud kms keyrings create {} --location={} --project={}",
                ring.key_ring, ring.location, ring.project
            ));
        }
        let mut create = format!(
            "gcloud kms keys create {} --keyring={} --location={} --project={} --purpose=encryption --protection-level={}",
            name.crypto_key,
            ring.key_ring,
            ring.location,
            ring.project,
            i.request.protection_level.as_kms().to_ascii_lowercase()
        );
        if let (Some(days), Some(next)) = (i.request.rotation_days(), i.next_rotation_time) {
            create.push_str(&format!(
                " --rotation-period={} --next-rotation-time={next}",
                format_duration_secs(u64::from(days) * 86_400)
            ));
        }
        out.push(create);
        out.push(format!(
            "gcloud kms keys add-iam-policy-binding {} --keyring={} --location={} --project={} --member=serviceAccount:{} --role={ROLE_ENCRYPTER_DECRYPTER}",
            name.crypto_key, ring.key_ring, ring.location, ring.project, i.service_account_email
        ));
    }
    out.push(format!(
        "curl -X POST https://cockroachlabs.cloud/api/v1/clusters/{}/cmek -H \"Authorization: Bearer $COCKROACH_API_KEY\" -H \"Cc-Version: {CC_VERSION}\" --json '{}'",
        i.request.cluster_id, i.cmek_body_json
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{KeyLayout, ProtectionLevel};

    fn sample() -> Vec<String> {
        let request = SetupRequest {
            cluster_id: "35c4abb2-bb66-46d7-afed-25ebef5ed2aa".into(),
            project: "cmek-demo-project".into(),
            key_project: None,
            service_account_id: "crdb-cmek-25ebef5ed2aa".into(),
            key_ring: "crdb".into(),
            crypto_key: "crdb-cmek".into(),
            layout: KeyLayout::KeyPerRegion,
            protection_level: ProtectionLevel::Hsm,
            rotation_period_days: Some(90.into()),
        };
        let keys = vec![PlannedKey {
            name: "projects/cmek-demo-project/locations/us-east4/keyRings/crdb/cryptoKeys/crdb-cmek-us-east4".into(),
            location: "us-east4".into(),
            regions: vec!["us-east4".into()],
            exists: false,
            primary_state: None,
        }];
        commands(&CommandInputs {
            request: &request,
            cockroach_principal: "crl-kms-user-25ebef5ed2aa@crl-prod-abc.iam.gserviceaccount.com",
            service_account_email:
                "crdb-cmek-25ebef5ed2aa@cmek-demo-project.iam.gserviceaccount.com",
            keys: &keys,
            next_rotation_time: Some("2027-03-01T00:00:00Z"),
            cmek_body_json: "{}",
        })
    }

    #[test]
    fn b41_every_gcloud_command_uses_current_groups_and_known_flags() {
        for cmd in sample().iter().filter(|c| c.starts_with("gcloud ")) {
            assert!(!cmd.contains("cryptokeys"), "deprecated group in {cmd}");
            let (prefix, flags) = KNOWN_COMMANDS
                .iter()
                .find(|(p, _)| cmd.starts_with(p))
                .unwrap_or_else(|| panic!("unknown gcloud command: {cmd}"));
            for word in cmd[prefix.len()..]
                .split_whitespace()
                .filter(|w| w.starts_with("--"))
            {
                let flag = word.split('=').next().unwrap();
                assert!(flags.contains(&flag), "{flag} is not a flag of `{prefix}`");
            }
        }
    }

    #[test]
    fn rotation_flags_come_as_a_pair_in_seconds() {
        let cmds = sample();
        let create = cmds
            .iter()
            .find(|c| c.starts_with("gcloud kms keys create"))
            .unwrap();
        assert!(create.contains("--rotation-period=7776000s"), "{create}");
        assert!(
            create.contains("--next-rotation-time=2027-03-01T00:00:00Z"),
            "{create}"
        );
        assert!(create.contains("--protection-level=hsm"));
        assert!(cmds.last().unwrap().contains("Cc-Version: 2024-09-16"));
    }

    #[test]
    fn a_separate_key_project_puts_kms_commands_there_and_iam_in_the_service_account_project() {
        let mut request = SetupRequest {
            cluster_id: "35c4abb2-bb66-46d7-afed-25ebef5ed2aa".into(),
            project: "cmek-demo-project".into(),
            key_project: Some("cmek-keys-project".into()),
            service_account_id: "crdb-cmek-25ebef5ed2aa".into(),
            key_ring: "crdb".into(),
            crypto_key: "crdb-cmek".into(),
            layout: KeyLayout::KeyPerRegion,
            protection_level: ProtectionLevel::Software,
            rotation_period_days: None,
        };
        let keys = vec![PlannedKey {
            name: "projects/cmek-keys-project/locations/us-east4/keyRings/crdb/cryptoKeys/crdb-cmek-us-east4".into(),
            location: "us-east4".into(),
            regions: vec!["us-east4".into()],
            exists: false,
            primary_state: None,
        }];
        let run = |request: &SetupRequest| {
            commands(&CommandInputs {
                request,
                cockroach_principal:
                    "crl-kms-user-25ebef5ed2aa@crl-prod-abc.iam.gserviceaccount.com",
                service_account_email:
                    "crdb-cmek-25ebef5ed2aa@cmek-demo-project.iam.gserviceaccount.com",
                keys: &keys,
                next_rotation_time: None,
                cmek_body_json: "{}",
            })
        };
        let cmds = run(&request);
        for c in cmds.iter().filter(|c| c.starts_with("gcloud kms ")) {
            assert!(
                c.ends_with("--project=cmek-keys-project")
                    || c.contains("--project=cmek-keys-project "),
                "{c}"
            );
        }
        for c in cmds.iter().filter(|c| c.starts_with("gcloud iam ")) {
            assert!(c.contains("--project=cmek-demo-project"), "{c}");
        }
        assert!(cmds.contains(
            &"gcloud services enable cloudkms.googleapis.com --project=cmek-keys-project"
                .to_owned()
        ));
        assert!(cmds.contains(
            &"gcloud services enable iam.googleapis.com --project=cmek-demo-project".to_owned()
        ));
        // The same project as `project`, or empty, is no separate key project.
        for same in ["cmek-demo-project", "", "  "] {
            request.key_project = Some(same.into());
            assert_eq!(request.keys_project(), "cmek-demo-project");
            assert!(run(&request)[0].contains("cloudkms.googleapis.com iam.googleapis.com"));
        }
    }
}
