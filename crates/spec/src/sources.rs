//! The contract files, embedded at compile time so every binary (app, sandbox, tests)
//! carries exactly the specs it was built against. Paths are relative to this crate.

/// One embedded Google discovery document.
pub(crate) struct DiscoverySource {
    pub(crate) service: crate::GoogleService,
    pub(crate) file: &'static str,
    pub(crate) text: &'static str,
}

/// Every Google discovery document shipped in `specs/gcp`.
pub(crate) const DISCOVERY: &[DiscoverySource] = &[
    DiscoverySource {
        service: crate::GoogleService::CloudKms,
        file: "cloudkms-v1.json",
        text: include_str!("../../../specs/gcp/cloudkms-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::Iam,
        file: "iam-v1.json",
        text: include_str!("../../../specs/gcp/iam-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::IamCredentials,
        file: "iamcredentials-v1.json",
        text: include_str!("../../../specs/gcp/iamcredentials-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::CloudResourceManagerV1,
        file: "cloudresourcemanager-v1.json",
        text: include_str!("../../../specs/gcp/cloudresourcemanager-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::CloudResourceManagerV3,
        file: "cloudresourcemanager-v3.json",
        text: include_str!("../../../specs/gcp/cloudresourcemanager-v3.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::ServiceUsage,
        file: "serviceusage-v1.json",
        text: include_str!("../../../specs/gcp/serviceusage-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::OAuth2,
        file: "oauth2-v2.json",
        text: include_str!("../../../specs/gcp/oauth2-v2.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::CloudAsset,
        file: "cloudasset-v1.json",
        text: include_str!("../../../specs/gcp/cloudasset-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::KmsInventory,
        file: "kmsinventory-v1.json",
        text: include_str!("../../../specs/gcp/kmsinventory-v1.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::Logging,
        file: "logging-v2.json",
        text: include_str!("../../../specs/gcp/logging-v2.json"),
    },
    DiscoverySource {
        service: crate::GoogleService::Monitoring,
        file: "monitoring-v3.json",
        text: include_str!("../../../specs/gcp/monitoring-v3.json"),
    },
];

/// The CockroachDB Cloud OpenAPI 3.0 document.
pub(crate) const COCKROACH_OPENAPI: &str =
    include_str!("../../../specs/cockroach-cloud-openapi.json");

/// The recorded real Google traffic, `(file name, text)`.
pub const RECORDINGS: &[(&str, &str)] = &[
    (
        "iam-serviceaccount-crud.http.log",
        include_str!("../../../specs/gcp/recordings/iam-serviceaccount-crud.http.log"),
    ),
    (
        "iam-serviceaccount-notfound.http.log",
        include_str!("../../../specs/gcp/recordings/iam-serviceaccount-notfound.http.log"),
    ),
    (
        "kms-cryptokey-iam.http.log",
        include_str!("../../../specs/gcp/recordings/kms-cryptokey-iam.http.log"),
    ),
    (
        "kms-cryptokey.http.log",
        include_str!("../../../specs/gcp/recordings/kms-cryptokey.http.log"),
    ),
    (
        "kms-keyring-iam.http.log",
        include_str!("../../../specs/gcp/recordings/kms-keyring-iam.http.log"),
    ),
    (
        "kms-keyring.http.log",
        include_str!("../../../specs/gcp/recordings/kms-keyring.http.log"),
    ),
    (
        "resourcemanager-project-crud.http.log",
        include_str!("../../../specs/gcp/recordings/resourcemanager-project-crud.http.log"),
    ),
    (
        "resourcemanager-project-iam.http.log",
        include_str!("../../../specs/gcp/recordings/resourcemanager-project-iam.http.log"),
    ),
    (
        "serviceusage-service-crud.http.log",
        include_str!("../../../specs/gcp/recordings/serviceusage-service-crud.http.log"),
    ),
];
