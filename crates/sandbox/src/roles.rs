//! The small role -> permission table the sandbox's authorization model uses.
//! Only the roles CMEK Desk deals with are modelled; unknown roles grant nothing.

/// Roles the sandbox knows, with a short description (for documentation and the demo UI).
pub const KNOWN_ROLES: &[&str] = &[
    "roles/owner",
    "roles/editor",
    "roles/viewer",
    "roles/cloudkms.admin",
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountTokenCreator",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/iam.securityAdmin",
    "roles/cloudasset.viewer",
    "roles/cloudkms.protectedResourcesViewer",
];

const KMS_USE: &[&str] = &[
    "cloudkms.cryptoKeyVersions.useToEncrypt",
    "cloudkms.cryptoKeyVersions.useToDecrypt",
];
const TOKEN_CREATOR: &[&str] = &[
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
];

fn is_read(p: &str) -> bool {
    p.ends_with(".get") || p.ends_with(".list") || p.ends_with(".getIamPolicy")
}

/// Whether `role` contains `permission`.
pub fn role_grants(role: &str, permission: &str) -> bool {
    match role {
        "roles/owner" => true,
        "roles/editor" => !permission.ends_with(".setIamPolicy"),
        "roles/viewer" => is_read(permission),
        "roles/cloudkms.admin" => {
            (permission.starts_with("cloudkms.") && !KMS_USE.contains(&permission))
                || permission == "resourcemanager.projects.get"
        }
        "roles/cloudkms.cryptoKeyEncrypterDecrypter" => {
            KMS_USE.contains(&permission)
                || matches!(
                    permission,
                    "cloudkms.locations.get"
                        | "cloudkms.locations.list"
                        | "resourcemanager.projects.get"
                )
        }
        "roles/iam.serviceAccountAdmin" => {
            permission.starts_with("iam.serviceAccounts.") && !TOKEN_CREATOR.contains(&permission)
                || permission == "resourcemanager.projects.get"
        }
        "roles/iam.serviceAccountTokenCreator" => TOKEN_CREATOR.contains(&permission),
        "roles/serviceusage.serviceUsageAdmin" => {
            permission.starts_with("serviceusage.") || permission == "resourcemanager.projects.get"
        }
        // Reads and edits IAM policies (here: of service accounts and projects) without
        // creating anything.
        "roles/iam.securityAdmin" => {
            is_read(permission)
                || matches!(
                    permission,
                    "iam.serviceAccounts.setIamPolicy" | "resourcemanager.projects.setIamPolicy"
                )
        }
        // Cloud Asset Inventory searches (and the project reads that go with them).
        "roles/cloudasset.viewer" => {
            permission.starts_with("cloudasset.assets.")
                || permission == "resourcemanager.projects.get"
        }
        // KMS Inventory's search of what a key protects, granted at the organisation.
        "roles/cloudkms.protectedResourcesViewer" => {
            permission == "cloudkms.protectedResources.search"
        }
        "roles/resourcemanager.projectIamAdmin" => matches!(
            permission,
            "resourcemanager.projects.getIamPolicy"
                | "resourcemanager.projects.setIamPolicy"
                | "resourcemanager.projects.get"
        ),
        _ => false,
    }
}
