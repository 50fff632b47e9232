//! Enum re-encoding for `$alt=json;enum-encoding=int`.
//!
//! Google client libraries may ask for enums as integers: the proto enum *number*, which is
//! not always the index in the discovery `enum` list (see `proto_numbers`). The sandbox keeps
//! its state with string enums and converts at the edge with these walkers, driven by the
//! discovery schemas as written.

use serde_json::{Map, Value};

use crate::proto_numbers::numbering;

/// Rewrites the enum fields of `value` (typed by discovery schema `node`) to integers
/// (`to_int`) or back to strings. Unknown fields and unknown enum values are left untouched.
pub(crate) fn map_enums(
    schemas: &Map<String, Value>,
    node: &Value,
    value: &Value,
    to_int: bool,
) -> Value {
    let Some(node) = resolve(schemas, node) else {
        return value.clone();
    };
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return match value {
            Value::String(s) if to_int => numbering(values)
                .into_iter()
                .find(|(name, _)| name == s)
                .map_or_else(|| value.clone(), |(_, n)| Value::from(n)),
            Value::Number(n) if !to_int => numbering(values)
                .into_iter()
                .find(|(_, i)| Some(*i) == n.as_u64())
                .map_or_else(|| value.clone(), |(name, _)| Value::from(name)),
            _ => value.clone(),
        };
    }
    match value {
        Value::Object(obj) => {
            let props = node.get("properties").and_then(Value::as_object);
            let additional = node.get("additionalProperties");
            let mapped = obj
                .iter()
                .map(|(k, v)| {
                    let field = props.and_then(|p| p.get(k)).or(additional);
                    let v = field.map_or_else(|| v.clone(), |f| map_enums(schemas, f, v, to_int));
                    (k.clone(), v)
                })
                .collect();
            Value::Object(mapped)
        }
        Value::Array(items) => match node.get("items") {
            Some(item) => Value::Array(
                items
                    .iter()
                    .map(|v| map_enums(schemas, item, v, to_int))
                    .collect(),
            ),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

fn resolve<'a>(schemas: &'a Map<String, Value>, node: &'a Value) -> Option<&'a Value> {
    match node.get("$ref").and_then(Value::as_str) {
        Some(name) => schemas.get(name),
        None => Some(node),
    }
}

/// Whether a query string asks for integer enums (`$alt=json;enum-encoding=int`, raw or
/// percent-encoded as `%24alt=json%3Benum-encoding%3Dint`).
pub fn wants_enum_int(query: &str) -> bool {
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    query.split('&').any(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = key.replace("%24", "$");
        let value = value
            .replace("%3B", ";")
            .replace("%3b", ";")
            .replace("%3D", "=")
            .replace("%3d", "=");
        key == "$alt" && value.split(';').any(|p| p == "enum-encoding=int")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_enum_int_query() {
        assert!(wants_enum_int(
            "%24alt=json%3Benum-encoding%3Dint&keyRingId=k"
        ));
        assert!(wants_enum_int("https://x/v1/a?$alt=json;enum-encoding=int"));
        assert!(!wants_enum_int("alt=json"));
    }

    #[test]
    fn round_trip() {
        let schemas: Map<String, Value> = serde_json::from_value(json!({
            "K": { "type": "object", "properties": {
                "purpose": { "type": "string", "enum": ["UNSPECIFIED", "ENCRYPT_DECRYPT"] },
                "versions": { "type": "array", "items": { "$ref": "V" } } } },
            "V": { "type": "object", "properties": { "state": { "type": "string", "enum": ["A", "B", "C"] } } }
        }))
        .unwrap();
        let node = json!({ "$ref": "K" });
        let s = json!({ "purpose": "ENCRYPT_DECRYPT", "versions": [{ "state": "C" }], "x": "A" });
        let i = map_enums(&schemas, &node, &s, true);
        assert_eq!(
            i,
            json!({ "purpose": 1, "versions": [{ "state": 2 }], "x": "A" })
        );
        assert_eq!(map_enums(&schemas, &node, &i, false), s);
    }
}
