//! Property tests of the one Google error mapping (`map_google_error`, issue 13): random,
//! truncated and wrong-typed error bodies with any status never panic and always give a typed
//! error with a message; Google's own message is shown as received; unknown `status` values,
//! unknown detail types and extra fields are tolerated.

use cmek_core::ErrorCode;
use cmek_gcp::error::map_google_error;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::Duration;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 20, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z@]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A Google error body (gcp-apis.md §3) with the given parts.
fn body(code: u16, status: &str, message: &str, details: Value) -> String {
    json!({"error": {"code": code, "status": status, "message": message, "details": details}})
        .to_string()
}

const REAL: &str = r#"{"error":{"code":403,"message":"Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource 'projects/p/locations/us/keyRings/r/cryptoKeys/k' (or it may not exist).","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED","domain":"cloudkms.googleapis.com","metadata":{"permission":"cloudkms.cryptoKeys.getIamPolicy"}}]}}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_and_status_give_a_typed_error(status in 0u16..1000, text in ".{0,300}", secs in proptest::option::of(0u64..100_000)) {
        let e = map_google_error(status, &text, secs.map(Duration::from_secs));
        prop_assert!(!e.message.is_empty());
        prop_assert!(serde_json::to_value(e.code).is_ok());
    }

    #[test]
    fn random_json_bodies_give_a_typed_error(status in 400u16..600, v in any_json()) {
        let e = map_google_error(status, &v.to_string(), None);
        prop_assert!(!e.message.is_empty());
        let wrapped = json!({ "error": v }).to_string();
        let e = map_google_error(status, &wrapped, None);
        prop_assert!(!e.message.is_empty());
    }

    #[test]
    fn a_truncated_body_gives_a_typed_error(cut in 0usize..400, status in 400u16..600) {
        let cut = cut.min(REAL.len());
        let e = map_google_error(status, &REAL[..cut], None);
        prop_assert!(!e.message.is_empty());
    }

    #[test]
    fn unknown_status_values_detail_types_and_extra_fields_are_tolerated(
        http in 400u16..600,
        status in "[A-Z][A-Z_]{3,20}",
        message in "[a-zA-Z0-9 .,'/]{1,80}",
        detail_type in "type\\.googleapis\\.com/google\\.rpc\\.[A-Za-z]{3,12}",
        extra in any_json(),
    ) {
        let details = json!([{"@type": detail_type, "reason": status, "zzNew": extra.clone()}]);
        let text = body(http, &status, &message, details);
        let e = map_google_error(http, &text, None);
        // Google's message is what the person sees, whatever status string came with it.
        prop_assert!(e.message.contains(message.trim()), "{} lost {message:?}", e.message);
        prop_assert_eq!(e.http_status, Some(http));
    }
}

#[test]
fn the_real_sample_keeps_its_permission() {
    let e = map_google_error(403, REAL, None);
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(
        e.permission.as_deref(),
        Some("cloudkms.cryptoKeys.getIamPolicy")
    );
}
