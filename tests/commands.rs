//! The command wiring through Tauri's real IPC layer (MockRuntime: no window, no display):
//! the app's own `tauri.conf.json` and capabilities (ACL), argument names, and the error shape
//! the UI switches on. CMEK behaviour itself is tested in `cmek-setup`.

mod mock_ipc;

use cmek_desk::with_handlers;
use mock_ipc::{invoke as call, with_main_window, MockApp};
use serde_json::{json, Value};
use tauri::test::mock_builder;

/// The app as shipped (real config + capabilities), on the mock runtime, with its "main" window.
fn main_window() -> MockApp {
    with_main_window(
        with_handlers(mock_builder())
            .build(tauri::generate_context!())
            .expect("app builds with the real context"),
    )
}

#[test]
fn commands_before_connecting_fail_with_unauthenticated_code() {
    let MockApp { app: _app, window } = main_window();
    // Each command is reachable through the capability (not ACL-denied) and answers with the
    // `{code, message}` shape the UI switches on.
    for (cmd, args) in [
        ("list_clusters", json!({})),
        (
            "suggest_setup",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
        (
            "cmek_status",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
        (
            "allowed_actions",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
        (
            "suggest_rotation",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
        (
            "suggest_aws_setup",
            json!({ "clusterId": "00000000-0000-4000-8000-0000000000c1" }),
        ),
    ] {
        let error = call(&window, cmd, args).expect_err(cmd);
        assert_eq!(error["code"], "UNAUTHENTICATED", "{cmd}: {error}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("Not connected")),
            "{cmd}: {error}"
        );
    }
}

#[test]
fn arguments_use_the_names_the_ui_sends() {
    let MockApp { app: _app, window } = main_window();
    // `clusterId` (camelCase) is what ui/src/lib/ipc/commands.ts sends; a missing key is a
    // Tauri argument error, not our UNAUTHENTICATED.
    let error = call(&window, "suggest_setup", json!({})).expect_err("missing clusterId");
    assert!(error.to_string().contains("clusterId"), "{error}");
}

#[test]
fn apply_takes_only_the_id_of_a_plan_the_backend_holds() {
    let MockApp { app: _app, window } = main_window();
    // A plan object sent by the window (possibly altered by script) is not an argument of
    // apply_setup: only `planId` is, and the backend executes the plan it holds under that id.
    let sent = json!({ "plan": { "planId": "p-1", "steps": [] }, "onEvent": "__CHANNEL__:1" });
    let error = call(&window, "apply_setup", sent).expect_err("a plan object is refused");
    assert!(error.to_string().contains("planId"), "{error}");
    // An id the backend never handed out is refused before anything is read or written.
    for cmd in ["apply_setup", "apply_aws_setup"] {
        let unknown =
            json!({ "planId": "00000000-0000-4000-8000-000000000001", "onEvent": "__CHANNEL__:1" });
        let error = call(&window, cmd, unknown).expect_err("unknown plan id");
        assert_eq!(error["code"], "FAILED_PRECONDITION", "{cmd}: {error}");
    }
}

#[test]
fn malformed_ids_are_refused_at_the_boundary_naming_the_field() {
    let MockApp { app: _app, window } = main_window();
    // Checked before the connection: INVALID_INPUT naming the field by its UI label and the rule.
    for (cmd, args, label) in [
        ("suggest_setup", json!({ "clusterId": "c-1" }), "Cluster ID"),
        (
            "cmek_status",
            json!({ "clusterId": "../../orgs" }),
            "Cluster ID",
        ),
        (
            "apply_setup",
            json!({ "planId": "p-1", "onEvent": "__CHANNEL__:1" }),
            "Plan ID",
        ),
    ] {
        let error = call(&window, cmd, args).expect_err(cmd);
        assert_eq!(error["code"], "INVALID_INPUT", "{cmd}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(&format!("{label}: ")), "{cmd}: {error}");
        assert!(
            message.contains("UUID"),
            "{cmd}: the rule is named: {error}"
        );
    }
}

#[test]
fn commands_not_in_the_capability_are_denied() {
    let MockApp { app: _app, window } = main_window();
    // No shell/fs/http plugin is granted; an unknown command never runs.
    let error =
        call(&window, "plugin:shell|execute", json!({ "program": "sh" })).expect_err("denied");
    assert!(
        error.as_str().is_some_and(|m| m.contains("not allowed")),
        "{error}"
    );
}

#[test]
fn connect_sandbox_then_list_the_demo_clusters() {
    let MockApp { app: _app, window } = main_window();
    let info = call(&window, "connect_sandbox", json!({})).expect("connect_sandbox");
    assert_eq!(info["mode"], "sandbox", "{info}");
    let clusters = call(&window, "list_clusters", json!({})).expect("list_clusters");
    let names: Vec<&str> = clusters
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["cluster"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"prod-payments") && names.contains(&"global-ledger"),
        "{names:?}"
    );
}

#[test]
fn cancel_apply_without_a_running_apply_is_a_no_op() {
    let MockApp { app: _app, window } = main_window();
    assert_eq!(call(&window, "cancel_apply", json!({})), Ok(Value::Null));
}
