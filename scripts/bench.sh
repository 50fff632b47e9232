#!/usr/bin/env bash
# Benchmark suite (issue #12): audit scaling of both inventory paths against their own lower
# bounds (crates/audit/benches/scan.rs), then rewrites the measured table in
# docs/performance.md between its BENCH markers, with the command, the build profile and the
# machine.
#
#   scripts/bench.sh             full suite: 100/1,000/10,000 keys over 1/10/50 projects, 50 ms
#                                latency, production quotas (minutes: the quotas bound it)
#   scripts/bench.sh --reduced   small sizes, scaled-down quotas, no time asserted, doc untouched
#                                (the test command runs this so the benchmark never rots)
#   BENCH_PROFILE=release scripts/bench.sh   the same in a release build (default: bench)
#
# Builds run at nice 19 with one job so they do not starve a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

reduced=0
[[ "${1:-}" == "--reduced" ]] && reduced=1
profile="${BENCH_PROFILE:-bench}"
((reduced)) && profile="${BENCH_PROFILE:-dev}"

run() {
  BENCH_REDUCED=$reduced CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" \
    nice -n 19 cargo bench --locked -p cmek-audit --bench scan --profile "$profile"
}

if ((reduced)); then
  out=$(run)
  echo "$out"
  # Both paths ran on every size (the bench itself asserts every key was audited).
  rows=$(grep -c '^| [0-9]' <<<"$out")
  [[ "$rows" -eq 4 ]] || { echo "bench: expected 4 result rows, got $rows" >&2; exit 1; }
  echo "bench (reduced): 4 passed, 0 failed"
  exit 0
fi

out=$(run)
echo "$out"
doc=docs/performance.md
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
machine="$(nproc) cores ($cpu), $(free -g | awk '/^Mem:/{print $2}') GiB memory, $(uname -sr)"
{
  echo "<!-- BENCH:BEGIN (rewritten by scripts/bench.sh) -->"
  echo "Command: \`scripts/bench.sh\` (cargo profile \`$profile\`), $(date -u +%Y-%m-%dT%H:%MZ), on $machine."
  echo
  grep -E '^\|' <<<"$out"
  echo
  grep -E 'faster' <<<"$out" | sed 's/^/- /'
  echo "<!-- BENCH:END -->"
} >/tmp/cmek-bench-table.md
python3 - "$doc" /tmp/cmek-bench-table.md <<'EOF'
import re, sys
doc, table = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(doc).read()
new = re.sub(r"<!-- BENCH:BEGIN.*?<!-- BENCH:END -->", lambda _: table, text, flags=re.S)
open(doc, "w").write(new)
EOF
echo "rewrote the table in $doc"
bash scripts/bench-footprint.sh   # start-up, idle memory and size against bench/bare-tauri (its own table in the doc)
