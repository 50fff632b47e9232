//! Build script of the bare yardstick app: embeds tauri.conf.json and its one capability.
fn main() {
    tauri_build::build()
}
