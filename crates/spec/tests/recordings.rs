//! Proves the discovery -> JSON Schema converter against real recorded Google traffic, and
//! that the validators reject what real Google rejects.

use cmek_spec::recordings::{self, substitute, Exchange};
use cmek_spec::{EnumEncoding, GoogleService, Spec, RECORDINGS};
use serde_json::{json, Value};

/// Concrete values for the recordings' placeholders (int64 fields must hold digits).
const VARS: &[(&str, &str)] = &[
    ("projectId", "example-project"),
    ("uniqueId", "abc123"),
    ("projectNumber", "123456789012"),
    ("operationID", "acat.p2-123456789012-abcd"),
    ("folderID", "1234567890"),
    ("organizationID", "9876543210"),
    ("kccVersion", "1.2.3"),
];

/// Hosts in the recordings that CMEK Desk does not use and that have no embedded contract.
const UNSPECIFIED_HOSTS: &[&str] = &["pubsub.googleapis.com", "cloudbilling.googleapis.com"];

fn all_exchanges() -> Vec<(&'static str, usize, Exchange)> {
    RECORDINGS
        .iter()
        .flat_map(|(file, text)| {
            recordings::parse(text)
                .into_iter()
                .enumerate()
                .map(move |(i, e)| (*file, i, e))
        })
        .collect()
}

#[test]
fn every_recording_parses() {
    for (file, text) in RECORDINGS {
        let separators = text.lines().filter(|l| l.trim() == "---").count();
        let exchanges = recordings::parse(text);
        assert_eq!(
            exchanges.len(),
            separators + 1,
            "{file}: one exchange per block"
        );
        for e in &exchanges {
            assert!(e.url.starts_with("https://"), "{file}: {}", e.url);
            assert!((200..600).contains(&e.status), "{file}: {}", e.status);
            assert!(!e.status_text.is_empty());
            if let Some(Value::String(raw)) = &e.response_body {
                panic!("{file}: non-JSON response body {raw}");
            }
        }
    }
}

#[test]
fn every_recorded_body_validates() {
    let spec = Spec::load();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (file, i, e) in all_exchanges() {
        let Some(op) = spec.google_operation_for_host(e.host(), &e.method, e.path()) else {
            assert!(
                UNSPECIFIED_HOSTS.contains(&e.host()),
                "{file}#{i}: no route for {} {}",
                e.method,
                e.url
            );
            continue;
        };
        let encoding = if e.enum_int() {
            EnumEncoding::Int
        } else {
            EnumEncoding::String
        };
        let mut request = e.request_body.clone().unwrap_or(Value::Null);
        substitute(&mut request, VARS);
        if let Err(v) = spec.validate_google_request_with(&op, &request, encoding) {
            failures.push(format!("{file}#{i} {} request: {v:?}", op.id));
        }
        let mut response = e.response_body.clone().unwrap_or(Value::Null);
        substitute(&mut response, VARS);
        if let Err(v) = spec.validate_google_response_with(&op, e.status, &response, encoding) {
            failures.push(format!("{file}#{i} {} response {}: {v:?}", op.id, e.status));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 80, "only {checked} exchanges checked");
}

#[test]
fn unknown_field_is_rejected_and_named() {
    let spec = Spec::load();
    let op = spec
        .google_operation(
            GoogleService::CloudKms,
            "POST",
            "v1/projects/p/locations/global/keyRings/r/cryptoKeys",
        )
        .expect("cryptoKeys.create routes");
    let body = json!({ "purpose": "ENCRYPT_DECRYPT", "versionTemplate": { "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "bogus": 1 } });
    let violations = spec.validate_google_request(&op, &body).unwrap_err();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].pointer, "/versionTemplate/bogus");
    assert_eq!(violations[0].rule, "additionalProperties");
    assert!(
        violations[0].message.contains("\"bogus\""),
        "{}",
        violations[0]
    );
    // Top level too, and through the bare-id entry point.
    let v = spec
        .validate_google_request(
            op.id.as_str(),
            &json!({ "purpose": "ENCRYPT_DECRYPT", "x": 1 }),
        )
        .unwrap_err();
    assert_eq!(v[0].pointer, "/x");
}

#[test]
fn wrong_enum_is_rejected_and_named() {
    let spec = Spec::load();
    let id = "cloudkms.projects.locations.keyRings.cryptoKeys.create";
    let v = spec
        .validate_google_request(id, &json!({ "purpose": "ENCRYPT" }))
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/purpose", "enum")
    );
    assert!(v[0].message.contains("purpose"), "{}", v[0]);
    // Integers are only accepted with enum-encoding=int, and only in range.
    assert!(spec
        .validate_google_request(id, &json!({ "purpose": 1 }))
        .is_err());
    assert!(spec
        .validate_google_request_with(id, &json!({ "purpose": 1 }), EnumEncoding::Int)
        .is_ok());
    assert!(spec
        .validate_google_request_with(id, &json!({ "purpose": 999 }), EnumEncoding::Int)
        .is_err());
    assert!(spec
        .validate_google_request_with(
            id,
            &json!({ "purpose": "ENCRYPT_DECRYPT" }),
            EnumEncoding::Int
        )
        .is_ok());
}

#[test]
fn wire_formats_are_checked() {
    let spec = Spec::load();
    let id = "cloudkms.projects.locations.keyRings.cryptoKeys.create";
    let v = spec
        .validate_google_request(id, &json!({ "rotationPeriod": "86400" }))
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/rotationPeriod", "format")
    );
    let v = spec
        .validate_google_request(id, &json!({ "nextRotationTime": "tomorrow" }))
        .unwrap_err();
    assert_eq!(v[0].pointer, "/nextRotationTime");
    let sa = (GoogleService::Iam, "iam.projects.serviceAccounts.get");
    let v = spec
        .validate_google_response(sa, &json!({ "uniqueId": 123 }))
        .unwrap_err();
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/uniqueId", "type")
    );
}

#[test]
fn error_bodies_use_the_error_schema() {
    let spec = Spec::load();
    let id = "cloudkms.projects.locations.keyRings.get";
    let err = json!({ "error": { "code": 404, "message": "KeyRing x not found.", "status": "NOT_FOUND" } });
    assert!(spec.validate_google_response(id, &err).is_ok());
    assert!(spec
        .validate_google_response_with(id, 404, &err, EnumEncoding::String)
        .is_ok());
    assert!(spec.validate_google_error(&err).is_ok());
    let bad = json!({ "error": { "code": 404, "message": "m", "status": "MISSING" } });
    assert_eq!(
        spec.validate_google_error(&bad).unwrap_err()[0].pointer,
        "/error/status"
    );
    // A 200 body that is an error is wrong for keyRings.get.
    assert!(spec
        .validate_google_response_with(id, 200, &err, EnumEncoding::String)
        .is_err());
}

#[test]
fn enum_encoding_round_trips() {
    let spec = Spec::load();
    let key = json!({ "purpose": "ENCRYPT_DECRYPT", "primary": { "state": "ENABLED", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION" },
                      "labels": { "a": "ENABLED" } });
    let ints = spec.enum_to_int(GoogleService::CloudKms, "CryptoKey", &key);
    assert_eq!(ints["purpose"], json!(1));
    assert_eq!(ints["primary"]["state"], json!(1));
    assert_eq!(ints["primary"]["algorithm"], json!(1));
    assert_eq!(
        ints["labels"]["a"],
        json!("ENABLED"),
        "map values are not enums"
    );
    assert_eq!(
        spec.enum_to_string(GoogleService::CloudKms, "CryptoKey", &ints),
        key
    );
}
