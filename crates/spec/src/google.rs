//! Google discovery documents: the route table (`httpMethod` + `flatPath` -> method id) and
//! the conversion of discovery `schemas` into JSON Schema (draft 7).
//!
//! Conversion rules (proto3 JSON mapping as served by Google):
//! - bare `$ref: "Foo"` -> `#/definitions/Foo`;
//! - `int64`/`uint64` are JSON strings of digits (`google-int64` format);
//! - `google-duration` (`"86400s"`), `google-datetime` (RFC 3339, `date-time`), `byte`
//!   (base64) and `google-fieldmask` are strings;
//! - `type: any` accepts anything;
//! - objects without `additionalProperties` get `additionalProperties: false`, because real
//!   Google rejects unknown fields with 400 `Invalid JSON payload received. Unknown name "x"`;
//! - enums become `enum`; in the enum-int flavour (`$alt=json;enum-encoding=int`) an enum
//!   field also accepts its proto number (see `proto_numbers`).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::proto_numbers::numbering;
use crate::routes::Route;
use crate::schema::{def_ref, SchemaSet};
use crate::sources::DiscoverySource;

/// The Google APIs whose discovery documents are embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum GoogleService {
    /// `cloudkms.googleapis.com` v1.
    CloudKms,
    /// `iam.googleapis.com` v1.
    Iam,
    /// `iamcredentials.googleapis.com` v1.
    IamCredentials,
    /// `cloudresourcemanager.googleapis.com` v1.
    CloudResourceManagerV1,
    /// `cloudresourcemanager.googleapis.com` v3.
    CloudResourceManagerV3,
    /// `serviceusage.googleapis.com` v1.
    ServiceUsage,
    /// `www.googleapis.com` oauth2 v2 (userinfo, tokeninfo).
    OAuth2,
    /// `cloudasset.googleapis.com` v1 (searchAllResources, searchAllIamPolicies).
    CloudAsset,
    /// `kmsinventory.googleapis.com` v1 (projects.cryptoKeys.list, protectedResources.search).
    KmsInventory,
    /// `logging.googleapis.com` v2 (log-based metrics, read by the audit's alarm checks).
    Logging,
    /// `monitoring.googleapis.com` v3 (alert policies, read by the audit's alarm checks).
    Monitoring,
}

impl GoogleService {
    /// Every embedded service.
    pub const ALL: [GoogleService; 11] = [
        Self::CloudKms,
        Self::Iam,
        Self::IamCredentials,
        Self::CloudResourceManagerV1,
        Self::CloudResourceManagerV3,
        Self::ServiceUsage,
        Self::OAuth2,
        Self::CloudAsset,
        Self::KmsInventory,
        Self::Logging,
        Self::Monitoring,
    ];

    /// Host of the production endpoint, e.g. `cloudkms.googleapis.com`.
    pub fn host(self) -> &'static str {
        match self {
            Self::CloudKms => "cloudkms.googleapis.com",
            Self::Iam => "iam.googleapis.com",
            Self::IamCredentials => "iamcredentials.googleapis.com",
            Self::CloudResourceManagerV1 | Self::CloudResourceManagerV3 => {
                "cloudresourcemanager.googleapis.com"
            }
            Self::ServiceUsage => "serviceusage.googleapis.com",
            Self::OAuth2 => "www.googleapis.com",
            Self::CloudAsset => "cloudasset.googleapis.com",
            Self::KmsInventory => "kmsinventory.googleapis.com",
            Self::Logging => "logging.googleapis.com",
            Self::Monitoring => "monitoring.googleapis.com",
        }
    }

    /// The services served from `host` (CRM v1 and v3 share one host).
    pub fn for_host(host: &str) -> Vec<GoogleService> {
        let host = host.split(':').next().unwrap_or(host);
        Self::ALL
            .into_iter()
            .filter(|s| s.host().eq_ignore_ascii_case(host))
            .collect()
    }
}

/// One discovery method, as found by the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoogleOperation {
    /// Service whose discovery document declares the method.
    pub service: GoogleService,
    /// Discovery method id, e.g. `cloudkms.projects.locations.keyRings.get`.
    pub id: String,
    /// `GET`, `POST`, ...
    pub http_method: String,
    /// The discovery `flatPath` (or `path` when absent), relative to the service root.
    pub flat_path: String,
    /// Request body schema name, if the method takes a body.
    pub request_schema: Option<String>,
    /// Response schema name, if any.
    pub response_schema: Option<String>,
    /// Names of the request-message fields bound by the URL (`name`, `resource`, `parent`).
    pub path_params: Vec<String>,
}

/// One loaded discovery document.
pub(crate) struct GoogleApi {
    pub(crate) service: GoogleService,
    pub(crate) file: &'static str,
    pub(crate) routes: Vec<Route<usize>>,
    pub(crate) operations: Vec<GoogleOperation>,
    pub(crate) by_id: HashMap<String, usize>,
    /// The discovery `schemas` as written (used by the enum converter).
    pub(crate) raw_schemas: Map<String, Value>,
    pub(crate) schemas: SchemaSet,
}

/// Name of the synthetic definition validating `{"error":{...}}` bodies.
pub(crate) const ERROR_SCHEMA: &str = "__GoogleError";

impl GoogleApi {
    pub(crate) fn load(source: &DiscoverySource) -> Self {
        let doc: Value = serde_json::from_str(source.text)
            .unwrap_or_else(|e| panic!("embedded {} is not JSON: {e}", source.file));
        let mut operations = Vec::new();
        collect_methods(source.service, &doc, &mut operations);
        let routes = operations
            .iter()
            .enumerate()
            .map(|(i, op)| Route::new(&op.http_method, &op.flat_path, i))
            .collect();
        let by_id = operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.id.clone(), i))
            .collect();
        let raw_schemas = doc
            .get("schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let convert_all = |enum_int: bool| {
            let mut defs: Map<String, Value> = raw_schemas
                .iter()
                .map(|(name, s)| (name.clone(), convert(s, enum_int)))
                .collect();
            defs.insert(ERROR_SCHEMA.into(), error_schema());
            defs
        };
        let schemas = SchemaSet::new(convert_all(false), convert_all(true));
        Self {
            service: source.service,
            file: source.file,
            routes,
            operations,
            by_id,
            raw_schemas,
            schemas,
        }
    }
}

fn collect_methods(service: GoogleService, node: &Value, out: &mut Vec<GoogleOperation>) {
    let schema_name = |m: &Value, key: &str| {
        m.get(key)
            .and_then(|r| r.get("$ref"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(methods) = node.get("methods").and_then(Value::as_object) {
        for m in methods.values() {
            let (Some(id), Some(http_method)) = (
                m.get("id").and_then(Value::as_str),
                m.get("httpMethod").and_then(Value::as_str),
            ) else {
                continue;
            };
            let path_params = m
                .get("parameters")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(_, p)| p.get("location").and_then(Value::as_str) == Some("path"))
                .map(|(name, _)| name.clone())
                .collect();
            let path = m
                .get("flatPath")
                .or_else(|| m.get("path"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push(GoogleOperation {
                service,
                id: id.to_owned(),
                http_method: http_method.to_owned(),
                flat_path: path.to_owned(),
                request_schema: schema_name(m, "request"),
                response_schema: schema_name(m, "response"),
                path_params,
            });
        }
    }
    if let Some(resources) = node.get("resources").and_then(Value::as_object) {
        resources
            .values()
            .for_each(|r| collect_methods(service, r, out));
    }
}

/// Converts one discovery schema node to JSON Schema.
pub(crate) fn convert(node: &Value, enum_int: bool) -> Value {
    let Some(obj) = node.as_object() else {
        return json!({});
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return def_ref(r);
    }
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or("any");
    match ty {
        "object" => {
            let props: Map<String, Value> = obj
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| (k.clone(), convert(v, enum_int)))
                        .collect()
                })
                .unwrap_or_default();
            let additional = match obj.get("additionalProperties") {
                Some(ap) => match convert(ap, enum_int) {
                    v if v == json!({}) => Value::Bool(true),
                    v => v,
                },
                None => Value::Bool(false),
            };
            json!({ "type": "object", "properties": props, "additionalProperties": additional })
        }
        "array" => {
            let items = obj
                .get("items")
                .map_or_else(|| json!({}), |i| convert(i, enum_int));
            json!({ "type": "array", "items": items })
        }
        "string" => {
            if let Some(values) = obj.get("enum").and_then(Value::as_array) {
                let strings = json!({ "type": "string", "enum": values });
                return if enum_int {
                    let numbers: Vec<u64> = numbering(values).into_iter().map(|(_, n)| n).collect();
                    json!({ "anyOf": [strings, { "type": "integer", "enum": numbers }] })
                } else {
                    strings
                };
            }
            match obj.get("format").and_then(Value::as_str) {
                Some("int64" | "uint64") => json!({ "type": "string", "format": "google-int64" }),
                Some("google-duration") => json!({ "type": "string", "format": "google-duration" }),
                Some("google-datetime") => json!({ "type": "string", "format": "date-time" }),
                Some("byte") => json!({ "type": "string", "format": "google-byte" }),
                _ => json!({ "type": "string" }),
            }
        }
        "integer" => match obj.get("format").and_then(Value::as_str) {
            Some("uint32") => json!({ "type": "integer", "minimum": 0 }),
            _ => json!({ "type": "integer" }),
        },
        "number" => json!({ "type": "number" }),
        "boolean" => json!({ "type": "boolean" }),
        _ => json!({}),
    }
}

/// `google.rpc.Status` wrapped as Google serves it over HTTP (see gcp-apis.md §3), including
/// the legacy `errors` array of v1-era APIs.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "additionalProperties": false,
        "properties": { "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": false,
            "properties": {
                "code": { "type": "integer", "minimum": 100, "maximum": 599 },
                "message": { "type": "string" },
                "status": { "type": "string", "enum": [
                    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"] },
                "details": { "type": "array", "items": {
                    "type": "object", "required": ["@type"],
                    "properties": { "@type": { "type": "string" } } } },
                "errors": { "type": "array", "items": {
                    "type": "object", "additionalProperties": false,
                    "properties": {
                        "message": { "type": "string" }, "domain": { "type": "string" },
                        "reason": { "type": "string" }, "location": { "type": "string" },
                        "locationType": { "type": "string" }, "debugInfo": { "type": "string" } } } }
            }
        }}
    })
}
