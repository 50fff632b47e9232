#!/usr/bin/env bash
# Starts CMEK Desk. With no account configured it starts in sandbox mode: a local simulation
# of Google Cloud and CockroachDB Cloud with demo clusters; no real cloud is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}"
build_ui
# `--workspace` like scripts/test.sh, so both share one set of compiled dependencies.
cargo build --locked --workspace
app="$TARGET_DIR/debug/cmek-desk"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: starting CMEK Desk under Xvfb (headless). Set DISPLAY to see the window." >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$app"
fi
exec "$app"
