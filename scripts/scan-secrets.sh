#!/usr/bin/env bash
# The secret scan (a phase of scripts/test.sh, after every other phase): none of the secrets the
# tests used may appear in a log, the app's data folders or a recorded IPC payload.
#
#   scan-secrets.sh SCAN_DIR E2E_DIR
#
# SCAN_DIR/issued-secrets.txt  every authorization code, PKCE verifier, client secret, access,
#                              refresh and ID token the OAuth test server saw or issued (it
#                              issues distinctive `ya29.e2e-access-…`/`1//e2e-refresh-…` tokens),
#                              plus the CockroachDB API key the tests typed, and every
#                              credential each sandbox accepted (its Google tokens, CockroachDB
#                              API keys and demo AWS secret access keys: cmek-sandbox
#                              `scan_list`) — one per line.
# Scanned: E2E_DIR (tauri-driver log, the app's log with every IPC response and channel message
# at trace level, screenshots), SCAN_DIR/ipc-mock-runtime.jsonl (every response the MockRuntime
# tests received), SCAN_DIR/e2e-home (the E2E app's XDG data/config/cache dirs) except the
# keyring files, which are the one place secrets belong (encrypted by gnome-keyring), the Rust
# test output (SCAN_DIR/rust-test-output*.log, tee'd by scripts/test.sh) and every SQLite
# database under SCAN_DIR (the tests' TMPDIR is SCAN_DIR/tmp: every activity database the tests
# created), read through `sqlite3 .dump` as well as byte by byte.
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
grep -q '^sandbox/' "$issued" || fail "no sandbox credential was recorded: the sandbox did not append to $issued"
outputs=("$scan"/rust-test-output*.log)
[ -s "${outputs[0]}" ] || fail "no Rust test output in $scan/rust-test-output*.log: scripts/test.sh tees it there"

# Every SQLite database under SCAN_DIR, dumped to text beside the others (sqlite3 .dump reads
# every table, overflow page and the WAL; the raw bytes are scanned too).
dumps="$scan/sqlite-dumps"
rm -rf "$dumps"; mkdir -p "$dumps"
databases=0 activity=0
while IFS= read -r -d '' f; do
  [ "$(head -c 15 "$f" 2>/dev/null)" = "SQLite format 3" ] || continue
  databases=$((databases + 1))
  case "$f" in *activity.sqlite3) activity=$((activity + 1)) ;; esac
  sqlite3 -readonly "$f" .dump >"$dumps/$databases.sql" 2>"$dumps/$databases.err" ||
    fail "cannot dump $f: $(cat "$dumps/$databases.err")"
  echo "$f" >"$dumps/$databases.path"
done < <(find "$scan" -path "$dumps" -prune -o -type f ! -name '*-wal' ! -name '*-shm' ! -name '*-journal' -print0)
((activity > 0)) || fail "no activity database (activity.sqlite3) under $scan: the tests' TMPDIR is not $scan/tmp"

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
# Distinct values of at least 8 characters (shorter ones would match by chance).
awk 'length($0) >= 8' "$issued" | sort -u >"$patterns"
echo "secret scan: $(wc -l <"$patterns") secrets; scanning $e2e, $ipc_mock, $scan/e2e-home, ${#outputs[@]} test outputs, $databases SQLite databases ($activity activity logs)"

hits=$(grep -rlaF -f "$patterns" --exclude-dir=keyrings -- "$e2e" "$ipc_mock" "$scan/e2e-home" "${outputs[@]}" "$dumps" || true)
while IFS= read -r -d '' f; do
  grep -qaF -f "$patterns" -- "$f" && hits+=$'\n'"$f"
done < <(find "$scan/tmp" -type f \( -name '*.sqlite3' -o -name '*.sqlite3-wal' -o -name '*.db' \) -print0 2>/dev/null)
hits=$(sed '/^$/d' <<<"$hits")
if [ -n "$hits" ]; then
  echo "secret scan: FOUND secrets the tests used in:" >&2
  echo "$hits" >&2
  # Name which kind leaked, never the value.
  while read -r f; do
    case "$f" in "$dumps"/*.sql) echo "  ($f is the dump of $(cat "${f%.sql}.path"))" >&2 ;; esac
    for prefix in '1//e2e-refresh-' 'ya29.e2e-access-' 'GOCSPX-e2e-' 'crl-good' 'eyJ' 'sandbox-' 'sandbox/'; do
      grep -qaF "$prefix" "$f" && echo "  $f: a ${prefix}… value" >&2
    done
  done <<<"$hits"
  exit 1
fi
echo "secret scan: clean ($(find "$e2e" "$scan/e2e-home" -type f | wc -l) files, $(wc -l <"$ipc_mock") IPC records, $(cat "${outputs[@]}" | wc -l) lines of test output, $databases SQLite databases)"
