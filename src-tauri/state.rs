//! The app state Tauri manages: the application core itself (`cmek_desk_core::Desk`), which
//! holds the session, the connection, the sandbox, the activity log, the running operations and
//! the plans handed out. Nothing here decides anything.

/// Managed by Tauri (`tauri::State<AppState>`).
pub type AppState = cmek_desk_core::Desk;
