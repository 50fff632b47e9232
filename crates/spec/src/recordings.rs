//! Recorded real Google HTTP traffic (`specs/gcp/recordings/*.http.log`): parser and
//! placeholder handling.
//!
//! File format (Config Connector golden logs): exchanges separated by lines `---`; each is a
//! request line `METHOD URL`, request headers, a blank line, an optional JSON body, the status
//! line `200 OK`, response headers, a blank line and an optional JSON body.
//!
//! The recordings are normalised (see `specs/gcp/SOURCES.md`): `${projectId}`,
//! `${uniqueId}`, `${projectNumber}`, `${operationID}`, ... stand for run-specific values,
//! timestamps are `2024-04-01T12:34:56.123456Z`, etags `abcdef0123A=`, service-account
//! numeric ids `111111111111111111111` (uniqueId) and `888888888888888888888`
//! (oauth2ClientId). [`normalise`] applies the same rewriting to a live body so the two
//! compare equal; [`substitute`] fills `${...}` placeholders with concrete values.

use serde_json::Value;

/// The fixed timestamp every recorded timestamp was normalised to.
pub const TIMESTAMP: &str = "2024-04-01T12:34:56.123456Z";
/// The fixed etag every recorded etag was normalised to.
pub const ETAG: &str = "abcdef0123A=";
/// The normalised service-account `uniqueId`.
pub const UNIQUE_ID: &str = "111111111111111111111";
/// The normalised service-account `oauth2ClientId`.
pub const OAUTH2_CLIENT_ID: &str = "888888888888888888888";
/// The normalised long-running operation name.
pub const OPERATION_NAME: &str = "operations/${operationID}";

/// One recorded request/response pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Full URL including query, with placeholders (e.g. `${projectId}`) left in.
    pub url: String,
    /// Request headers in order.
    pub request_headers: Vec<(String, String)>,
    /// Parsed JSON request body (a non-JSON body is kept as a JSON string).
    pub request_body: Option<Value>,
    /// HTTP status code.
    pub status: u16,
    /// Reason phrase (`OK`, `Not Found`).
    pub status_text: String,
    /// Response headers in order.
    pub response_headers: Vec<(String, String)>,
    /// Parsed JSON response body.
    pub response_body: Option<Value>,
}

impl Exchange {
    /// Host of the URL (`cloudkms.googleapis.com`).
    pub fn host(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or_default()
    }

    /// Path after the host without the leading `/` and without the query
    /// (`v1/projects/${projectId}/locations/us-central1/keyRings`).
    pub fn path(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let path = rest.split_once('/').map_or("", |(_, p)| p);
        path.split('?').next().unwrap_or_default()
    }

    /// The raw query string (empty when absent).
    pub fn query(&self) -> &str {
        self.url.split_once('?').map_or("", |(_, q)| q)
    }

    /// Whether the exchange used `$alt=json;enum-encoding=int`.
    pub fn enum_int(&self) -> bool {
        crate::enums::wants_enum_int(self.query())
    }
}

fn parse_body(lines: &[&str]) -> Option<Value> {
    let text = lines.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

fn parse_headers(lines: &[&str]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn is_status_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit) && (b.len() == 3 || b[3] == b' ')
}

fn parse_exchange(block: &[&str]) -> Option<Exchange> {
    let start = block.iter().position(|l| !l.trim().is_empty())?;
    let block = &block[start..];
    let (method, url) = block[0].trim().split_once(' ')?;
    let status_at = block.iter().position(|l| is_status_line(l))?;
    let request = &block[1..status_at];
    let blank = request
        .iter()
        .position(|l| l.trim().is_empty())
        .unwrap_or(request.len());
    let (status, status_text) = block[status_at]
        .split_once(' ')
        .unwrap_or((block[status_at], ""));
    let response = &block[status_at + 1..];
    let rblank = response
        .iter()
        .position(|l| l.trim().is_empty())
        .unwrap_or(response.len());
    Some(Exchange {
        method: method.to_owned(),
        url: url.trim().to_owned(),
        request_headers: parse_headers(&request[..blank]),
        request_body: parse_body(&request[blank..]),
        status: status.parse().ok()?,
        status_text: status_text.trim().to_owned(),
        response_headers: parse_headers(&response[..rblank]),
        response_body: parse_body(&response[rblank..]),
    })
}

/// Parses a `.http.log` file into its exchanges, in order. Blocks that are not an exchange
/// (no request line or no status line) are skipped.
pub fn parse(text: &str) -> Vec<Exchange> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines
        .split(|l| l.trim() == "---")
        .filter_map(parse_exchange)
        .collect()
}

fn is_timestamp(s: &str) -> bool {
    // RFC 3339 UTC/offset: 2024-04-01T12:34:56[.frac](Z|+hh:mm)
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (s.ends_with('Z') || s.ends_with('z') || s[19..].contains(['+', '-']))
}

/// Rewrites run-specific values of a body to the recordings' placeholders: every RFC 3339
/// timestamp, every `etag`, `uniqueId`, `oauth2ClientId`, and long-running operation names
/// (`operations/...`).
pub fn normalise(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            for (key, v) in obj.iter_mut() {
                match (key.as_str(), &*v) {
                    ("etag", Value::String(_)) => *v = Value::from(ETAG),
                    ("uniqueId", Value::String(_)) => *v = Value::from(UNIQUE_ID),
                    ("oauth2ClientId", Value::String(_)) => *v = Value::from(OAUTH2_CLIENT_ID),
                    ("name", Value::String(s)) if s.starts_with("operations/") => {
                        *v = Value::from(OPERATION_NAME)
                    }
                    _ => normalise(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::String(s) if is_timestamp(s) => *s = TIMESTAMP.to_owned(),
        _ => {}
    }
}

/// Replaces `${name}` placeholders in `text` using `vars` (`("projectId", "p1")`, ...).
pub fn substitute_str(text: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(text.to_owned(), |acc, (name, value)| {
        acc.replace(&format!("${{{name}}}"), value)
    })
}

/// Replaces `${name}` placeholders in every string (and object key) of `value`.
pub fn substitute(value: &mut Value, vars: &[(&str, &str)]) {
    match value {
        Value::String(s) => *s = substitute_str(s, vars),
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, vars)),
        Value::Object(obj) => {
            let entries = std::mem::take(obj);
            for (k, mut v) in entries {
                substitute(&mut v, vars);
                obj.insert(substitute_str(&k, vars), v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_normalises() {
        let text = "GET https://h.example/v1/a?alt=json\nAccept: x\n\n404 Not Found\nServer: ESF\n\n{\"error\":{}}\n\n---\n\nPOST https://h.example/v1/b\n\n{\n  \"a\": 1\n}\n\n200 OK\n\n";
        let ex = parse(text);
        assert_eq!(ex.len(), 2);
        assert_eq!(
            (ex[0].status, ex[0].status_text.as_str(), ex[0].path()),
            (404, "Not Found", "v1/a")
        );
        assert_eq!(
            ex[0].request_headers,
            vec![("Accept".to_owned(), "x".to_owned())]
        );
        assert_eq!(ex[1].request_body, Some(json!({"a": 1})));
        assert_eq!(ex[1].response_body, None);
        let mut v =
            json!({"etag": "BwY=", "t": ["2026-11-30T08:00:00Z"], "name": "operations/acat.1"});
        normalise(&mut v);
        assert_eq!(
            v,
            json!({"etag": ETAG, "t": [TIMESTAMP], "name": OPERATION_NAME})
        );
        let mut v = json!({"${projectId}": "projects/${projectId}"});
        substitute(&mut v, &[("projectId", "p1")]);
        assert_eq!(v, json!({"p1": "projects/p1"}));
    }
}
