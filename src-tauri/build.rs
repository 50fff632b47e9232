//! Build script: embeds tauri.conf.json and the capabilities, and declares the app's commands
//! so the capability files grant exactly these (each gets `allow-*`/`deny-*` permissions).

/// Every `#[tauri::command]` registered in `lib.rs::with_handlers`; keep both lists in sync.
const COMMANDS: &[&str] = &[
    "connect_sandbox",
    "list_clusters",
    "suggest_setup",
    "plan_setup",
    "apply_setup",
    "cancel_apply",
    "cmek_status",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
