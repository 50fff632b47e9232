//! Property tests of every IPC command through Tauri's real IPC layer (MockRuntime, the app's
//! own config and capabilities): random and malformed arguments — wrong types, missing and extra
//! keys, hostile strings, random request objects — never panic or hang the app, and every error
//! is either Tauri's argument error or the app's `{code, message}` with a code of the closed set.
//! An id argument our rules refuse is `INVALID_INPUT` naming the field by its UI label, before
//! anything else happens. The command list is read from `src-tauri/build.rs` (every command the
//! app registers); a command missing from the table below fails the test.
//!
//! The app is not connected and its Google and CockroachDB endpoints point at a closed loopback
//! port, so every command answers at once. Not called with well-formed arguments (only with
//! malformed ones, which Tauri refuses before the command runs): `sign_in_google` (waits for the
//! browser), `connect_live` and `use_google_credentials` with ADC or gcloud (they probe the
//! machine's credentials), `connect_sandbox` (connects, after which calls do real work), and
//! `open_docs` (opens the browser); the two without arguments are not called at all.

mod mock_ipc;

use cmek_core::input::{labels, ClusterUuid, ConfirmText, FilePath, KeyName, RecordId};
use cmek_core::ErrorCode;
use cmek_desk::settings::Settings;
use cmek_keychain::InMemoryStore;
use mock_ipc::{app_with_session, invoke, MockApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// What a command's argument is.
#[derive(Clone, Copy, Debug)]
enum Arg {
    /// A string parsed by a validated type: the label it names on refusal and the parser.
    Id(&'static str, fn(&str, &str) -> cmek_core::Result<()>),
    /// A free string (a secret, a URL).
    Text,
    Bool,
    /// An object (a request, options, a credential source).
    Object,
    /// A Channel (`__CHANNEL__:N`).
    Channel,
}

fn cluster(l: &str, s: &str) -> cmek_core::Result<()> {
    ClusterUuid::parse(l, s).map(drop)
}
fn record(l: &str, s: &str) -> cmek_core::Result<()> {
    RecordId::parse(l, s).map(drop)
}
fn key(l: &str, s: &str) -> cmek_core::Result<()> {
    KeyName::parse(l, s).map(drop)
}
fn confirm(l: &str, s: &str) -> cmek_core::Result<()> {
    ConfirmText::parse(l, s).map(drop)
}

const CLUSTER: Arg = Arg::Id(labels::CLUSTER_ID, cluster);
const PLAN: Arg = Arg::Id(labels::PLAN_ID, record);
const OPERATION: Arg = Arg::Id(labels::OPERATION_ID, record);
const KEY: Arg = Arg::Id(labels::KEY_NAME, key);
const CONFIRM_KEY: Arg = Arg::Id(labels::CONFIRM_KEY, confirm);

/// Every command with its arguments (camelCase, as the UI sends them) and whether it may be
/// called with well-formed arguments here (see the module doc for the exceptions).
/// A command, its arguments, and whether it may be called with well-formed arguments.
type Command = (&'static str, &'static [(&'static str, Arg)], bool);

const COMMANDS: &[Command] = &[
    ("session_status", &[], true),
    ("sign_in_google", &[("onEvent", Arg::Channel)], false),
    ("cancel_sign_in", &[], true),
    ("use_google_credentials", &[("source", Arg::Object)], true),
    ("save_cockroach_key", &[("key", Arg::Text)], true),
    ("forget_cockroach_key", &[], true),
    ("sign_out", &[], true),
    ("connect_live", &[], false),
    ("connect_sandbox", &[], false),
    ("disconnect", &[], true),
    ("open_docs", &[("url", Arg::Text)], false),
    ("list_clusters", &[], true),
    ("suggest_setup", &[("clusterId", CLUSTER)], true),
    ("plan_setup", &[("request", Arg::Object)], true),
    (
        "apply_setup",
        &[("planId", PLAN), ("onEvent", Arg::Channel)],
        true,
    ),
    ("cancel_apply", &[], true),
    ("suggest_aws_setup", &[("clusterId", CLUSTER)], true),
    ("plan_aws_setup", &[("request", Arg::Object)], true),
    (
        "apply_aws_setup",
        &[("planId", PLAN), ("onEvent", Arg::Channel)],
        true,
    ),
    ("cmek_status", &[("clusterId", CLUSTER)], true),
    ("allowed_actions", &[("clusterId", CLUSTER)], true),
    ("suggest_rotation", &[("clusterId", CLUSTER)], true),
    ("plan_rotation", &[("request", Arg::Object)], true),
    ("plan_add_region", &[("request", Arg::Object)], true),
    ("preview_revoke", &[("clusterId", CLUSTER)], true),
    (
        "revoke_cluster",
        &[("request", Arg::Object), ("onEvent", Arg::Channel)],
        true,
    ),
    (
        "resume_revoke",
        &[("operationId", OPERATION), ("onEvent", Arg::Channel)],
        true,
    ),
    (
        "recover_revoke",
        &[("operationId", OPERATION), ("onEvent", Arg::Channel)],
        true,
    ),
    ("cancel_revoke", &[], true),
    ("preview_key", &[("key", KEY)], true),
    (
        "disable_key_versions",
        &[
            ("key", KEY),
            ("confirmKey", CONFIRM_KEY),
            ("onEvent", Arg::Channel),
        ],
        true,
    ),
    (
        "restore_key_versions",
        &[
            ("key", KEY),
            ("confirmKey", CONFIRM_KEY),
            ("enableAfter", Arg::Bool),
            ("onEvent", Arg::Channel),
        ],
        true,
    ),
    ("activity_entries", &[], true),
    ("activity_rows", &[], true),
    ("pending_operations", &[], true),
    ("verify_activity", &[], true),
    ("export_activity", &[("format", Arg::Text)], true),
    (
        "start_audit",
        &[("options", Arg::Object), ("onEvent", Arg::Channel)],
        true,
    ),
    ("cancel_audit", &[], true),
    ("export_audit", &[("format", Arg::Text)], true),
    (
        "remediate_drift",
        &[("request", Arg::Object), ("onEvent", Arg::Channel)],
        true,
    ),
];

/// The commands the app registers (`COMMANDS` in src-tauri/build.rs).
fn registered() -> Vec<String> {
    let build = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src-tauri/build.rs"))
        .unwrap();
    let list = build
        .split("const COMMANDS")
        .nth(1)
        .and_then(|s| s.split("];").next())
        .expect("COMMANDS in build.rs");
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Hostile and near-miss strings: ids with a character too many or wrong, traversal, control
/// characters, huge strings, valid-looking UUIDs and key names.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "[0-9a-f-]{30,40}",
        "projects/[a-z0-9.:-]{0,8}/locations/[a-z0-9-]{0,8}/keyRings/[a-zA-Z0-9_/ -]{0,8}/cryptoKeys/[a-zA-Z0-9_-]{0,70}",
        Just("../../../etc/passwd".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("x".repeat(5000)),
        Just(String::new()),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,16}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Request-like objects: the fields the request types have, with random values.
fn request_object() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("clusterId"),
        Just("cluster_id"),
        Just("project"),
        Just("keyProject"),
        Just("keyRing"),
        Just("key_ring"),
        Just("cryptoKey"),
        Just("serviceAccountId"),
        Just("lever"),
        Just("confirmName"),
        Just("findingId"),
        Just("confirm"),
        Just("projects"),
        Just("kmsReadsPerMinute"),
        Just("concurrencyPerProject"),
        Just("includeCockroach"),
        Just("kind"),
        Just("path"),
        Just("layout"),
        Just("region"),
        Just("rotationPeriodDays"),
    ];
    let value = prop_oneof![
        3 => hostile_string().prop_map(Value::String),
        1 => any::<u32>().prop_map(Value::from),
        1 => prop::collection::vec(hostile_string().prop_map(Value::String), 0..3).prop_map(Value::Array),
        1 => Just(json!("TOKEN_CREATOR")),
        1 => Just(json!("serviceAccountKeyFile")),
        1 => any_json(),
    ];
    prop::collection::btree_map(field, value, 0..8)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// One call: a command, its arguments (well-formed in shape or not), and what we predict.
#[derive(Debug, Clone)]
struct Call {
    cmd: &'static str,
    args: Value,
    /// The label of the first id argument our rules refuse, when every argument is well-formed.
    refused: Option<&'static str>,
}

fn call_strategy() -> impl Strategy<Value = Call> {
    let n = COMMANDS.len();
    (
        0..n,
        any::<bool>(),
        prop::collection::vec(hostile_string(), 4),
        prop::collection::vec(request_object(), 2),
        any_json(),
        any::<u8>(),
    )
        .prop_map(move |(i, well_formed, strings, objects, junk, channel)| {
            let (cmd, params, callable) = COMMANDS[i];
            let mut args = Map::new();
            let mut refused = None;
            let well_formed = well_formed && callable;
            for (j, (name, arg)) in params.iter().enumerate() {
                let s = strings[j % strings.len()].clone();
                let value = match (*arg, well_formed) {
                    (Arg::Id(label, parse), true) => {
                        if refused.is_none() && parse(label, &s).is_err() {
                            refused = Some(label);
                        }
                        Value::String(s)
                    }
                    (Arg::Text, true) => Value::String(format!("not-a-url {s}")),
                    (Arg::Bool, true) => Value::Bool(s.len() % 2 == 0),
                    (Arg::Object, true) => objects[j % 2].clone(),
                    (Arg::Channel, true) => Value::String(format!("__CHANNEL__:{channel}")),
                    // Malformed: a wrong type for every argument (a missing one is tested too).
                    (_, false) if j % 3 == 2 => continue,
                    (Arg::Id(..) | Arg::Text, false) => {
                        if junk.is_string() {
                            json!(12)
                        } else {
                            junk.clone()
                        }
                    }
                    (Arg::Bool, false) => json!("true"),
                    (Arg::Object, false) => json!([junk.clone()]),
                    (Arg::Channel, false) => json!({ "id": channel }),
                };
                args.insert((*name).to_owned(), value);
            }
            // Extra keys the command does not take are ignored by Tauri.
            args.insert("unexpectedExtra".into(), junk);
            Call {
                cmd,
                args: Value::Object(args),
                refused: if well_formed { refused } else { None },
            }
        })
}

fn app() -> MockApp {
    let dir = std::env::temp_dir().join(format!("cmek-desk-ipc-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let closed = "http://127.0.0.1:9/".to_owned();
    let settings = Settings::from_pairs([
        ("CMEK_DESK_DATA_DIR", dir.display().to_string()),
        (
            "CMEK_DESK_EXPORT_DIR",
            dir.join("exports").display().to_string(),
        ),
        ("CMEK_DESK_GOOGLE_API_BASE", closed.clone()),
        ("CMEK_DESK_COCKROACH_API_BASE", closed),
        ("CMEK_DESK_OPEN_BROWSER", "0".to_owned()),
    ]);
    app_with_session(settings, Arc::new(InMemoryStore::default()))
}

/// Checks one answer: no panic got here; an error is Tauri's argument error (a string) or ours
/// with a closed code and a message fit for a person; a refused id names its label.
fn check(call: &Call, answer: Result<Value, Value>) -> Result<(), TestCaseError> {
    let Err(error) = answer else {
        prop_assert!(
            call.refused.is_none(),
            "{}: accepted {} although {:?} is invalid",
            call.cmd,
            call.args,
            call.refused
        );
        return Ok(());
    };
    if let Some(text) = error.as_str() {
        // Tauri refused the arguments before the command ran (wrong type, missing key).
        prop_assert!(
            call.refused.is_none() || text.contains("invalid args"),
            "{}: {text}",
            call.cmd
        );
        return Ok(());
    }
    let code: Result<ErrorCode, _> = serde_json::from_value(error["code"].clone());
    prop_assert!(
        code.is_ok(),
        "{}: error outside the closed set: {error}",
        call.cmd
    );
    let message = error["message"].as_str().unwrap_or_default();
    prop_assert!(!message.is_empty(), "{}: no message: {error}", call.cmd);
    for phrase in [
        "::",
        "invalid type",
        "expected u32",
        "expected i32",
        "expected a",
        "serde",
        "struct ",
        "invalid args",
        "panicked",
        "RUST_BACKTRACE",
        call.cmd,
    ] {
        prop_assert!(
            !message.contains(phrase),
            "{}: a Rust/serde phrase or a command name reaches the person: {message}",
            call.cmd
        );
    }
    if let Some(label) = call.refused {
        prop_assert_eq!(
            code.unwrap(),
            ErrorCode::InvalidInput,
            "{}: {}",
            call.cmd,
            error
        );
        prop_assert!(
            message.starts_with(&format!("{label}: ")),
            "{}: the refusal does not name {label}: {message}",
            call.cmd
        );
    }
    Ok(())
}

#[test]
fn every_registered_command_is_fuzzed() {
    let known: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
    let missing: Vec<String> = registered()
        .into_iter()
        .filter(|c| !known.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "commands without a fuzz entry: {missing:?}. Add each to COMMANDS in tests/ipc_fuzz.rs \
         with its arguments (and, if it must not run here, why)."
    );
}

#[test]
fn random_and_malformed_calls_to_every_command_get_a_typed_answer() {
    let MockApp { app: _app, window } = app();
    let registered = registered();
    let mut runner = TestRunner::new(Config {
        cases: 600,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&call_strategy(), |call| {
        if !registered.iter().any(|c| c == call.cmd) {
            return Ok(()); // in the table for a command this checkout does not have yet
        }
        if COMMANDS
            .iter()
            .any(|(c, params, callable)| *c == call.cmd && !callable && params.is_empty())
        {
            return Ok(()); // no argument to malform: it would run (see the module doc)
        }
        let answer = invoke(&window, call.cmd, call.args.clone());
        check(&call, answer)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_file_path_with_a_nul_byte_is_refused_naming_the_field() {
    let MockApp { app: _app, window } = app();
    let source =
        json!({ "source": { "kind": "serviceAccountKeyFile", "path": "/tmp/a\u{0}b.json" } });
    let error = invoke(&window, "use_google_credentials", source).expect_err("refused");
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    assert!(FilePath::parse("x", "/tmp/a\u{0}b.json").is_err());
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Service account key file: "),
        "{error}"
    );
}

#[test]
fn scan_numbers_of_any_type_are_refused_by_label_not_by_the_ipc_layer() {
    let MockApp { app: _app, window } = app();
    for (key, label) in [
        ("kmsReadsPerMinute", labels::READS_PER_MINUTE),
        ("concurrencyPerProject", labels::CONCURRENCY),
        ("assetSearchesPerMinute", labels::SEARCHES_PER_MINUTE),
    ] {
        for bad in [json!(-5), json!(0.5), json!("ten"), json!(true), json!(0)] {
            let args = json!({
                "options": { "projects": ["cmek-demo-project"], key: bad },
                "onEvent": "__CHANNEL__:1",
            });
            let error = invoke(&window, "start_audit", args).expect_err("refused");
            assert_eq!(error["code"], "INVALID_INPUT", "{key}={bad}: {error}");
            let message = error["message"].as_str().unwrap();
            assert!(message.starts_with(&format!("{label}: ")), "{message}");
            for phrase in ["invalid type", "expected", "u32", "serde", "start_audit"] {
                assert!(!message.contains(phrase), "{message}");
            }
        }
    }
}
