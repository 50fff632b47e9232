//! Raw HTTP/1.1 to a sandbox running in another process (no client library: the tests build
//! a request that breaks the API contracts on purpose), and the spec guard's loopback
//! listing. One copy for `crates/sandbox/tests/bin_args.rs` (the `cmek-sandbox` binary) and
//! `crates/cli/tests/cli_spec_guard.rs` (`cmek sandbox serve`), which include it with `#[path]`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A key ring of the demo project (`cmek-sandbox` seed) to create a key in.
pub const KEYS: &str =
    "/kms/v1/projects/cmek-demo-project/locations/us-east4/keyRings/guard/cryptoKeys?cryptoKeyId=k";
/// A field Cloud KMS's discovery document does not have: the request breaks the contract.
pub const BAD_BODY: &str = r#"{"purpose": "ENCRYPT_DECRYPT", "bogusField": 1}"#;

/// One HTTP/1.1 exchange with the sandbox at `url` (`http://127.0.0.1:PORT`), with the
/// sandbox's Google token; the status code and the body. Reads wait at most 20 s.
pub fn exchange(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let addr = url.strip_prefix("http://").expect("an http:// URL");
    let mut stream = TcpStream::connect(addr).expect("connect to the sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        cmek_sandbox::DEFAULT_GOOGLE_TOKEN,
        body.len()
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The spec guard's loopback listing, `GET {url}/_sandbox/spec-findings`:
/// `{"guard": …, "findings": […]}`.
pub fn listed(url: &str) -> serde_json::Value {
    let (status, body) = exchange(url, "GET", "/_sandbox/spec-findings", "");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}
