//! Property tests of the CockroachDB Cloud error mapping (`map_cloud_error`, issue 13): random,
//! truncated and wrong-typed bodies with any status never panic and give a typed error with a
//! message; the API's own message is shown as received; extra fields are tolerated.

use cmek_cockroach::map_cloud_error;
use cmek_core::ErrorCode;
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
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const REAL: &str =
    r#"{"code":9,"message":"cluster must be in a stable state to update CMEK","details":[]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_and_status_give_a_typed_error(status in 0u16..1000, text in ".{0,300}", secs in proptest::option::of(0u64..100_000)) {
        let e = map_cloud_error(status, &text, secs.map(Duration::from_secs));
        prop_assert!(!e.message.is_empty());
        prop_assert_eq!(e.http_status, Some(status));
    }

    #[test]
    fn random_json_and_truncated_bodies_give_a_typed_error(status in 400u16..600, v in any_json(), cut in 0usize..200) {
        prop_assert!(!map_cloud_error(status, &v.to_string(), None).message.is_empty());
        let cut = cut.min(REAL.len());
        prop_assert!(!map_cloud_error(status, &REAL[..cut], None).message.is_empty());
    }

    #[test]
    fn the_message_is_shown_and_extra_fields_tolerated(
        status in 400u16..600, message in "[a-zA-Z0-9 .,']{1,80}", extra in any_json()
    ) {
        let text = json!({"code": 3, "message": message, "details": [extra.clone()], "zz_new": extra}).to_string();
        let e = map_cloud_error(status, &text, None);
        prop_assert_eq!(e.message, message);
    }
}

#[test]
fn statuses_map_to_their_codes() {
    assert_eq!(map_cloud_error(404, REAL, None).code, ErrorCode::NotFound);
    assert_eq!(
        map_cloud_error(429, "", Some(Duration::from_secs(3))).code,
        ErrorCode::RateLimited
    );
}
