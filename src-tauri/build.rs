//! Build script: embeds tauri.conf.json and the capabilities, and declares the app's commands
//! so the capability files grant exactly these (each gets `allow-*`/`deny-*` permissions).

/// Every `#[tauri::command]` registered in `lib.rs::with_handlers`; keep both lists in sync.
const COMMANDS: &[&str] = &[
    "session_status",
    "sign_in_google",
    "cancel_sign_in",
    "use_google_credentials",
    "save_cockroach_key",
    "forget_cockroach_key",
    "sign_out",
    "connect_live",
    "connect_sandbox",
    "disconnect",
    "open_docs",
    "list_clusters",
    "suggest_setup",
    "plan_setup",
    "apply_setup",
    "cancel_apply",
    "suggest_aws_setup",
    "plan_aws_setup",
    "apply_aws_setup",
    "cmek_status",
    "allowed_actions",
    "suggest_rotation",
    "plan_rotation",
    "plan_add_region",
    "preview_revoke",
    "revoke_cluster",
    "resume_revoke",
    "recover_revoke",
    "cancel_revoke",
    "preview_key",
    "disable_key_versions",
    "restore_key_versions",
    "activity_entries",
    "activity_rows",
    "pending_operations",
    "verify_activity",
    "export_activity",
    "start_audit",
    "cancel_audit",
    "export_audit",
    "remediate_drift",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
