#!/usr/bin/env bash
# Installs the .deb scripts/package.sh built, starts the INSTALLED app (the binary the package
# put in /usr/bin) under Xvfb + dbus-run-session with an unlocked gnome-keyring in a fresh home
# (as the E2E tests do), drives its real window through tauri-driver + WebKitWebDriver
# (scripts/first-screen.py) until the Connect screen's sandbox button is interactive, saves
# target/package/connect.png, connects to the built-in sandbox and waits for the demo
# organisation's cluster list (target/package/clusters.png), then removes the package and checks
# that its files are gone. Needs root (or sudo) for apt.
#
#   scripts/package-test.sh [path/to.deb]     default: the .deb under target/release/bundle/deb
#
# scripts/test.sh runs it (after scripts/package.sh) only when CMEK_DESK_PACKAGE_TEST=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
TOOLS="${TAURI_CI_TOOLS:-/tmp/tauri-ci-tools}"
out="$TARGET_DIR/package"

if [ "${1:-}" = __session ]; then
  # Inside xvfb-run + dbus-run-session: fresh app home, unlocked keyring, tauri-driver, the probe.
  app=$2
  home="$out/home"; rm -rf "$home"; mkdir -p "$home/data" "$home/config" "$home/cache"
  export XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache"
  export XDG_RUNTIME_DIR=$(mktemp -d /tmp/cmek-pkg-run.XXXXXX); chmod 700 "$XDG_RUNTIME_DIR"
  echo -n ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  port=4544
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
    port=$((port + 2))
  done
  "$TOOLS/bin/tauri-driver" --port "$port" --native-port "$((port + 1))" >"$out/tauri-driver.log" 2>&1 &
  driver=$!
  trap 'kill $driver 2>/dev/null || true; rm -rf "$XDG_RUNTIME_DIR"' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  python3 scripts/first-screen.py --driver "http://127.0.0.1:$port" --app "$app" \
    --arg "CMEK_DESK_LOG_FILE=$out/app.log" \
    --ready "[data-testid='connect-sandbox']" --shot "$out/connect.png" \
    --click connect-sandbox --then "[data-testid^='cluster-row-']" --then-shot "$out/clusters.png" \
    --fail-shot "$out/failure.png" --timeout 90
  exit
fi

deb=${1:-$(find "$TARGET_DIR/release/bundle/deb" -maxdepth 1 -name '*.deb' -print -quit 2>/dev/null)}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "package-test: no .deb found; build it with scripts/package.sh" >&2; exit 1; }
deb=$(realpath "$deb")
pkg=$(dpkg-deb --field "$deb" Package)
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  echo "package-test: $pkg is already installed on this machine; not touching it (remove it first)" >&2
  exit 1
fi
ensure_apt_packages "${RUN_PACKAGES[@]}" webkit2gtk-driver gnome-keyring python3
[ -x "$TOOLS/bin/tauri-driver" ] || cargo install tauri-driver --version 2.1.0 --locked --root "$TOOLS"
rm -rf "$out"; mkdir -p "$out"

echo "=== install $deb ($pkg) with apt (its Depends from the Debian archive)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "$deb"
remove() {
  echo "=== remove $pkg"
  $sudo apt-get purge -y -q "$pkg" >/dev/null
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed"; then
    echo "package-test: $pkg is still installed after purge" >&2; return 1
  fi
  for f in "${files[@]}"; do
    [ ! -e "$f" ] || { echo "package-test: $f is left after purge" >&2; return 1; }
  done
  echo "package-test: $pkg removed, its ${#files[@]} files gone"
}
mapfile -t files < <(dpkg -L "$pkg" | while read -r f; do [ -f "$f" ] && echo "$f"; done)
trap remove EXIT
app=$(dpkg -L "$pkg" | grep -m1 '^/usr/bin/')
[ -x "$app" ] || { echo "package-test: the package installed no program in /usr/bin" >&2; exit 1; }
[ "$(dpkg -S "$app" | cut -d: -f1)" = "$pkg" ] || { echo "package-test: $app does not belong to $pkg" >&2; exit 1; }
echo "installed: $app ($(du -h "$app" | cut -f1)), desktop entry: $(dpkg -L "$pkg" | grep -m1 '\.desktop$')"

echo "=== start the installed app under Xvfb, wait for the Connect screen, connect to the sandbox"
xvfb-run -a -s "-screen 0 1280x860x24 -nolisten tcp" dbus-run-session -- \
  bash scripts/package-test.sh __session "$app" 2>&1 | { grep -v "Failed to set fd limit" || true; }
trap - EXIT
remove
echo "package-test: 1 passed, 0 failed (screenshots: $out/connect.png, $out/clusters.png)"
