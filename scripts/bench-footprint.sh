#!/usr/bin/env bash
# Start-up, memory and size of CMEK Desk against a bare Tauri 2 app (issue 12), both built the
# same way on this machine: `tauri build --no-bundle` with the same tauri version, the same
# [profile.release] (checked below) and the same target dir. The bare app is bench/bare-tauri.
#
# Measured, each the median of 3 runs (FOOTPRINT_RUNS), each as a ratio to the bare app:
#   - release binary size, as shipped (the profile strips it; `file` must say "stripped");
#   - start-up to the first interactive screen: from the WebDriver new-session request (which
#     launches the app) until the first interactive element is displayed and enabled, polled
#     through tauri-driver + WebKitWebDriver (scripts/first-screen.py): CMEK Desk's Connect
#     screen button `connect-sandbox`, the bare app's `ready` button (enabled after one IPC call);
#   - idle memory 60 s after a plain launch (no WebDriver), summed over the app's process tree
#     (the app, WebKitWebProcess, WebKitNetworkProcess and anything else it spawned): RSS as asked
#     (shared libraries counted once per process) and PSS (shared pages split between processes).
# Everything runs under Xvfb + dbus-run-session with an unlocked gnome-keyring in a fresh home,
# the E2E tests' environment; CMEK Desk starts in sandbox mode (no account configured).
# Then the table in docs/performance.md between its FOOTPRINT markers is rewritten.
#
#   scripts/bench-footprint.sh               build both (nice 5), measure, rewrite the table
#   FOOTPRINT_SKIP_BUILD=1 ...               measure the binaries already in target/release
#   FOOTPRINT_NO_DOC=1 ...                   print the table only
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
TOOLS="${TAURI_CI_TOOLS:-/tmp/tauri-ci-tools}"
out="$TARGET_DIR/footprint"
runs="${FOOTPRINT_RUNS:-3}"
idle="${FOOTPRINT_IDLE_SECONDS:-60}"
cmek="${FOOTPRINT_CMEK_BIN:-$TARGET_DIR/release/cmek-desk}"
bare="${FOOTPRINT_BARE_BIN:-$TARGET_DIR/release/bare-tauri}"

# In the session (xvfb-run + dbus-run-session): prints one line per measurement.
if [ "${1:-}" = __session ]; then
  home="$out/home"; rm -rf "$home"; mkdir -p "$home/data" "$home/config" "$home/cache"
  export XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache"
  export XDG_RUNTIME_DIR=$(mktemp -d /tmp/cmek-fp-run.XXXXXX); chmod 700 "$XDG_RUNTIME_DIR"
  echo -n ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  port=4644
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
    port=$((port + 2))
  done
  "$TOOLS/bin/tauri-driver" --port "$port" --native-port "$((port + 1))" >"$out/tauri-driver.log" 2>&1 &
  driver=$!
  pids=()
  trap 'kill $driver "${pids[@]}" 2>/dev/null || true; rm -rf "$XDG_RUNTIME_DIR"' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

  # Start-up, alternating the two apps so machine noise falls on both.
  for run in $(seq "$runs"); do
    for which in bare cmek; do
      if [ $which = bare ]; then app=$bare css="[data-testid='ready']"; else app=$cmek css="[data-testid='connect-sandbox']"; fi
      json=$(python3 scripts/first-screen.py --driver "http://127.0.0.1:$port" --app "$app" \
        --ready "$css" --shot "$out/$which-first-screen-$run.png" --timeout 120)
      echo "startup $which $run $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ready_s"])' "$json")"
    done
  done
  kill $driver; wait $driver 2>/dev/null || true

  # Every descendant of $1 (the process tree), one pid a line, $1 first.
  tree() {
    local all; all=$(ps -e -o pid=,ppid=)
    local queue=("$1") found=()
    while ((${#queue[@]})); do
      local p=${queue[0]}; queue=("${queue[@]:1}"); found+=("$p")
      while read -r c; do queue+=("$c"); done < <(awk -v p="$p" '$2 == p {print $1}' <<<"$all")
    done
    printf '%s\n' "${found[@]}"
  }
  # Idle memory: both apps launched together, measured after $idle seconds (the idle period is
  # the measurement; readiness was measured above).
  for run in $(seq "$runs"); do
    pids=()
    "$bare" >"$out/bare-idle-$run.log" 2>&1 & pids+=($!)
    "$cmek" >"$out/cmek-idle-$run.log" 2>&1 & pids+=($!)
    sleep "$idle"
    for i in 0 1; do
      which=$([ $i = 0 ] && echo bare || echo cmek)
      rss=0 pss=0 names=()
      while read -r p; do
        r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        rss=$((rss + ${r:-0})) pss=$((pss + ${s:-0}))
        names+=("$(cat "/proc/$p/comm" 2>/dev/null)=$((${r:-0} / 1024))")
      done < <(tree "${pids[$i]}")
      # The page must have loaded: a WebKit web process belongs to the tree.
      [[ " ${names[*]} " == *WebKitWebProces* ]] ||
        { echo "bench-footprint: $which has no WebKitWebProcess after ${idle}s: ${names[*]}" >&2; exit 1; }
      echo "memory $which $run $rss $pss ${names[*]}"
    done
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  done
  exit 0
fi

python3 - <<'EOF'
import sys, tomllib
main = tomllib.load(open("Cargo.toml", "rb"))["profile"]["release"]
bare = tomllib.load(open("bench/bare-tauri/Cargo.toml", "rb"))["profile"]["release"]
if main != bare:
    sys.exit(f"bench-footprint: [profile.release] differs: Cargo.toml {main} vs bench/bare-tauri {bare}")
EOF
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" webkit2gtk-driver gnome-keyring file
[ -x "$TOOLS/bin/tauri-driver" ] || cargo install tauri-driver --version 2.1.0 --locked --root "$TOOLS"
if [ "${FOOTPRINT_SKIP_BUILD:-0}" != 1 ]; then
  build_ui
  nice -n 5 node_modules/.bin/tauri build --no-bundle
  (cd bench/bare-tauri && CARGO_TARGET_DIR="$TARGET_DIR" nice -n 5 ../../node_modules/.bin/tauri build --no-bundle)
fi
for b in "$cmek" "$bare"; do
  file "$b" | grep -q ', stripped' || { echo "bench-footprint: $b is not stripped: $(file "$b")" >&2; exit 1; }
done
rm -rf "$out"; mkdir -p "$out"
xvfb-run -a -s "-screen 0 1280x860x24 -nolisten tcp" dbus-run-session -- \
  bash scripts/bench-footprint.sh __session 2>&1 | { grep -v "Failed to set fd limit" || true; } | tee "$out/measurements.txt"

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
machine="$(nproc) cores ($cpu), $(free -g | awk '/^Mem:/{print $2}') GiB memory, $(uname -sr), $(dpkg-query -W -f='libwebkit2gtk-4.1-0 ${Version}' libwebkit2gtk-4.1-0)"
python3 - "$out/measurements.txt" "$cmek" "$bare" "$machine" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD)" >"$out/table.md" <<'EOF'
import os, statistics, sys
lines, cmek, bare, machine, when, commit = sys.argv[1:]
start, rss, pss, procs = {}, {}, {}, {}
for line in open(lines):
    f = line.split()
    if f[:1] == ["startup"]:
        start.setdefault(f[1], []).append(float(f[3]))
    elif f[:1] == ["memory"]:
        rss.setdefault(f[1], []).append(int(f[3]) / 1024)
        pss.setdefault(f[1], []).append(int(f[4]) / 1024)
        procs[f[1]] = " ".join(f[5:])
for d in (start, rss, pss):
    if set(d) != {"bare", "cmek"}:
        sys.exit(f"bench-footprint: incomplete measurements in {lines}")
size = {"cmek": os.path.getsize(cmek) / 2**20, "bare": os.path.getsize(bare) / 2**20}
med = lambda d: {k: statistics.median(v) for k, v in d.items()}
rows = [("release binary, stripped (MiB)", size, "{:.1f}"),
        ("start-up to first interactive screen (s)", med(start), "{:.2f}"),
        ("idle RSS after 60 s, process tree (MiB)", med(rss), "{:.0f}"),
        ("idle PSS after 60 s, process tree (MiB)", med(pss), "{:.0f}")]
runs = len(start["cmek"])
print("<!-- FOOTPRINT:BEGIN (rewritten by scripts/bench-footprint.sh) -->")
print(f"Command: `scripts/bench-footprint.sh`, {when}, commit {commit}, on {machine}; "
      f"median of {runs} runs (start-up and memory), both apps built with `tauri build --no-bundle` "
      f"in the same release profile.")
print()
print("| measure | CMEK Desk | bare Tauri 2 app | ratio | target |")
print("|---|---:|---:|---:|---|")
for name, v, fmt in rows:
    ratio = v["cmek"] / v["bare"]
    print(f"| {name} | {fmt.format(v['cmek'])} | {fmt.format(v['bare'])} | {ratio:.2f}x | "
          f"{'met' if ratio <= 1.2 else 'not met'} (≤ 1.2x) |")
print()
print("Every run (seconds; MiB):")
for k, label in (("cmek", "CMEK Desk"), ("bare", "bare app")):
    print(f"- {label}: start-up {', '.join(f'{x:.2f}' for x in start[k])}; "
          f"RSS {', '.join(f'{x:.0f}' for x in rss[k])}; PSS {', '.join(f'{x:.0f}' for x in pss[k])}; "
          f"last run's processes (RSS MiB): {procs[k]}")
print("<!-- FOOTPRINT:END -->")
EOF
cat "$out/table.md"
[ "${FOOTPRINT_NO_DOC:-0}" = 1 ] && exit 0
doc=docs/performance.md
grep -q '<!-- FOOTPRINT:BEGIN' "$doc" || { echo "bench-footprint: no FOOTPRINT markers in $doc" >&2; exit 1; }
python3 - "$doc" "$out/table.md" <<'EOF'
import re, sys
doc, table = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(doc).read()
open(doc, "w").write(re.sub(r"<!-- FOOTPRINT:BEGIN.*?<!-- FOOTPRINT:END -->", lambda _: table, text, flags=re.S))
EOF
echo "rewrote the start-up, memory and size table in $doc"
