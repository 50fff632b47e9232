//! The spec guard of the command-line tests (issue 13, ARCHITECTURE invariant 8): every test's
//! `cmek sandbox serve` runs with `--spec-guard fail`, and a test in which a request broke the
//! API contracts fails when its sandbox is dropped, naming the operation and the field. Proved
//! here with a deliberately bad body (a field Cloud KMS's discovery document does not have)
//! sent straight to the sandbox, next to a clean run that passes and the loopback listing
//! `GET {url}/_sandbox/spec-findings` a harness in another process reads.

mod common;

use common::{Cli, Served};

#[path = "../../../tests/support/sandbox_http.rs"]
mod sandbox_http;
use sandbox_http::{exchange, listed, BAD_BODY, KEYS};

#[test]
#[should_panic(
    expected = "request broke the spec: cloudkms.projects.locations.keyRings.cryptoKeys.create: crypto_key.bogus_field"
)]
fn a_test_whose_request_breaks_the_spec_fails_when_its_sandbox_stops() {
    let served = Served::fast();
    let (status, body) = exchange(&served.url, "POST", KEYS, BAD_BODY);
    assert_eq!(status, 400, "answered as Cloud KMS would: {body}");
    assert!(body.contains("bogusField"), "names the field: {body}");
    drop(served); // the guard fires here
}

#[test]
fn the_findings_are_listed_on_loopback_and_a_clean_run_passes() {
    let mut served = Served::fast();
    let clean = listed(&served.url);
    assert_eq!(clean["guard"], "fail", "{clean:#}");
    assert_eq!(clean["findings"], serde_json::json!([]), "{clean:#}");

    // A real command's requests are all within the contracts.
    Cli::new(&served).run(&["clusters", "--json"]).expect(0);
    assert_eq!(listed(&served.url)["findings"], serde_json::json!([]));

    let (status, _) = exchange(&served.url, "POST", KEYS, BAD_BODY);
    assert_eq!(status, 400);
    let after = listed(&served.url);
    let findings = after["findings"].as_array().expect("a list");
    assert_eq!(findings.len(), 1, "{after:#}");
    assert!(
        findings[0]
            .as_str()
            .unwrap()
            .contains("bogus_field (additionalProperties)"),
        "{after:#}"
    );
    let (status, _) = exchange(&served.url, "DELETE", "/_sandbox/spec-findings", "");
    assert_eq!(status, 405, "listing only");

    // The sandbox says it on stop, with exit code 1.
    let verdict = served.stop().expect_err("the guard reports the bad body");
    assert!(
        verdict.contains("exit status: 1") && verdict.contains("bogus_field"),
        "{verdict}"
    );
}
