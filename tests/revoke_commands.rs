//! The revoke, recover, key-action and activity commands through Tauri's real IPC layer
//! (MockRuntime, the app's own config and capabilities), against the in-process sandbox, with
//! the activity log in a temp dir (`CMEK_DESK_DATA_DIR`). Revocation behaviour itself is tested
//! in `cmek-revoke`; here: wiring, argument names, error codes, what reaches the log.

mod mock_ipc;

use cmek_desk::settings::Settings;
use cmek_desk::state::AppState;
use cmek_keychain::InMemoryStore;
use mock_ipc::{app_with_session, invoke, MockApp};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tauri::Manager;

const SINGLE_REGION: &str = "prod-payments";

struct App {
    mock: MockApp,
    dir: PathBuf,
}

fn app(name: &str) -> App {
    let dir = std::env::temp_dir().join(format!("cmek-desk-revoke-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    App {
        mock: app_with_session(settings, Arc::new(InMemoryStore::default())),
        dir,
    }
}

fn call(a: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke(&a.mock.window, cmd, args)
}

fn ok(a: &App, cmd: &str, args: Value) -> Value {
    call(a, cmd, args).unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn actions(a: &App) -> Vec<String> {
    let entries = ok(a, "activity_entries", json!({}));
    entries
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Connects to the sandbox (no propagation or transition delays) and sets up CMEK on the
/// single-region demo cluster through the wizard's commands; returns its id.
fn connect_and_set_up(a: &App) -> String {
    ok(a, "connect_sandbox", json!({}));
    {
        let state = a.mock.app.state::<AppState>();
        let slot = state.sandbox.blocking_lock();
        let handle = slot.as_ref().expect("sandbox running");
        handle.set_iam_propagation(Duration::ZERO);
        handle.set_cmek_transition(Duration::ZERO, 0);
    }
    let clusters = ok(a, "list_clusters", json!({}));
    let id = clusters
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["cluster"]["name"] == SINGLE_REGION)
        .and_then(|c| c["cluster"]["id"].as_str())
        .expect("demo cluster")
        .to_owned();
    let mut request = ok(a, "suggest_setup", json!({ "clusterId": id }));
    // The demo project (the sandbox also seeds audit projects the officer may not write to).
    request["project"] = json!(cmek_sandbox::seed::DEMO_PROJECT_ID);
    let plan = ok(a, "plan_setup", json!({ "request": request }));
    let result = ok(
        a,
        "apply_setup",
        json!({ "planId": plan["planId"], "onEvent": "__CHANNEL__:1" }),
    );
    assert_eq!(result["cmek"]["status"], "ENABLED", "{result}");
    id
}

#[test]
fn revoke_commands_before_connecting_fail_with_unauthenticated() {
    let a = app("unauth");
    for (cmd, args) in [
        (
            "preview_revoke",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
        (
            "revoke_cluster",
            json!({ "request": { "clusterId": "00000000-0000-4000-8000-0000000000c1", "lever": "TOKEN_CREATOR", "confirmName": "x" }, "onEvent": "__CHANNEL__:1" }),
        ),
        (
            "resume_revoke",
            json!({ "operationId": "00000000-0000-4000-8000-00000000000a", "onEvent": "__CHANNEL__:1" }),
        ),
        (
            "recover_revoke",
            json!({ "operationId": "00000000-0000-4000-8000-00000000000a", "onEvent": "__CHANNEL__:1" }),
        ),
        (
            "preview_key",
            json!({ "key": "projects/p/locations/global/keyRings/r/cryptoKeys/k" }),
        ),
        (
            "disable_key_versions",
            json!({ "key": "projects/p/locations/global/keyRings/r/cryptoKeys/k", "confirmKey": "k", "onEvent": "__CHANNEL__:1" }),
        ),
        (
            "restore_key_versions",
            json!({ "key": "projects/p/locations/global/keyRings/r/cryptoKeys/k", "confirmKey": "k", "enableAfter": true, "onEvent": "__CHANNEL__:1" }),
        ),
    ] {
        let error = call(&a, cmd, args).expect_err(cmd);
        assert_eq!(error["code"], "UNAUTHENTICATED", "{cmd}: {error}");
    }
    // The log is open before connecting: empty, nothing pending, cancel is a no-op.
    assert_eq!(ok(&a, "activity_entries", json!({})), json!([]));
    assert_eq!(ok(&a, "pending_operations", json!({})), json!([]));
    assert_eq!(ok(&a, "cancel_revoke", json!({})), Value::Null);
    assert!(
        a.dir.join(cmek_activity::DB_FILE_NAME).exists(),
        "the log lives in CMEK_DESK_DATA_DIR"
    );
}

#[test]
fn arguments_use_the_names_the_ui_sends() {
    let a = app("args");
    let error = call(&a, "preview_revoke", json!({})).expect_err("missing clusterId");
    assert!(error.to_string().contains("clusterId"), "{error}");
    let error = call(&a, "export_activity", json!({ "format": "xml" })).expect_err("bad format");
    assert!(error.to_string().contains("format"), "{error}");
}

#[test]
fn connect_is_recorded_and_a_wrong_confirmation_is_invalid_input_with_nothing_logged() {
    let a = app("confirm");
    let id = connect_and_set_up(&a);
    // Connecting, then the setup operation with an intent and an outcome per write call.
    let after_setup = actions(&a);
    assert_eq!(after_setup[..2], ["connect", "setup"], "{after_setup:?}");
    assert_eq!(after_setup.last().map(String::as_str), Some("setup"));
    assert!(
        after_setup[2..after_setup.len() - 1]
            .iter()
            .all(|a| a.starts_with("setup.")),
        "{after_setup:?}"
    );
    let connect = &ok(&a, "activity_entries", json!({}))[0];
    assert_eq!(connect["actor"], "user:officer@example.com", "{connect}");

    let preview = ok(&a, "preview_revoke", json!({ "clusterId": id }));
    assert_eq!(preview["confirmText"], SINGLE_REGION, "{preview}");
    assert_eq!(preview["regions"], json!(["us-east4"]));
    let levers: Vec<&str> = preview["levers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lever"].as_str().unwrap())
        .collect();
    assert_eq!(
        levers,
        [
            "TOKEN_CREATOR",
            "ENCRYPTER_DECRYPTER",
            "DISABLE_SERVICE_ACCOUNT"
        ]
    );
    assert_eq!(preview["levers"][0]["isDefault"], true);

    for wrong in ["prod-payment", "PROD-PAYMENTS", ""] {
        let request = json!({ "clusterId": id, "lever": "TOKEN_CREATOR", "confirmName": wrong });
        let error = call(
            &a,
            "revoke_cluster",
            json!({ "request": request, "onEvent": "__CHANNEL__:2" }),
        )
        .expect_err(wrong);
        assert_eq!(error["code"], "INVALID_INPUT", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(SINGLE_REGION),
            "{error}"
        );
    }
    assert_eq!(
        actions(&a),
        after_setup,
        "a refused confirmation writes nothing"
    );
    let status = ok(&a, "cmek_status", json!({ "clusterId": id }));
    assert_eq!(status["status"], "ENABLED", "nothing changed: {status}");

    // Key actions: the same typed confirmation (the key id).
    let key = preview["keys"][0]
        .as_str()
        .expect("the cluster's key")
        .to_owned();
    let kp = ok(&a, "preview_key", json!({ "key": key }));
    assert_eq!(
        kp["guard"]["allowed"], false,
        "the key is in use: never offered for destruction"
    );
    let error = call(
        &a,
        "disable_key_versions",
        json!({ "key": key, "confirmKey": "nope", "onEvent": "__CHANNEL__:3" }),
    )
    .expect_err("wrong key id");
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    assert_eq!(actions(&a), after_setup);
}

#[test]
fn revoke_then_recover_through_the_commands_and_export_the_log() {
    let a = app("flow");
    let id = connect_and_set_up(&a);
    let request =
        json!({ "clusterId": id, "lever": "TOKEN_CREATOR", "confirmName": SINGLE_REGION });
    let report = ok(
        &a,
        "revoke_cluster",
        json!({ "request": request, "onEvent": "__CHANNEL__:2" }),
    );
    assert_eq!(report["cmekStatus"], "REVOKED", "{report}");
    assert_eq!(report["stillPresent"], json!([]));
    assert_eq!(
        ok(&a, "cmek_status", json!({ "clusterId": id }))["status"],
        "REVOKED"
    );
    let op = report["operationId"].as_str().unwrap().to_owned();

    // A finished revocation cannot be "finished" again.
    let error = call(
        &a,
        "resume_revoke",
        json!({ "operationId": op, "onEvent": "__CHANNEL__:3" }),
    )
    .expect_err("finished");
    assert_eq!(error["code"], "FAILED_PRECONDITION", "{error}");
    let error = call(
        &a,
        "recover_revoke",
        json!({ "operationId": "00000000-0000-4000-8000-00000000000a", "onEvent": "__CHANNEL__:4" }),
    )
    .expect_err("unknown");
    assert_eq!(error["code"], "NOT_FOUND", "{error}");

    let recovered = ok(
        &a,
        "recover_revoke",
        json!({ "operationId": op, "onEvent": "__CHANNEL__:5" }),
    );
    assert_eq!(recovered["verified"], true, "{recovered}");
    assert_eq!(recovered["missing"], json!([]));
    let support = &recovered["supportRequest"];
    assert_eq!(support["clusterId"], id.as_str());
    assert_eq!(support["regions"], json!(["us-east4"]));
    assert!(support["body"].as_str().unwrap().contains(&id), "{support}");

    let acts = actions(&a);
    for want in [
        "connect",
        "revoke",
        "revoke.snapshot",
        "revoke.remove_access",
        "revoke.call_revoke",
        "recover",
        "recover.restore_grants",
    ] {
        assert!(
            acts.iter().any(|x| x == want),
            "{want} missing from {acts:?}"
        );
    }
    assert_eq!(ok(&a, "pending_operations", json!({})), json!([]));

    for (format, first) in [("json", "["), ("csv", "id,at,actor")] {
        let path = ok(&a, "export_activity", json!({ "format": format }));
        let path = PathBuf::from(path.as_str().expect("path"));
        assert!(
            path.starts_with(&a.dir),
            "exported into the data folder: {}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).expect("export written");
        assert!(
            text.starts_with(first) && text.contains("revoke.call_revoke"),
            "{format}: {}",
            &text[..80.min(text.len())]
        );
    }
    assert!(actions(&a).iter().any(|x| x == "activity.export"));

    // The Activity screen's rows: the revocation is one row closed by its finish, each of its
    // writes one row with its outcome's state (never the intent's "pending").
    let rows = ok(&a, "activity_rows", json!({}));
    let rows = rows.as_array().expect("rows");
    let revoke = rows
        .iter()
        .find(|r| r["entry"]["action"] == "revoke")
        .expect("the revocation's row");
    assert_eq!(revoke["entry"]["kind"], "operation_started");
    assert_eq!(revoke["outcome"]["kind"], "operation_finished", "{revoke}");
    let call_revoke = rows
        .iter()
        .find(|r| r["entry"]["action"] == "revoke.call_revoke")
        .expect("the REVOKE call's row");
    assert_eq!(call_revoke["entry"]["kind"], "intent");
    assert_eq!(call_revoke["outcome"]["status"], "ok", "{call_revoke}");
    assert_eq!(call_revoke["state"], "ok");
    assert!(
        !rows.iter().any(|r| r["entry"]["kind"] == "outcome"),
        "every outcome is on its intent's row"
    );
}
