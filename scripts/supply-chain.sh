#!/usr/bin/env bash
# Supply-chain gates (issue 13), run by scripts/test.sh and on their own:
#   scripts/supply-chain.sh deny        cargo deny check licenses bans sources (deny.toml): offline,
#                                       needs only the crates.io index; part of the test command.
#   scripts/supply-chain.sh advisories  known vulnerabilities: `cargo deny check advisories` (the
#                                       RustSec database, a git repository on github.com) and
#                                       `npm audit --omit=dev` (the registry's POST audit endpoint).
#                                       Any finding fails. When a source cannot be reached it says
#                                       NOT CHECKED loudly, records it in $NOT_CHECKED_FILE (the test
#                                       command's summary lists it) and, unless
#                                       CMEK_DESK_ALLOW_MISSING=1, fails.
# cargo-deny (pinned) is installed once into ${TAURI_CI_TOOLS:-/tmp/tauri-ci-tools} (a cold
# `cargo install` takes about 6.5 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TOOLS="${TAURI_CI_TOOLS:-/tmp/tauri-ci-tools}"
CARGO_DENY_VERSION=0.20.2
DENY="$TOOLS/bin/cargo-deny"
NOT_CHECKED_FILE="${NOT_CHECKED_FILE:-$TARGET_DIR/not-checked.txt}"

ensure_cargo_deny() {
  if [ ! -x "$DENY" ] || ! "$DENY" --version | grep -q " $CARGO_DENY_VERSION\$"; then
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --root "$TOOLS"
  fi
}

# A source of advisories is unreachable: loud, recorded, and a failure unless opted out.
not_checked() {
  echo "################ NOT CHECKED: $1 ################" >&2
  mkdir -p "$(dirname "$NOT_CHECKED_FILE")"; echo "$1" >>"$NOT_CHECKED_FILE"
  [ "${CMEK_DESK_ALLOW_MISSING:-}" = 1 ]
}

case "${1:-}" in
  deny)
    ensure_cargo_deny
    "$DENY" deny check --hide-inclusion-graph licenses bans sources ;;
  advisories)
    ensure_cargo_deny
    rc=0
    out=$(mktemp); trap 'rm -f "$out"' EXIT
    if "$DENY" deny check --hide-inclusion-graph advisories 2>&1 | tee "$out"; then :
    elif grep -q "failed to fetch advisory database" "$out"; then
      not_checked "cargo deny check advisories: the RustSec advisory database (https://github.com/rustsec/advisory-db) is unreachable" || rc=1
    else rc=1; fi
    if npm audit --omit=dev 2>&1 | tee "$out"; then :
    elif grep -q "audit endpoint returned an error\|ENOTFOUND\|EAI_AGAIN\|ECONNREFUSED" "$out"; then
      not_checked "npm audit --omit=dev: the registry's audit endpoint (POST /-/npm/v1/security/advisories/bulk) is unreachable" || rc=1
    else rc=1; fi
    exit $rc ;;
  *)
    echo "usage: scripts/supply-chain.sh deny|advisories" >&2; exit 2 ;;
esac
