//! [`Spec`]: the loaded contracts and the public lookup / validation API.

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::cockroach::{CockroachApi, CockroachOperation, STATUS_SCHEMA};
use crate::google::{GoogleApi, GoogleOperation, GoogleService, ERROR_SCHEMA};
use crate::routes::best_match;
use crate::schema::{Mode, Violation};
use crate::sources::{COCKROACH_OPENAPI, DISCOVERY};

/// How enums are written in a Google exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnumEncoding {
    /// Enum names (`"ENCRYPT_DECRYPT"`), the default.
    #[default]
    String,
    /// Enum indexes (`1`) *or* names, as with `$alt=json;enum-encoding=int`.
    Int,
}

impl EnumEncoding {
    /// [`EnumEncoding::Int`] when the query string (or full URL) asks for integer enums.
    pub fn from_query(query: &str) -> Self {
        if crate::enums::wants_enum_int(query) {
            Self::Int
        } else {
            Self::String
        }
    }
}

/// Names a Google method for validation: a bare discovery id (`"iam.projects.serviceAccounts.get"`),
/// a `(service, id)` pair, or a [`GoogleOperation`]. Prefer the latter two: CRM v1 and v3
/// share ids such as `cloudresourcemanager.projects.get`; a bare ambiguous id passes when the
/// body satisfies any of the candidates.
#[derive(Debug, Clone, Copy)]
pub struct GoogleOpRef<'a> {
    service: Option<GoogleService>,
    id: &'a str,
}

impl<'a> From<&'a str> for GoogleOpRef<'a> {
    fn from(id: &'a str) -> Self {
        Self { service: None, id }
    }
}
impl<'a> From<&'a String> for GoogleOpRef<'a> {
    fn from(id: &'a String) -> Self {
        Self { service: None, id }
    }
}
impl<'a> From<&'a GoogleOperation> for GoogleOpRef<'a> {
    fn from(op: &'a GoogleOperation) -> Self {
        Self {
            service: Some(op.service),
            id: &op.id,
        }
    }
}
impl<'a> From<(GoogleService, &'a str)> for GoogleOpRef<'a> {
    fn from((service, id): (GoogleService, &'a str)) -> Self {
        Self {
            service: Some(service),
            id,
        }
    }
}

/// The embedded contracts, parsed and indexed.
pub struct Spec {
    google: Vec<GoogleApi>,
    cockroach: CockroachApi,
}

/// Which schema of an operation a body is checked against.
#[derive(Clone, Copy)]
enum Part {
    Request,
    Response,
    Error,
}

fn operation_error(what: &str, id: &str) -> Vec<Violation> {
    vec![Violation::new(
        "",
        "operation",
        format!("unknown {what} operation \"{id}\""),
    )]
}

fn is_empty_body(body: &Value) -> bool {
    body.is_null() || body.as_object().is_some_and(serde_json::Map::is_empty)
}

impl Spec {
    /// The contracts embedded in this binary, parsed once on first use.
    pub fn load() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(Spec::build)
    }

    fn build() -> Spec {
        Spec {
            google: DISCOVERY.iter().map(GoogleApi::load).collect(),
            cockroach: CockroachApi::load(COCKROACH_OPENAPI),
        }
    }

    fn api(&self, service: GoogleService) -> &GoogleApi {
        self.google
            .iter()
            .find(|a| a.service == service)
            .expect("every GoogleService has a document")
    }

    /// The discovery file name backing `service` (e.g. `cloudkms-v1.json`).
    pub fn discovery_file(&self, service: GoogleService) -> &'static str {
        self.api(service).file
    }

    /// Routes `http_method path` (path after the service root, e.g.
    /// `v1/projects/p/locations/global/keyRings/r`; a query string is ignored) to a method.
    pub fn google_operation(
        &self,
        service: GoogleService,
        http_method: &str,
        path: &str,
    ) -> Option<GoogleOperation> {
        let api = self.api(service);
        best_match(&api.routes, http_method, path).map(|r| api.operations[r.target].clone())
    }

    /// Like [`Spec::google_operation`] but picks the service from the request host
    /// (`cloudresourcemanager.googleapis.com` tries v1 and v3 by path).
    pub fn google_operation_for_host(
        &self,
        host: &str,
        http_method: &str,
        path: &str,
    ) -> Option<GoogleOperation> {
        GoogleService::for_host(host)
            .into_iter()
            .find_map(|s| self.google_operation(s, http_method, path))
    }

    /// Looks a method up by discovery id.
    pub fn google_method(&self, service: GoogleService, id: &str) -> Option<&GoogleOperation> {
        let api = self.api(service);
        api.by_id.get(id).map(|&i| &api.operations[i])
    }

    /// Every method of `service`'s discovery document.
    pub fn google_operations(&self, service: GoogleService) -> &[GoogleOperation] {
        &self.api(service).operations
    }

    /// The JSON Schema (draft 7, string enums) generated for a discovery schema.
    pub fn google_json_schema(&self, service: GoogleService, schema: &str) -> Option<&Value> {
        self.api(service).schemas.definition(schema)
    }

    /// Routes a Cloud API request (`/api/v1/clusters/c1/cmek`) to its operation.
    pub fn cockroach_operation(&self, http_method: &str, path: &str) -> Option<CockroachOperation> {
        let api = &self.cockroach;
        best_match(&api.routes, http_method, path).map(|r| api.operations[r.target].clone())
    }

    /// Looks a Cloud API operation up by `operationId`.
    pub fn cockroach_operation_by_id(&self, id: &str) -> Option<&CockroachOperation> {
        self.cockroach
            .by_id
            .get(id)
            .map(|&i| &self.cockroach.operations[i])
    }

    /// Validates a Google request body (`Value::Null` = no body) with string enums.
    pub fn validate_google_request<'a>(
        &self,
        op: impl Into<GoogleOpRef<'a>>,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        self.validate_google_request_with(op, body, EnumEncoding::String)
    }

    /// Validates a Google request body with the given enum encoding.
    pub fn validate_google_request_with<'a>(
        &self,
        op: impl Into<GoogleOpRef<'a>>,
        body: &Value,
        encoding: EnumEncoding,
    ) -> Result<(), Vec<Violation>> {
        self.validate_google(op.into(), Part::Request, body, encoding)
    }

    /// Validates a Google response body with string enums; a body of the form
    /// `{"error": {...}}` is checked against the error schema instead.
    pub fn validate_google_response<'a>(
        &self,
        op: impl Into<GoogleOpRef<'a>>,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let is_error = body
            .as_object()
            .is_some_and(|o| o.len() == 1 && o.contains_key("error"));
        let status = if is_error { 400 } else { 200 };
        self.validate_google_response_with(op, status, body, EnumEncoding::String)
    }

    /// Validates a Google response: 2xx bodies against the method's response schema, others
    /// against the `{"error":{code,message,status,details,errors}}` schema.
    pub fn validate_google_response_with<'a>(
        &self,
        op: impl Into<GoogleOpRef<'a>>,
        status: u16,
        body: &Value,
        encoding: EnumEncoding,
    ) -> Result<(), Vec<Violation>> {
        let part = if (200..300).contains(&status) {
            Part::Response
        } else {
            Part::Error
        };
        self.validate_google(op.into(), part, body, encoding)
    }

    /// Validates a Google error body (`{"error":{...}}`), independent of the method.
    pub fn validate_google_error(&self, body: &Value) -> Result<(), Vec<Violation>> {
        self.api(GoogleService::CloudKms).schemas.validate(
            ERROR_SCHEMA,
            body,
            Mode {
                enum_int: false,
                strict_root: false,
            },
        )
    }

    fn validate_google(
        &self,
        op: GoogleOpRef<'_>,
        part: Part,
        body: &Value,
        encoding: EnumEncoding,
    ) -> Result<(), Vec<Violation>> {
        let candidates: Vec<&GoogleOperation> = match op.service {
            Some(service) => self.google_method(service, op.id).into_iter().collect(),
            None => self
                .google
                .iter()
                .filter_map(|a| a.by_id.get(op.id).map(|&i| &a.operations[i]))
                .collect(),
        };
        let mut first_error = None;
        for candidate in &candidates {
            match self.validate_google_op(candidate, part, body, encoding) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| operation_error("Google", op.id)))
    }

    fn validate_google_op(
        &self,
        op: &GoogleOperation,
        part: Part,
        body: &Value,
        encoding: EnumEncoding,
    ) -> Result<(), Vec<Violation>> {
        let schemas = &self.api(op.service).schemas;
        let mode = Mode {
            enum_int: encoding == EnumEncoding::Int,
            strict_root: false,
        };
        let schema = match part {
            Part::Request => op.request_schema.as_deref(),
            Part::Response => op.response_schema.as_deref(),
            Part::Error => Some(ERROR_SCHEMA),
        };
        if let (Part::Request, Some(name), Value::Object(fields)) = (part, schema, body) {
            // With `body: "*"` the JSON body is the whole request message, so the fields the
            // URL binds (`name` of `...:destroy`) may be repeated in it; real KMS accepts
            // `{"name": ...}` on destroy (kms-cryptokey recording). Only `*Request` messages.
            let declared = self
                .api(op.service)
                .raw_schemas
                .get(name)
                .and_then(|s| s.get("properties"));
            let bound = |k: &String| {
                op.path_params.contains(k) && declared.and_then(|d| d.get(k)).is_none()
            };
            if name.ends_with("Request") && fields.keys().any(bound) {
                let mut trimmed = fields.clone();
                trimmed.retain(|k, _| !bound(k));
                return check_body(schemas, schema, &op.id, &Value::Object(trimmed), mode);
            }
        }
        check_body(schemas, schema, &op.id, body, mode)
    }

    /// Validates a Cloud API request body; unknown top-level fields are errors.
    pub fn validate_cockroach_request(
        &self,
        operation_id: &str,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let op = self
            .cockroach_operation_by_id(operation_id)
            .ok_or_else(|| operation_error("Cockroach", operation_id))?;
        let mode = Mode {
            enum_int: false,
            strict_root: true,
        };
        check_body(
            &self.cockroach.schemas,
            op.request_schema.as_deref(),
            &op.id,
            body,
            mode,
        )
    }

    /// Validates a Cloud API response: 2xx against the 200 schema, others against `Status`.
    pub fn validate_cockroach_response(
        &self,
        operation_id: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let op = self
            .cockroach_operation_by_id(operation_id)
            .ok_or_else(|| operation_error("Cockroach", operation_id))?;
        let schema = if (200..300).contains(&status) {
            op.response_schema.as_deref()
        } else {
            Some(STATUS_SCHEMA)
        };
        let mode = Mode {
            enum_int: false,
            strict_root: false,
        };
        check_body(&self.cockroach.schemas, schema, &op.id, body, mode)
    }

    /// Rewrites enum names in `value` (typed by discovery schema `schema`) to their index in
    /// the discovery `enum` list, for `$alt=json;enum-encoding=int` responses.
    pub fn enum_to_int(&self, service: GoogleService, schema: &str, value: &Value) -> Value {
        crate::enums::map_enums(
            &self.api(service).raw_schemas,
            &json!({ "$ref": schema }),
            value,
            true,
        )
    }

    /// The reverse of [`Spec::enum_to_int`]: enum indexes back to names (for enum-int requests).
    pub fn enum_to_string(&self, service: GoogleService, schema: &str, value: &Value) -> Value {
        crate::enums::map_enums(
            &self.api(service).raw_schemas,
            &json!({ "$ref": schema }),
            value,
            false,
        )
    }
}

fn check_body(
    schemas: &crate::schema::SchemaSet,
    schema: Option<&str>,
    op_id: &str,
    body: &Value,
    mode: Mode,
) -> Result<(), Vec<Violation>> {
    match schema {
        None if is_empty_body(body) => Ok(()),
        None => Err(vec![Violation::new(
            "",
            "body",
            format!("{op_id} takes/returns no body, got {body}"),
        )]),
        Some(name) if !schemas.contains(name) => Err(vec![Violation::new(
            "",
            "schema",
            format!("unknown schema \"{name}\""),
        )]),
        Some(name) => {
            let empty = json!({});
            schemas.validate(name, if body.is_null() { &empty } else { body }, mode)
        }
    }
}
