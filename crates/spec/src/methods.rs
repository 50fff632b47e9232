//! The Google methods CMEK Desk calls, in one list, each with a concrete example path.
//!
//! Tests prove every entry exists in its discovery document and that the route table resolves
//! the example path back to it; the sandbox may use the list to know what it must serve.

use crate::GoogleService;

/// One Google method used by the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppMethod {
    /// Service whose discovery document declares the method.
    pub service: GoogleService,
    /// Discovery method id.
    pub id: &'static str,
    /// HTTP method.
    pub http_method: &'static str,
    /// A concrete path (after the service root) that must route to `id`.
    pub example_path: &'static str,
}

const fn m(
    service: GoogleService,
    id: &'static str,
    http_method: &'static str,
    example_path: &'static str,
) -> AppMethod {
    AppMethod {
        service,
        id,
        http_method,
        example_path,
    }
}

/// Every Google method the app uses.
pub const APP_GOOGLE_METHODS: &[AppMethod] = &[
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.create", "POST", "v1/projects/p1/locations/us-central1/keyRings"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.get", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.list", "GET", "v1/projects/p1/locations/us-central1/keyRings"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.getIamPolicy", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1:getIamPolicy"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.setIamPolicy", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1:setIamPolicy"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.testIamPermissions", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1:testIamPermissions"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.create", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.get", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.list", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.patch", "PATCH", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1:getIamPolicy"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1:setIamPolicy"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.testIamPermissions", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1:testIamPermissions"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.updatePrimaryVersion", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1:updatePrimaryVersion"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.create", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.get", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions/1"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.list", "GET", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.patch", "PATCH", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions/1"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.destroy", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions/1:destroy"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.restore", "POST", "v1/projects/p1/locations/us-central1/keyRings/kr1/cryptoKeys/k1/cryptoKeyVersions/1:restore"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.list", "GET", "v1/projects/p1/locations"),
    m(GoogleService::CloudKms, "cloudkms.projects.locations.get", "GET", "v1/projects/p1/locations/us-central1"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.create", "POST", "v1/projects/p1/serviceAccounts"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.get", "GET", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.list", "GET", "v1/projects/p1/serviceAccounts"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.patch", "PATCH", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.delete", "DELETE", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.disable", "POST", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com:disable"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.enable", "POST", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com:enable"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.getIamPolicy", "POST", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com:getIamPolicy"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.setIamPolicy", "POST", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com:setIamPolicy"),
    m(GoogleService::Iam, "iam.projects.serviceAccounts.testIamPermissions", "POST", "v1/projects/p1/serviceAccounts/sa1@p1.iam.gserviceaccount.com:testIamPermissions"),
    m(GoogleService::ServiceUsage, "serviceusage.services.get", "GET", "v1/projects/p1/services/cloudkms.googleapis.com"),
    m(GoogleService::ServiceUsage, "serviceusage.services.batchGet", "GET", "v1/projects/p1/services:batchGet"),
    m(GoogleService::ServiceUsage, "serviceusage.services.enable", "POST", "v1/projects/p1/services/cloudkms.googleapis.com:enable"),
    m(GoogleService::ServiceUsage, "serviceusage.services.batchEnable", "POST", "v1/projects/p1/services:batchEnable"),
    m(GoogleService::ServiceUsage, "serviceusage.operations.get", "GET", "v1/operations/acat.p2-123-abc"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.projects.search", "GET", "v3/projects:search"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.projects.get", "GET", "v3/projects/p1"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.projects.getIamPolicy", "POST", "v3/projects/p1:getIamPolicy"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.projects.setIamPolicy", "POST", "v3/projects/p1:setIamPolicy"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.projects.testIamPermissions", "POST", "v3/projects/p1:testIamPermissions"),
    m(GoogleService::CloudResourceManagerV1, "cloudresourcemanager.projects.get", "GET", "v1/projects/p1"),
    m(GoogleService::CloudResourceManagerV1, "cloudresourcemanager.projects.getIamPolicy", "POST", "v1/projects/p1:getIamPolicy"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.organizations.testIamPermissions", "POST", "v3/organizations/123:testIamPermissions"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.folders.testIamPermissions", "POST", "v3/folders/456:testIamPermissions"),
    m(GoogleService::CloudResourceManagerV3, "cloudresourcemanager.folders.get", "GET", "v3/folders/456"),
    m(GoogleService::CloudAsset, "cloudasset.searchAllResources", "GET", "v1/organizations/123:searchAllResources"),
    m(GoogleService::CloudAsset, "cloudasset.searchAllIamPolicies", "GET", "v1/folders/456:searchAllIamPolicies"),
    m(GoogleService::KmsInventory, "kmsinventory.projects.cryptoKeys.list", "GET", "v1/projects/p1/cryptoKeys"),
    m(GoogleService::KmsInventory, "kmsinventory.organizations.protectedResources.search", "GET", "v1/organizations/123/protectedResources:search"),
];
