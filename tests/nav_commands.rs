//! Disconnect, the docs opener and the plugin grants of the navigation work (issue 11) through
//! Tauri's real IPC layer (MockRuntime, the app's own config and capabilities): disconnect
//! forgets the connection, open_docs refuses every page outside the CockroachDB docs, and of
//! the dialog plugin only the file picker is granted.

mod mock_ipc;

use cmek_desk::settings::Settings;
use cmek_keychain::InMemoryStore;
use mock_ipc::{app_with_session, invoke as call, MockApp};
use serde_json::json;
use std::sync::Arc;

/// The app with its activity log in a fresh folder of the temp dir for test `name`.
fn app(name: &str) -> MockApp {
    let dir = std::env::temp_dir().join(format!("cmek-desk-nav-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings::from_pairs([
        ("CMEK_DESK_DATA_DIR", dir.display().to_string()),
        ("CMEK_DESK_OPEN_BROWSER", "0".to_string()),
    ]);
    app_with_session(settings, Arc::new(InMemoryStore::default()))
}

#[test]
fn disconnect_forgets_the_connection_until_the_next_connect() {
    const NAME: &str = "disconnect";
    let MockApp { app: _app, window } = app(NAME);
    call(&window, "connect_sandbox", json!({})).expect("connect_sandbox");
    call(&window, "list_clusters", json!({})).expect("listed while connected");
    call(&window, "disconnect", json!({})).expect("disconnect");
    let error = call(&window, "list_clusters", json!({})).expect_err("not connected");
    assert_eq!(error["code"], "UNAUTHENTICATED", "{error}");
    call(&window, "connect_sandbox", json!({})).expect("reconnect");
    call(&window, "list_clusters", json!({})).expect("listed after reconnecting");
}

#[test]
fn open_docs_opens_only_cockroachdb_docs() {
    const NAME: &str = "docs";
    let MockApp { app: _app, window } = app(NAME);
    let error = call(
        &window,
        "open_docs",
        json!({ "url": "https://evil.example/" }),
    )
    .expect_err("refused");
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    // A docs page is accepted; with the browser turned off the window gets the reason.
    let docs = "https://www.cockroachlabs.com/docs/cockroachcloud/cmek";
    let error = call(&window, "open_docs", json!({ "url": docs })).expect_err("no browser");
    assert_eq!(error["code"], "INTERNAL", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("turned off"),
        "{error}"
    );
}

#[test]
fn of_the_dialog_plugin_only_the_file_picker_is_granted() {
    const NAME: &str = "dialog";
    let MockApp { app: _app, window } = app(NAME);
    for (cmd, args) in [
        ("plugin:dialog|save", json!({ "options": {} })),
        ("plugin:dialog|message", json!({ "message": "hi" })),
        ("plugin:dialog|ask", json!({ "message": "hi" })),
    ] {
        let error = call(&window, cmd, args).expect_err(cmd);
        assert!(
            error.as_str().is_some_and(|m| m.contains("not allowed")),
            "{cmd}: {error}"
        );
    }
}

#[test]
fn the_window_may_set_its_title_and_read_the_version_and_nothing_else_of_core() {
    const NAME: &str = "core";
    let MockApp { app: _app, window } = app(NAME);
    let version = call(&window, "plugin:app|version", json!({})).expect("version");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let title = json!({ "label": "main", "value": "CMEK Desk — sandbox — Clusters" });
    if let Err(error) = call(&window, "plugin:window|set_title", title) {
        assert!(
            !error.to_string().contains("not allowed"),
            "set_title is denied: {error}"
        );
    }
    for (cmd, args) in [
        ("plugin:window|close", json!({ "label": "main" })),
        (
            "plugin:window|set_size",
            json!({ "label": "main", "value": { "Logical": { "width": 10.0, "height": 10.0 } } }),
        ),
        ("plugin:app|app_hide", json!({})),
    ] {
        let error = call(&window, cmd, args).expect_err(cmd);
        assert!(error.to_string().contains("not allowed"), "{cmd}: {error}");
    }
}
