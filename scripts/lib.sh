# Shared by scripts/run.sh and scripts/test.sh: Debian packages and the UI build.
# Package lists: docs building.md §1 (build) and §9 (run/test); all verified on Debian 12.

BUILD_PACKAGES=(build-essential pkg-config file curl wget libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev)
RUN_PACKAGES=(xvfb xauth dbus fonts-dejavu-core)
TEST_PACKAGES=(webkit2gtk-driver gnome-keyring keyutils chromium libsecret-tools sqlite3 poppler-utils)

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# Installs the given Debian packages that are missing (needs root or sudo).
ensure_apt_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# node_modules from package-lock.json, then the UI into ui/dist (embedded by cargo build).
build_ui() {
  command -v node >/dev/null || { echo "node (>= 20.19) is required: https://nodejs.org" >&2; return 1; }
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run build
  # The OAuth test server used by the sign-in tests (crates/auth/tests/oauth-server).
  if [ ! -f crates/auth/tests/oauth-server/node_modules/.package-lock.json ] ||
     [ crates/auth/tests/oauth-server/package-lock.json -nt crates/auth/tests/oauth-server/node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --prefix crates/auth/tests/oauth-server
  fi
}

# moto in server mode (PyPI moto[server]): the AWS reference the sandbox's AWS fake is held to
# (crates/sandbox/tests/aws_moto_diff.rs starts `python3 -m moto.server` on loopback). Pinned,
# so the differences that test lists stay the ones of a known version.
MOTO_VERSION=5.2.1
ensure_moto() {
  python3 -c "import sys, flask, flask_cors, moto; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null && return 0
  command -v python3 >/dev/null || ensure_apt_packages python3
  python3 -m pip --version >/dev/null 2>&1 || ensure_apt_packages python3-pip
  echo "Installing moto[server]==$MOTO_VERSION into the user's Python (python3 -m pip)"
  # Debian's system Python refuses plain installs (PEP 668): fall back to a user install.
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" 2>/dev/null ||
    python3 -m pip install --quiet --user --break-system-packages "moto[server]==$MOTO_VERSION"
}
