#!/usr/bin/env bash
# Proves scripts/scan-secrets.sh can fail: builds the records a real run leaves (scan list, IPC
# records, E2E log and home, Rust test output, an activity database made with the sqlite3 shell),
# checks that the clean set passes, then plants one secret at a time — in the Rust test output,
# inside an activity database row (seen only through `sqlite3 .dump` or its bytes), in an E2E
# app log — and requires the scan to fail naming that file. Also: an empty scan list fails.
# A phase of scripts/test.sh (under a second); needs sqlite3 (Debian `sqlite3`).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# An obviously fake Google access token, assembled so no credential pattern matches the source.
ACCESS="ya29"".e2e-access-abcdef123"
trap 'rm -rf "$work"' EXIT
failures=0
check() { echo "scan self-test: $*"; }
bad() { echo "scan self-test: FAILED: $*" >&2; failures=$((failures + 1)); }

# A clean, complete set of records (what scripts/test.sh leaves after the Rust and E2E phases).
make_records() {
  rm -rf "$work/scan" "$work/e2e"
  local s="$work/scan" e="$work/e2e"
  mkdir -p "$s/e2e-home/data" "$s/tmp/cmek-desk-revoke-x" "$e"
  printf '%s\n' '1//e2e-refresh-abcdef123' "$ACCESS" 'GOCSPX-e2e-abcdef123' \
    'sandbox-google-token' 'sandbox/K7MDENG/bPxRfiCYSANDBOXSECRETKEY' >"$s/issued-secrets.txt"
  echo '{"cmd":"sign_in_google","ok":true,"payload":{"email":"officer@example.com"}}' >"$s/ipc-mock-runtime.jsonl"
  echo 'TRACE ipc response payload={"email":"officer@example.com"}' >"$e/app-sign-in.log"
  printf 'running 3 tests\nSummary [ 1.0s] 3 tests run: 3 passed\n' >"$s/rust-test-output.log"
  sqlite3 "$s/tmp/cmek-desk-revoke-x/activity.sqlite3" \
    "CREATE TABLE entries (id INTEGER PRIMARY KEY, summary TEXT, detail BLOB);
     INSERT INTO entries (summary, detail) VALUES ('Signed in as officer@example.com', zeroblob(5000));"
}

scan() { bash scripts/scan-secrets.sh "$work/scan" "$work/e2e" >"$work/out" 2>&1; }

make_records
if scan; then check "clean records pass"; else bad "clean records failed the scan: $(cat "$work/out")"; fi

# Each planted secret must fail the scan and the report must name the file it is in.
expect_caught() {
  local what=$1 file=$2
  if scan; then bad "$what: the scan passed"; return; fi
  if grep -qF "$file" "$work/out"; then check "$what: caught"; else bad "$what: failed without naming $file: $(cat "$work/out")"; fi
}

make_records
echo 'thread panicked: token sandbox-google-token rejected' >>"$work/scan/rust-test-output.log"
expect_caught "a sandbox token in the Rust test output" "rust-test-output.log"

make_records
# Long enough to spill into an overflow page: its bytes are not contiguous in the file.
sqlite3 "$work/scan/tmp/cmek-desk-revoke-x/activity.sqlite3" \
  "INSERT INTO entries (summary, detail) VALUES (printf('%.9000c', 'x') || '$ACCESS', NULL);"
expect_caught "an access token in an activity database row" "activity.sqlite3"

make_records
echo 'DEBUG sent Authorization: Bearer 1//e2e-refresh-abcdef123' >>"$work/e2e/app-sign-in.log"
expect_caught "a refresh token in the E2E app log" "app-sign-in.log"

make_records
echo 'aws secret sandbox/K7MDENG/bPxRfiCYSANDBOXSECRETKEY' >"$work/scan/e2e-home/data/settings.json"
expect_caught "an AWS secret access key in the app's data folder" "settings.json"

make_records
: >"$work/scan/issued-secrets.txt"
if scan; then bad "an empty scan list passed"; else check "an empty scan list fails"; fi

make_records
rm "$work/scan/tmp/cmek-desk-revoke-x/activity.sqlite3"
if scan; then bad "a run without any activity database passed"; else check "no activity database fails"; fi

((failures == 0)) || { echo "scan self-test: $failures check(s) failed" >&2; exit 1; }
echo "scan self-test: the scan fails on every planted secret"
