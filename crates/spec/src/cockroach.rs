//! The CockroachDB Cloud OpenAPI 3.0 document: route table (`paths` -> `operationId`) and the
//! conversion of `components.schemas` into JSON Schema (draft 7).
//!
//! Conversion rules: `#/components/schemas/X` -> `#/definitions/X`; `nullable: true` adds
//! `null` to the type; `additionalProperties` keeps OAS semantics (unspecified = allowed);
//! `integer`/`number` stay JSON numbers (int32/int64/float/double per the OAS), `string`
//! with `format: int64` must hold digits; documentation keywords are dropped. Requests are
//! validated with unknown *top-level* fields rejected (see `Mode::strict_root`).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::routes::Route;
use crate::schema::{def_ref, SchemaSet};

/// One Cloud API operation, as found by the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CockroachOperation {
    /// `operationId`, e.g. `CockroachCloud_GetCMEKClusterInfo`.
    pub id: String,
    /// `GET`, `POST`, ...
    pub http_method: String,
    /// The OpenAPI path template, e.g. `/api/v1/clusters/{cluster_id}/cmek`.
    pub path: String,
    /// Request body schema name (inline bodies are registered as `<operationId>.request`).
    pub request_schema: Option<String>,
    /// 200 response schema name (inline bodies are registered as `<operationId>.response`).
    pub response_schema: Option<String>,
}

/// Name of the error schema (`google.rpc.Status`-like) used for non-2xx bodies.
pub(crate) const STATUS_SCHEMA: &str = "Status";

pub(crate) struct CockroachApi {
    pub(crate) routes: Vec<Route<usize>>,
    pub(crate) operations: Vec<CockroachOperation>,
    pub(crate) by_id: HashMap<String, usize>,
    pub(crate) schemas: SchemaSet,
}

impl CockroachApi {
    pub(crate) fn load(text: &str) -> Self {
        let doc: Value =
            serde_json::from_str(text).expect("embedded Cockroach OpenAPI is not JSON");
        let mut defs: Map<String, Value> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
            .unwrap_or_default();
        let mut operations = Vec::new();
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut schema_of = |body: Option<&Value>, suffix: &str| {
                    let schema = body?.pointer("/content/application~1json/schema")?;
                    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
                        return Some(name.trim_start_matches("#/components/schemas/").to_owned());
                    }
                    let name = format!("{id}.{suffix}");
                    defs.insert(name.clone(), convert(schema));
                    Some(name)
                };
                let request_schema = schema_of(op.get("requestBody"), "request");
                let response_schema = schema_of(op.pointer("/responses/200"), "response");
                operations.push(CockroachOperation {
                    id: id.to_owned(),
                    http_method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    request_schema,
                    response_schema,
                });
            }
        }
        let routes = operations
            .iter()
            .enumerate()
            .map(|(i, op)| Route::new(&op.http_method, &op.path, i))
            .collect();
        let by_id = operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.id.clone(), i))
            .collect();
        Self {
            routes,
            operations,
            by_id,
            schemas: SchemaSet::new(defs, Map::new()),
        }
    }
}

/// Converts one OAS 3.0 schema object to JSON Schema draft 7.
fn convert(node: &Value) -> Value {
    let Some(obj) = node.as_object() else {
        return json!({});
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return def_ref(r.trim_start_matches("#/components/schemas/"));
    }
    let mut out = Map::new();
    let properties = obj.get("properties").and_then(Value::as_object);
    for (key, value) in obj {
        match key.as_str() {
            "type" | "enum" | "minimum" | "maximum" | "minLength" | "maxLength" | "pattern"
            | "minItems" | "maxItems" | "uniqueItems" | "exclusiveMinimum" | "exclusiveMaximum" => {
                out.insert(key.clone(), value.clone());
            }
            "format" => {
                let format = match (obj.get("type").and_then(Value::as_str), value.as_str()) {
                    (Some("string"), Some("int64" | "uint64")) => json!("google-int64"),
                    _ => value.clone(),
                };
                out.insert(key.clone(), format);
            }
            "properties" => {
                let props: Map<String, Value> = properties
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), convert(v)))
                    .collect();
                out.insert(key.clone(), Value::Object(props));
            }
            "required" => {
                // The published spec lists required names that are not properties, e.g.
                // `Cluster.required` contains `is_customer_cloud_account`, absent from
                // `Cluster.properties` (also AddEgressRuleResponse.rule and others). Real
                // responses omit them, so keep only names that are declared properties.
                let names: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|n| {
                        n.as_str()
                            .is_some_and(|n| properties.is_some_and(|p| p.contains_key(n)))
                    })
                    .cloned()
                    .collect();
                if !names.is_empty() {
                    out.insert(key.clone(), Value::Array(names));
                }
            }
            "items" | "additionalProperties" | "not" => {
                let converted = if value.is_boolean() {
                    value.clone()
                } else {
                    convert(value)
                };
                out.insert(key.clone(), converted);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(convert)
                    .collect();
                out.insert(key.clone(), Value::Array(list));
            }
            _ => {}
        }
    }
    if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        if let Some(Value::String(ty)) = out.get("type").cloned() {
            out.insert("type".into(), json!([ty, "null"]));
        }
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            values.push(Value::Null);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_and_required_filter() {
        let s = convert(&json!({
            "type": "object", "nullable": true, "required": ["a", "ghost"],
            "properties": { "a": { "type": "integer", "format": "int32" } }
        }));
        assert_eq!(s["type"], json!(["object", "null"]));
        assert_eq!(s["required"], json!(["a"]));
        assert!(s.get("additionalProperties").is_none());
    }
}
