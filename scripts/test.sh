#!/usr/bin/env bash
# Runs every test of CMEK Desk: the lint gates (rustfmt, clippy, svelte-check), the Rust workspace
# (unit, integration, MockRuntime IPC, keychain) in a D-Bus session with an unlocked
# gnome-keyring, the TypeScript bindings drift check, the UI
# tests (mocked IPC, headless Chromium) and the end-to-end test of the real app window
# (Xvfb + tauri-driver + WebKitWebDriver). Every test phase runs even if an earlier one failed;
# the summary at the end lists what failed, and the exit status is non-zero if anything did.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TOOLS="${TAURI_CI_TOOLS:-/tmp/tauri-ci-tools}"   # tauri-driver, kept between runs
# The secret scan's inputs (scripts/scan-secrets.sh): the secrets the app's tests used (their
# OAuth test server appends every code, verifier, client secret and token it sees to
# issued-secrets.txt; every sandbox appends the credentials it accepts), the IPC payloads the
# MockRuntime tests received, the E2E app's home, the Rust test output (rust-test-output*.log)
# and every SQLite database the tests create (their TMPDIR is $SECRET_SCAN_DIR/tmp).
export SECRET_SCAN_DIR="$TARGET_DIR/secret-scan"
# nextest: no fail-fast so one failure does not hide the others.
NEXTEST=(cargo nextest run --locked --workspace --no-fail-fast)

case "${1:-}" in
  __keyring-session)
    # Inside dbus-run-session: a fresh, unlocked login keyring (building.md §7b) and a fresh
    # kernel session keyring (keyctl session -) for the keychain tests; the E2E test is separate.
    export XDG_RUNTIME_DIR=$(mktemp -d /tmp/cmek-xdg-run.XXXXXX); chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_DATA_HOME=$(mktemp -d /tmp/cmek-xdg-data.XXXXXX)
    trap 'rm -rf "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME"' EXIT
    echo -n ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    export TMPDIR="$SECRET_SCAN_DIR/tmp"; mkdir -p "$TMPDIR"
    keyctl session - "${NEXTEST[@]}" -E 'not binary(e2e*)' 2>&1 | tee "$SECRET_SCAN_DIR/rust-test-output.log"
    exit ;;
  __e2e-session)
    # Inside xvfb-run + dbus-run-session: an unlocked gnome-keyring in a fresh app home (the
    # app's data/config/cache dirs, kept for the secret scan), tauri-driver on a free port,
    # then the E2E tests, one WebDriver session at a time.
    home="$SECRET_SCAN_DIR/e2e-home"
    rm -rf "$home"; mkdir -p "$home/data" "$home/config" "$home/cache"
    export XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache"
    export XDG_RUNTIME_DIR=$(mktemp -d /tmp/cmek-xdg-run.XXXXXX); chmod 700 "$XDG_RUNTIME_DIR"
    echo -n ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    port=4444
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
      port=$((port + 2))   # another run is using it
    done
    "$TOOLS/bin/tauri-driver" --port "$port" --native-port "$((port + 1))" >"$TARGET_DIR/e2e/tauri-driver.log" 2>&1 &
    driver=$!
    trap 'kill $driver 2>/dev/null || true; rm -rf "$XDG_RUNTIME_DIR"' EXIT
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    export TMPDIR="$SECRET_SCAN_DIR/tmp"; mkdir -p "$TMPDIR"
    TAURI_DRIVER_URL="http://127.0.0.1:$port" "${NEXTEST[@]}" -E 'binary(e2e*)' --no-capture 2>&1 |
      tee "$SECRET_SCAN_DIR/rust-test-output-e2e.log"
    exit ;;
esac

T0=$SECONDS
failed=()
# Free space where the build writes (GiB), in each step's header: a full disk fails far from
# its cause (a linker's "No space left on device"), so the log shows when it ran out.
free_gib() {
  local kib
  kib=$(df -Pk "$(dirname "$TARGET_DIR")" 2>/dev/null | awk 'NR==2 {print $4}') || true
  echo $(( ${kib:-0} / 1048576 ))
}
step() { echo; echo "=== [$((SECONDS - T0))s] $* (disk: $(free_gib) GiB free)"; }
# A cold run from a clean clone wrote 24 GiB to the target dir (2026-12-02; 6.7 GiB of it
# incremental caches, which .ci/run turns off). Say so up front rather than fail mid-link.
(($(free_gib) >= 20)) ||
  echo "WARNING: $(free_gib) GiB free where the build writes; a cold run needs about 18-24 GiB (scripts/test.sh)." >&2
# Runs one test phase and records its failure instead of stopping.
phase() {
  local name=$1; shift
  step "$name"
  local t=$SECONDS
  if "$@"; then echo "--- $name: passed in $((SECONDS - t))s"; else echo "--- $name: FAILED after $((SECONDS - t))s"; failed+=("$name"); fi
}

step "Debian packages"
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
step "moto (the AWS reference of the sandbox's differential test)"
ensure_moto

step "UI build (npm ci + vite) — ui/dist must exist before cargo builds the app"
build_ui

step "cargo build --workspace"
cargo build --locked --workspace
rm -rf "$SECRET_SCAN_DIR" "$TARGET_DIR/e2e"; mkdir -p "$SECRET_SCAN_DIR" "$TARGET_DIR/e2e"

# Lint gates. Clippy right after the build reuses its dependency graph (only the workspace's own
# crates are checked again); fmt and svelte-check take seconds.
phase "Lint: cargo fmt --all --check" cargo fmt --all --check
phase "Lint: cargo clippy --workspace --all-targets -D warnings" \
  cargo clippy --locked --workspace --all-targets -- -D warnings

# Supply chain (deny.toml): licenses, banned/duplicate crates, crates.io only. Known-vulnerability
# advisories need github.com and the npm audit endpoint: `scripts/supply-chain.sh advisories`.
phase "Supply chain: cargo deny check licenses bans sources" bash scripts/supply-chain.sh deny

phase "Rust tests (cargo nextest, D-Bus + gnome-keyring + session keyring)" \
  dbus-run-session -- bash scripts/test.sh __keyring-session

# The audit benchmark at small sizes and scaled-down quotas (no time asserted), so it never
# rots; the full suite with production quotas is scripts/bench.sh (docs/performance.md).
phase "Benchmark (reduced): both audit paths on small sizes" \
  env CARGO_BUILD_JOBS=2 bash scripts/bench.sh --reduced

# The settings rule as users get it: the same tests in a release-profile build, where endpoint
# overrides that are plain HTTP or foreign hosts must be refused (cmek_core::settings).
phase "Release-profile settings: foreign or plain-HTTP endpoint overrides refused" \
  cargo test --locked --release -p cmek-core --lib settings::

# cmek-core's tests (just run) regenerate the ts-rs bindings; committed ones must match.
bindings_up_to_date() {
  git diff --exit-code --stat -- ui/src/lib/bindings &&
    [ -z "$(git ls-files --others --exclude-standard -- ui/src/lib/bindings)" ] ||
    { echo "ui/src/lib/bindings drifted from the Rust types: commit the regenerated files." >&2; return 1; }
}
phase "TypeScript bindings are up to date" bindings_up_to_date

phase "Lint: svelte-check (UI types, against the committed bindings)" npm run --silent check

phase "UI tests (mocked IPC, headless Chromium)" env CHROMIUM="$(command -v chromium)" npm run --silent test:ui

step "tauri-driver 2.1.0"
[ -x "$TOOLS/bin/tauri-driver" ] || cargo install tauri-driver --version 2.1.0 --locked --root "$TOOLS"
phase "E2E: real app window (Xvfb + tauri-driver + WebKitWebDriver), screenshots in $TARGET_DIR/e2e" \
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash scripts/test.sh __e2e-session

# The installable package (scripts/package.sh: release build + .deb; scripts/package-test.sh: installed with apt, the installed app reaches the Connect screen under Xvfb, removed): only on request, as the release build takes minutes.
if [ "${CMEK_DESK_PACKAGE_TEST:-0}" = 1 ]; then phase "Package: the .deb installs and the installed app reaches the Connect screen (target/package/connect.png)" bash -c 'PACKAGE_BUNDLES=deb bash scripts/package.sh && bash scripts/package-test.sh'; fi

phase "Secret scan self-test: a secret planted in test output, an activity database or a log fails the scan" \
  bash scripts/test-scan-secrets.sh
phase "Secret scan: no token, code, verifier or key the tests used in logs, app data, IPC records, test output or activity databases" \
  bash scripts/scan-secrets.sh "$SECRET_SCAN_DIR" "$TARGET_DIR/e2e"

step "done in $((SECONDS - T0))s"
if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "All test phases passed."
