#!/usr/bin/env bash
# The secret scan (a phase of scripts/test.sh, after every other phase): none of the secrets the
# tests used may appear in a log, the app's data folders or a recorded IPC payload.
#
#   scan-secrets.sh SCAN_DIR E2E_DIR
#
# SCAN_DIR/issued-secrets.txt  every authorization code, PKCE verifier, client secret, access,
#                              refresh and ID token the OAuth test server saw or issued (it
#                              issues distinctive `ya29.e2e-access-…`/`1//e2e-refresh-…` tokens),
#                              plus the CockroachDB API key the tests typed — one per line.
# Scanned: E2E_DIR (tauri-driver log, the app's log with every IPC response and channel message
# at trace level, screenshots), SCAN_DIR/ipc-mock-runtime.jsonl (every response the MockRuntime
# tests received) and SCAN_DIR/e2e-home (the E2E app's XDG data/config/cache dirs) except the
# keyring files, which are the one place secrets belong (encrypted by gnome-keyring).
#
# The scan refuses to pass vacuously: the secrets list and every scanned record must exist and
# hold what a real run produces.
set -euo pipefail
scan=$1 e2e=$2
issued="$scan/issued-secrets.txt"
fail() { echo "secret scan: $*" >&2; exit 1; }

[ -s "$issued" ] || fail "$issued is missing or empty: the OAuth tests did not run"
for prefix in '1//e2e-refresh-' 'ya29.e2e-access-' 'GOCSPX-e2e-'; do
  grep -q "^$prefix" "$issued" || fail "no ${prefix}… secret was recorded"
done
ipc_mock="$scan/ipc-mock-runtime.jsonl"
app_log="$e2e/app-sign-in.log"
[ -s "$ipc_mock" ] && grep -q '"cmd":"sign_in_google"' "$ipc_mock" ||
  fail "$ipc_mock has no sign_in_google response: the MockRuntime sign-in tests did not record"
[ -s "$app_log" ] && grep -q 'ipc response' "$app_log" && grep -q 'officer@example.com' "$app_log" ||
  fail "$app_log has no recorded IPC responses: the E2E sign-in test did not run"
[ -d "$scan/e2e-home" ] || fail "$scan/e2e-home is missing: the E2E phase did not run"

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
# Distinct values of at least 8 characters (shorter ones would match by chance).
awk 'length($0) >= 8' "$issued" | sort -u >"$patterns"
echo "secret scan: $(wc -l <"$patterns") secrets; scanning $e2e, $ipc_mock, $scan/e2e-home"

hits=$(grep -rlaF -f "$patterns" --exclude-dir=keyrings -- "$e2e" "$ipc_mock" "$scan/e2e-home" || true)
if [ -n "$hits" ]; then
  echo "secret scan: FOUND secrets the tests used in:" >&2
  echo "$hits" >&2
  # Name which kind leaked, never the value.
  while read -r f; do
    for prefix in '1//e2e-refresh-' 'ya29.e2e-access-' 'GOCSPX-e2e-' 'crl-good' 'eyJ'; do
      grep -qaF "$prefix" "$f" && echo "  $f: a ${prefix}… value" >&2
    done
  done <<<"$hits"
  exit 1
fi
echo "secret scan: clean ($(find "$e2e" "$scan/e2e-home" -type f | wc -l) files and $(wc -l <"$ipc_mock") IPC records)"
