// The window itself (title, app version) and the native file picker: the only other module
// beside commands.ts that imports @tauri-apps/api, each call granted one permission in
// src-tauri/capabilities/default.json (core:window:allow-set-title, core:app:allow-version,
// dialog:allow-open).
import { getCurrentWindow } from "@tauri-apps/api/window";
import { getVersion } from "@tauri-apps/api/app";
import { open } from "@tauri-apps/plugin-dialog";

/** Sets the document's and the native window's title (the window part is best effort). */
export async function setWindowTitle(title: string): Promise<void> {
  document.title = title;
  try {
    await getCurrentWindow().setTitle(title);
  } catch {
    // Outside Tauri (or denied): the document title is all there is.
  }
}

/** The app's version (tauri.conf.json / Cargo), or null when it cannot be read. */
export async function appVersion(): Promise<string | null> {
  try {
    return await getVersion();
  } catch {
    return null;
  }
}

/** The native "open file" dialog for a service-account key file; null when cancelled. */
export async function pickKeyFile(): Promise<string | null> {
  const picked = await open({
    title: "Choose a service-account key file",
    multiple: false,
    directory: false,
    filters: [{ name: "Service-account key (JSON)", extensions: ["json"] }],
  });
  return typeof picked === "string" ? picked : null;
}
