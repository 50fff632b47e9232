//! Every Google method the app uses exists in its discovery document and the route table
//! resolves a concrete path back to it; the Cloud API routes and schemas behave likewise.

use cmek_spec::{GoogleService, Spec, APP_GOOGLE_METHODS};
use serde_json::json;

#[test]
fn app_methods_exist_and_route() {
    let spec = Spec::load();
    assert_eq!(APP_GOOGLE_METHODS.len(), 51);
    for m in APP_GOOGLE_METHODS {
        let declared = spec
            .google_method(m.service, m.id)
            .unwrap_or_else(|| panic!("{} missing from {}", m.id, spec.discovery_file(m.service)));
        assert_eq!(declared.http_method, m.http_method, "{}", m.id);
        let routed = spec
            .google_operation(m.service, m.http_method, m.example_path)
            .unwrap_or_else(|| panic!("{} {} does not route", m.http_method, m.example_path));
        assert_eq!(routed.id, m.id, "{} {}", m.http_method, m.example_path);
        let with_query = format!("{}?alt=json&prettyPrint=false", m.example_path);
        assert_eq!(
            spec.google_operation(m.service, m.http_method, &with_query)
                .map(|o| o.id),
            Some(m.id.to_owned())
        );
    }
}

#[test]
fn routing_edge_cases() {
    let spec = Spec::load();
    let kms = GoogleService::CloudKms;
    let r = "v1/projects/p/locations/global/keyRings/r";
    assert_eq!(
        spec.google_operation(kms, "GET", r).unwrap().id,
        "cloudkms.projects.locations.keyRings.get"
    );
    let op = spec
        .google_operation(kms, "GET", &format!("{r}:getIamPolicy"))
        .unwrap();
    assert_eq!(op.id, "cloudkms.projects.locations.keyRings.getIamPolicy");
    assert_eq!(op.response_schema.as_deref(), Some("Policy"));
    assert_eq!(op.request_schema, None);
    // Wrong method, unknown verb, extra segment.
    assert!(spec
        .google_operation(kms, "POST", &format!("{r}:getIamPolicy"))
        .is_none());
    assert!(spec
        .google_operation(kms, "GET", &format!("{r}:bogus"))
        .is_none());
    assert!(spec
        .google_operation(kms, "GET", &format!("{r}/x"))
        .is_none());
    // Collection verb vs member verb.
    let op = spec.google_operation(
        kms,
        "POST",
        "v1/projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions:import",
    );
    assert_eq!(
        op.unwrap().id,
        "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.import"
    );
    // CRM v1/v3 share a host and ids; the path picks the version.
    let crm = "cloudresourcemanager.googleapis.com";
    assert_eq!(
        spec.google_operation_for_host(crm, "GET", "v1/projects/p")
            .unwrap()
            .service,
        GoogleService::CloudResourceManagerV1
    );
    assert_eq!(
        spec.google_operation_for_host(crm, "GET", "v3/projects/p")
            .unwrap()
            .service,
        GoogleService::CloudResourceManagerV3
    );
    let v1_project = json!({ "projectId": "p", "projectNumber": "1", "lifecycleState": "ACTIVE" });
    assert!(spec
        .validate_google_response(
            (
                GoogleService::CloudResourceManagerV1,
                "cloudresourcemanager.projects.get"
            ),
            &v1_project
        )
        .is_ok());
    assert!(spec
        .validate_google_response(
            (
                GoogleService::CloudResourceManagerV3,
                "cloudresourcemanager.projects.get"
            ),
            &v1_project
        )
        .is_err());
    assert!(
        spec.validate_google_response("cloudresourcemanager.projects.get", &v1_project)
            .is_ok(),
        "ambiguous id: any candidate"
    );
}

#[test]
fn cockroach_routes() {
    let spec = Spec::load();
    let op = spec
        .cockroach_operation("GET", "/api/v1/clusters/c1/cmek")
        .unwrap();
    assert_eq!(op.id, "CockroachCloud_GetCMEKClusterInfo");
    assert_eq!(op.response_schema.as_deref(), Some("CMEKClusterInfo"));
    for (method, id) in [
        ("POST", "CockroachCloud_EnableCMEKSpec"),
        ("PUT", "CockroachCloud_UpdateCMEKSpec"),
        ("PATCH", "CockroachCloud_UpdateCMEKStatus"),
    ] {
        assert_eq!(
            spec.cockroach_operation(method, "/api/v1/clusters/c1/cmek?x=1")
                .unwrap()
                .id,
            id
        );
    }
    assert_eq!(
        spec.cockroach_operation("GET", "/api/v1/clusters/available-regions")
            .unwrap()
            .id,
        "CockroachCloud_ListAvailableRegions"
    );
    assert_eq!(
        spec.cockroach_operation("GET", "/api/v1/clusters/c1")
            .unwrap()
            .id,
        "CockroachCloud_GetCluster"
    );
    assert!(spec
        .cockroach_operation("GET", "/api/v1/clusters/c1/cmek/extra")
        .is_none());
    assert!(spec
        .cockroach_operation_by_id("CockroachCloud_GetCluster")
        .is_some());
}

#[test]
fn cockroach_bodies() {
    let spec = Spec::load();
    let enable = json!({ "region_specs": [{ "region": "us-central1",
        "key_spec": { "type": "GCP_CLOUD_KMS", "uri": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
                      "auth_principal": "sa@p.iam.gserviceaccount.com" } }] });
    spec.validate_cockroach_request("CockroachCloud_EnableCMEKSpec", &enable)
        .unwrap();
    // Unknown top-level field, missing required field, bad enum.
    let v = spec
        .validate_cockroach_request(
            "CockroachCloud_EnableCMEKSpec",
            &json!({ "region_specs": [], "regions": [] }),
        )
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/regions", "additionalProperties")
    );
    let v = spec
        .validate_cockroach_request("CockroachCloud_UpdateCMEKStatus", &json!({}))
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/action", "required")
    );
    let v = spec
        .validate_cockroach_request(
            "CockroachCloud_UpdateCMEKStatus",
            &json!({ "action": "NUKE" }),
        )
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/action", "enum")
    );
    // Cluster.required names is_customer_cloud_account, which is not a property: not enforced.
    let cluster = json!({ "id": "c1", "name": "n", "cloud_provider": "GCP", "plan": "ADVANCED", "state": "CREATED",
                          "cockroach_version": "v24.1.0", "regions": [], "config": {}, "creator_id": "u",
                          "operation_status": "CLUSTER_STATUS_UNSPECIFIED", "upgrade_status": "UPGRADE_AVAILABLE" });
    if let Err(v) = spec.validate_cockroach_response("CockroachCloud_GetCluster", 200, &cluster) {
        assert!(
            v.iter()
                .all(|x| !x.pointer.ends_with("is_customer_cloud_account")),
            "{v:?}"
        );
    }
    // Responses allow unknown fields (OAS default) but check types; errors use Status.
    spec.validate_cockroach_response(
        "CockroachCloud_GetCMEKClusterInfo",
        200,
        &json!({ "status": "ENABLED", "extra": 1 }),
    )
    .unwrap();
    let v = spec
        .validate_cockroach_response(
            "CockroachCloud_GetCMEKClusterInfo",
            200,
            &json!({ "region_infos": {} }),
        )
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/region_infos", "type")
    );
    spec.validate_cockroach_response(
        "CockroachCloud_GetCMEKClusterInfo",
        404,
        &json!({ "code": 5, "message": "not found" }),
    )
    .unwrap();
    assert!(spec
        .validate_cockroach_response(
            "CockroachCloud_GetCMEKClusterInfo",
            404,
            &json!({ "code": "5" })
        )
        .is_err());
    assert!(spec.validate_cockroach_request("Nope", &json!({})).is_err());
}
