//! Error bodies exactly as the real services send them: `google.rpc.Status` JSON (with the
//! legacy `errors` array for the v1-era IAM and Service Usage APIs) and the
//! CockroachDB Cloud `Status` object.

use serde_json::{json, Value};

/// An HTTP response produced by a handler or the router.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }
}

/// A Google API error (`google.rpc.Status`).
#[derive(Debug, Clone, PartialEq)]
pub struct GError {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
    pub details: Vec<Value>,
}

impl GError {
    pub fn new(code: u16, status: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }
    pub fn with_detail(mut self, d: Value) -> Self {
        self.details.push(d);
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARGUMENT", message)
    }
    /// INVALID_ARGUMENT with a `google.rpc.BadRequest` field violation.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::invalid(message.clone()).with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}]
        }))
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "NOT_FOUND", message)
    }
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(409, "ALREADY_EXISTS", message)
    }
    /// KMS wrong-state error: "The request cannot be fulfilled. Resource R has value S in field F."
    pub fn failed_precondition_state(resource: &str, value: &str, field: &str) -> Self {
        Self::new(
            400,
            "FAILED_PRECONDITION",
            format!("The request cannot be fulfilled. Resource {resource} has value {value} in field {field}."),
        )
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
            "violations": [{"type": "STATE", "subject": resource,
                "description": format!("{field} is {value}")}]
        }))
    }
    pub fn permission_denied(domain: &str, permission: &str, resource: &str) -> Self {
        Self::new(
            403,
            "PERMISSION_DENIED",
            format!(
                "Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
            ),
        )
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": domain,
            "metadata": {"permission": permission, "resource": resource}
        }))
    }
    /// CRM's answer for unknown or inaccessible projects (never 404).
    pub fn caller_no_permission() -> Self {
        Self::new(
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
        )
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
            "domain": "googleapis.com",
            "metadata": {"service": "googleapis.com"}
        }))
    }
    /// 403 SERVICE_DISABLED for `service` in the project with number `number`.
    pub fn service_disabled(service: &str, title: &str, number: &str) -> Self {
        let url = format!(
            "https://console.developers.google.com/apis/api/{service}/overview?project={number}"
        );
        Self::new(
            403,
            "PERMISSION_DENIED",
            format!("{title} has not been used in project {number} before or it is disabled. Enable it by visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."),
        )
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {"service": service, "consumer": format!("projects/{number}"),
                "activationUrl": url, "serviceTitle": title, "containerInfo": number}
        }))
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": format!("{title} has not been used in project {number} before or it is disabled. Enable it by visiting {url} then retry.")
        }))
        .with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": format!("Google developers console API activation"), "url": url}]
        }))
    }

    fn legacy_reason(&self) -> &'static str {
        match self.status {
            "NOT_FOUND" => "notFound",
            "ALREADY_EXISTS" => "alreadyExists",
            "ABORTED" => "aborted",
            "PERMISSION_DENIED" => "forbidden",
            "UNAUTHENTICATED" => "required",
            "RESOURCE_EXHAUSTED" => "rateLimitExceeded",
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => "badRequest",
            _ => "backendError",
        }
    }

    /// Renders the error; `legacy` adds the v1-era `errors` array.
    pub fn render(&self, legacy: bool) -> Resp {
        let mut err = json!({"code": self.code, "message": self.message, "status": self.status});
        if legacy {
            err["errors"] = json!([{"message": self.message, "domain": "global", "reason": self.legacy_reason()}]);
        }
        if !self.details.is_empty() {
            err["details"] = Value::Array(self.details.clone());
        }
        let mut headers = Vec::new();
        if self.code == 401 {
            headers.push((
                "www-authenticate".to_string(),
                "Bearer realm=\"https://accounts.google.com/\"".to_string(),
            ));
        }
        Resp {
            status: self.code,
            body: json!({"error": err}),
            headers,
        }
    }
}

/// A CockroachDB Cloud API error (`Status{code, message, details}` with a gRPC code).
#[derive(Debug, Clone, PartialEq)]
pub struct CError {
    pub http: u16,
    pub code: i32,
    pub message: String,
    pub details: Vec<Value>,
}

impl CError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            http: 400,
            code: 3,
            message: message.into(),
            details: Vec::new(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            http: 404,
            code: 5,
            message: message.into(),
            details: Vec::new(),
        }
    }
    pub fn unauthenticated() -> Self {
        Self {
            http: 401,
            code: 16,
            message: "unauthenticated: invalid or missing API key".into(),
            details: Vec::new(),
        }
    }
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self {
            http: 400,
            code: 9,
            message: message.into(),
            details: Vec::new(),
        }
    }
    pub fn render(&self) -> Resp {
        Resp {
            status: self.http,
            body: json!({"code": self.code, "message": self.message, "details": self.details}),
            headers: Vec::new(),
        }
    }
}
