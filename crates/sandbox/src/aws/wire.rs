//! AWS wire formats: the SigV4 `Authorization` credential scope, form-encoded Query requests,
//! XML building, the two error shapes (JSON 1.1 `__type`, Query `ErrorResponse`), ids and
//! timestamps.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::OffsetDateTime;

/// `Credential=AKID/DATE/REGION/SERVICE/aws4_request` of a SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub access_key: String,
    pub region: String,
    pub service: String,
}

/// Parses the credential scope of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub(crate) fn parse_authorization(header: &str) -> Option<Scope> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim();
    let cred = rest
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))?;
    let parts: Vec<&str> = cred.split('/').collect();
    (parts.len() == 5 && parts[4] == "aws4_request").then(|| Scope {
        access_key: parts[0].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
    })
}

/// Decodes `application/x-www-form-urlencoded` into ordered parameters.
pub(crate) fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                crate::router::decode(&k.replace('+', " ")),
                crate::router::decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Percent-encodes like IAM does for policy documents in XML (RFC 3986 unreserved kept).
pub(crate) fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// XML text escaping.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `<name>escaped text</name>`.
pub(crate) fn el(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", esc(text))
}

/// `<name>` + already-built inner XML + `</name>`.
pub(crate) fn wrap(name: &str, inner: &str) -> String {
    format!("<{name}>{inner}</{name}>")
}

/// `<name><member>…</member>…</name>` from already-built member bodies.
pub(crate) fn members(name: &str, items: &[String]) -> String {
    let inner: String = items.iter().map(|i| wrap("member", i)).collect();
    wrap(name, &inner)
}

/// An AWS service error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
    /// The service's own "bad argument" error.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }
    /// `Type` of a Query error: `Receiver` for 5xx, else `Sender`.
    fn kind(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
    /// JSON 1.1 body (KMS).
    pub fn json_body(&self) -> Value {
        json!({"__type": self.code, "message": self.message})
    }
    /// Query protocol body (IAM, STS).
    pub fn xml_body(&self, ns: &str, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{}</Type>{}{}</Error>{}</ErrorResponse>",
            self.kind(),
            el("Code", &self.code),
            el("Message", &self.message),
            el("RequestId", request_id)
        )
    }
}

/// A Query protocol success body: `<{Action}Response><{Action}Result>…` (no Result element
/// when the action has no output) and `<ResponseMetadata><RequestId>`.
pub(crate) fn query_body(action: &str, ns: &str, result: Option<&str>, request_id: &str) -> String {
    let result = result
        .map(|r| wrap(&format!("{action}Result"), r))
        .unwrap_or_default();
    format!(
        "<{action}Response xmlns=\"{ns}\">{result}{}</{action}Response>",
        wrap("ResponseMetadata", &el("RequestId", request_id))
    )
}

/// Seconds since the epoch with millisecond precision (how KMS JSON renders timestamps).
pub(crate) fn epoch(t: OffsetDateTime) -> Value {
    let ms = (t.unix_timestamp_nanos() / 1_000_000) as f64;
    json!(ms / 1000.0)
}

/// ISO 8601 UTC with seconds (how IAM XML renders timestamps), e.g. `2025-06-01T12:00:00Z`.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Current time truncated to milliseconds.
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t)
}

/// `len` random upper-case alphanumeric characters (IAM unique ids).
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    while out.len() < len {
        for b in uuid::Uuid::new_v4().as_bytes() {
            if out.len() < len {
                out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_read_from_the_authorization_header() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIAX/20250101/eu-west-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(
            parse_authorization(h),
            Some(Scope {
                access_key: "AKIAX".into(),
                region: "eu-west-1".into(),
                service: "kms".into()
            })
        );
        assert_eq!(parse_authorization("Bearer x"), None);
    }

    #[test]
    fn form_lists_and_xml_escaping() {
        let f = parse_form(b"Action=X&Names.member.1=a%2Fb&Names.member.2=c+d");
        assert_eq!(f["Names.member.1"], "a/b");
        assert_eq!(f["Names.member.2"], "c d");
        assert_eq!(el("M", "a<b&\"c\""), "<M>a&lt;b&amp;&quot;c&quot;</M>");
        assert_eq!(url_encode("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
