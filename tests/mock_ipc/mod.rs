//! Shared by the MockRuntime command tests (`tests/*_commands.rs`, `tests/commands.rs`): the app
//! as shipped (its own `tauri.conf.json` and capabilities) on Tauri's mock runtime with its
//! "main" window, and one command through the real IPC layer.
#![allow(dead_code)]

use cmek_desk::session::{Keychain, Session};
use cmek_desk::settings::Settings;
use cmek_desk::state::AppState;
use cmek_desk::with_state;
use cmek_keychain::InMemoryStore;
use serde_json::Value;
use std::sync::Arc;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

pub type Window = WebviewWindow<MockRuntime>;

/// The app and its main window (keep the app alive as long as the window is used).
pub struct MockApp {
    pub app: tauri::App<MockRuntime>,
    pub window: Window,
}

/// The app with its state: a session over `settings` with `store` as the keychain.
pub fn app_with_session(settings: Settings, store: Arc<InMemoryStore>) -> MockApp {
    let session = Session::new(settings, Keychain::Given(store));
    with_main_window(
        with_state(mock_builder(), AppState::new(session))
            .build(tauri::generate_context!())
            .expect("app builds with the real context"),
    )
}

/// Opens the "main" window the capabilities are granted to.
pub fn with_main_window(app: tauri::App<MockRuntime>) -> MockApp {
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main window");
    MockApp { app, window }
}

/// One command through the IPC layer, as the window sends it: the JSON response or the error.
pub fn invoke(window: &Window, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("static url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|b| b.deserialize::<Value>().expect("JSON response"))
}
