//! The bare Tauri 2 app CMEK Desk's start-up, memory and size are measured against
//! (scripts/bench-footprint.sh, docs/performance.md): one window, one page, one command.
//! The page asks `ready` once over IPC and only then enables its button, so its first
//! interactive screen includes one IPC round trip, as CMEK Desk's Connect screen does.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Answers the page's one start-up call.
#[tauri::command]
fn ready() -> &'static str {
    "ready"
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("error while running the bare Tauri app");
}
