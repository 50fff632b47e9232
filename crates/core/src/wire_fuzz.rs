//! Property tests of the response parsers (issue 13, hostile input): every wire model the
//! clients read (KMS, IAM, Service Usage, CockroachDB Cloud, AWS policy documents) fed random
//! JSON, truncated bodies, wrong-typed fields, unknown enum values and extra fields. A parser
//! never panics; a malformed body is an `Err`; unknown enum values and extra fields parse and
//! are kept (shown as received).

use crate::aws::policy::PolicyDocument;
use crate::cockroach::{CmekClusterInfo, ListClustersResponse, Organization};
use crate::iam::Policy;
use crate::kms::{ListCryptoKeyVersionsResponse, ListCryptoKeysResponse, ListKeyRingsResponse};
use crate::service_account::ServiceAccount;
use crate::service_usage::{Operation, Service};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A realistic body of each response the clients parse (from the APIs' reference samples).
fn samples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "ListKeyRingsResponse",
            json!({"keyRings": [{"name": "projects/p/locations/us-east1/keyRings/r", "createTime": "2025-01-01T00:00:00Z"}], "nextPageToken": "t"}),
        ),
        (
            "ListCryptoKeysResponse",
            json!({"cryptoKeys": [{"name": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k", "purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s", "nextRotationTime": "2025-04-01T00:00:00Z", "primary": {"name": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", "state": "ENABLED", "protectionLevel": "SOFTWARE"}, "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"}}]}),
        ),
        (
            "ListCryptoKeyVersionsResponse",
            json!({"cryptoKeyVersions": [{"name": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/2", "state": "DESTROY_SCHEDULED", "destroyTime": "2025-02-01T00:00:00Z"}]}),
        ),
        (
            "Policy",
            json!({"version": 3, "etag": "BwX=", "bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["serviceAccount:a@p.iam.gserviceaccount.com"], "condition": {"expression": "request.time < timestamp('2030-01-01T00:00:00Z')", "title": "t"}}], "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]}),
        ),
        (
            "ServiceAccount",
            json!({"name": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "projectId": "p", "uniqueId": "1234567890", "email": "a@p.iam.gserviceaccount.com", "disabled": true}),
        ),
        (
            "Service",
            json!({"name": "projects/123/services/cloudkms.googleapis.com", "parent": "projects/123", "state": "ENABLED"}),
        ),
        (
            "Operation",
            json!({"name": "operations/acf.p2-1", "done": true, "response": {"@type": "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse"}}),
        ),
        (
            "Organization",
            json!({"id": "7c5a8f9e-3b1d-4e2a-9f60-1a2b3c4d5e6f", "label": "demo", "name": "Demo", "created_at": "2025-01-15T10:00:00Z"}),
        ),
        (
            "ListClustersResponse",
            json!({"clusters": [{"id": "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", "name": "prod", "account_id": "crl-prod-abc", "cloud_provider": "GCP", "plan": "ADVANCED", "network_visibility": "PUBLIC", "state": "CREATED", "operation_status": "CLUSTER_STATUS_UNSPECIFIED", "cockroach_version": "v24.3.1", "regions": [{"name": "us-east4", "node_count": 3}]}], "pagination": {"next_page": "x"}}),
        ),
        (
            "CmekClusterInfo",
            json!({"status": "ENABLED", "region_infos": [{"region": "us-east4", "status": "ENABLED", "key_infos": [{"spec": {"type": "GCP_CLOUD_KMS", "uri": "projects/p/locations/us-east4/keyRings/r/cryptoKeys/k", "auth_principal": "a@p.iam.gserviceaccount.com"}, "status": "ENABLED", "user_message": "", "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}]}]}),
        ),
        (
            "PolicyDocument",
            json!({"Version": "2012-10-17", "Id": "key-policy", "Statement": [{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"sts:ExternalId": "org-1"}}}]}),
        ),
    ]
}

/// Parses `text` as the model named `name`: `Ok(re-serialized form)` for the models that
/// serialize, `Ok(Debug form)` for the others, `Err` when the body is not that model.
fn parse(name: &str, text: &str) -> Result<String, String> {
    fn via<T: serde::de::DeserializeOwned + std::fmt::Debug>(t: &str) -> Result<String, String> {
        serde_json::from_str::<T>(t)
            .map(|v| format!("{v:?}"))
            .map_err(|e| e.to_string())
    }
    match name {
        "ListKeyRingsResponse" => via::<ListKeyRingsResponse>(text),
        "ListCryptoKeysResponse" => via::<ListCryptoKeysResponse>(text),
        "ListCryptoKeyVersionsResponse" => via::<ListCryptoKeyVersionsResponse>(text),
        "Policy" => via::<Policy>(text),
        "ServiceAccount" => via::<ServiceAccount>(text),
        "Service" => via::<Service>(text),
        "Operation" => via::<Operation>(text),
        "Organization" => via::<Organization>(text),
        "ListClustersResponse" => via::<ListClustersResponse>(text),
        "CmekClusterInfo" => via::<CmekClusterInfo>(text),
        "PolicyDocument" => PolicyDocument::parse("the key policy", text)
            .map(|d| d.to_json())
            .map_err(|e| e.message),
        other => panic!("no parser for {other}"),
    }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Sets `value` at the first object member found along `path` choices (wrong-typed fields).
fn replace_somewhere(v: &mut Value, choice: usize, value: Value) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let key = m.keys().nth(choice % m.len()).cloned().unwrap_or_default();
            let child = m.get_mut(&key).expect("key just read");
            if choice.is_multiple_of(3) || !(child.is_object() || child.is_array()) {
                *child = value;
            } else {
                replace_somewhere(child, choice / 3, value);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = choice % a.len();
            replace_somewhere(&mut a[i], choice / 2, value);
        }
        other => *other = value,
    }
}

/// Adds `extra` members to every record object of `v` (the API grew new fields). Not inside an
/// AWS `Principal` or `Condition`: those are maps whose every value the policy grammar types
/// (a new key there carries a value of the same shape, which `unknown_map_keys_…` covers).
fn add_extra_fields(v: &mut Value, extra: &serde_json::Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if !["Principal", "NotPrincipal", "Condition"].contains(&k.as_str()) {
                    add_extra_fields(child, extra);
                }
            }
            for (k, x) in extra {
                m.entry(format!("zz_new_{k}")).or_insert_with(|| x.clone());
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| add_extra_fields(c, extra)),
        _ => {}
    }
}

/// Replaces every string member named like an enum (`state`, `status`, `purpose`, …) with
/// `value` (the API added a value we do not know).
fn set_enum_values(v: &mut Value, value: &str) {
    const ENUM_FIELDS: &[&str] = &[
        "state",
        "status",
        "purpose",
        "protectionLevel",
        "algorithm",
        "cloud_provider",
        "plan",
        "network_visibility",
        "operation_status",
        "type",
        "Effect",
    ];
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if ENUM_FIELDS.contains(&k.as_str()) && child.is_string() {
                    *child = Value::String(value.to_owned());
                } else {
                    set_enum_values(child, value);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| set_enum_values(c, value)),
        _ => {}
    }
}

#[test]
fn unknown_map_keys_in_aws_policies_are_kept() {
    // A new principal type and a new condition operator, shaped as the grammar says.
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root","NewKind":["x"]},"Action":"kms:*","Resource":"*","Condition":{"NewOperatorIfExists":{"aws:NewKey":["a","b"]}}}]}"#;
    let shown = parse("PolicyDocument", text).expect("tolerated");
    assert!(
        shown.contains("NewKind") && shown.contains("NewOperatorIfExists"),
        "{shown}"
    );
}

#[test]
fn every_sample_parses() {
    for (name, body) in samples() {
        parse(name, &body.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_wrong_typed_body_is_an_error_not_a_default() {
    // A list where an object is expected, at the top or inside, is refused.
    assert!(parse("ListCryptoKeysResponse", r#"{"cryptoKeys": {"name": "k"}}"#).is_err());
    assert!(parse("Policy", r#"{"bindings": [{"role": 7}]}"#).is_err());
    assert!(parse("CmekClusterInfo", r#""ENABLED""#).is_err());
    assert!(parse("PolicyDocument", r#"{"Statement": "allow all"}"#).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_json_never_panics(i in 0usize..11, body in any_json()) {
        let (name, _) = samples()[i].clone();
        let _ = parse(name, &body.to_string());
    }

    #[test]
    fn random_bytes_never_panic(i in 0usize..11, bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let (name, _) = samples()[i].clone();
        let _ = parse(name, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn a_truncated_body_is_an_error(i in 0usize..11, cut in 0usize..10_000) {
        let (name, body) = samples()[i].clone();
        let text = body.to_string();
        let cut = cut % text.len();
        // Every proper prefix of a JSON object is incomplete JSON.
        prop_assert!(parse(name, &text[..cut]).is_err(), "{name} accepted a body cut at {cut}");
    }

    #[test]
    fn a_wrong_typed_field_is_an_error_or_tolerated_never_a_panic(
        i in 0usize..11, choice in any::<usize>(), value in any_json()
    ) {
        let (name, mut body) = samples()[i].clone();
        replace_somewhere(&mut body, choice, value);
        let _ = parse(name, &body.to_string());
    }

    #[test]
    fn unknown_enum_values_and_extra_fields_are_tolerated_and_kept(
        i in 0usize..11,
        new_value in "[A-Z][A-Z_]{2,20}",
        extra in prop::collection::btree_map("[a-z]{1,8}", any_json(), 1..3),
    ) {
        let (name, mut body) = samples()[i].clone();
        set_enum_values(&mut body, &new_value);
        add_extra_fields(&mut body, &extra.into_iter().collect());
        let parsed = parse(name, &body.to_string());
        prop_assert!(parsed.is_ok(), "{name}: {parsed:?}");
        let shown = parsed.unwrap();
        let sample = samples()[i].1.to_string();
        if ["\"state\"", "\"status\"", "\"Effect\"", "\"purpose\""].iter().any(|f| sample.contains(f)) {
            prop_assert!(shown.contains(&new_value), "{name} dropped the unknown value {new_value}: {shown}");
        }
    }
}
