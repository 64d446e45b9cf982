#!/usr/bin/env bash
# Where a contribution's CPU goes (issue 14): runs the HTTP benchmark (bench/http.sh, the three services as processes on
# the private servers) and samples each service with perf while the load runs, then draws a flame graph per service and
# lists its hottest frames (tools/flamegraph).
#
#   bench/profile.sh                       200 contributions/s, perf for 20 s of a 40 s run
#   bench/profile.sh --rate 40 --seconds 40 --warmup-seconds 90 --out docs/profiles/before
#
# Warm up long enough for the steady state: for the first minute or more the runtime's tiered JIT recompiles hot methods
# in the background (docs/benchmarks.md, "Where a contribution's CPU goes"), and a short warm-up profiles the JIT.
#
# Writes <out>/<service>.svg, <out>/<service>.txt and the benchmark's table (<out>/http.md). Needs perf (apt: linux-perf).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
rate=200 seconds=40 warmup=5 out=""
while (($#)); do
    case "$1" in
        --rate) rate="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --warmup-seconds) warmup="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
out="${out:-bench/results/profile-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
say() { printf '[profile] %s\n' "$*" >&2; }
if ! command -v perf >/dev/null; then
    say "installing perf"
    apt-get install -y -qq linux-perf >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq linux-perf >/dev/null; }
fi

# JIT-compiled frames get names only when the runtime writes /tmp/perf-<pid>.map; the services inherit this environment.
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
bench/http.sh --rate "$rate" --seconds "$seconds" --runs 1 --warmup-seconds "$warmup" >"$out/http.md" 2>"$out/http.log" &
bench=$!

# The measured run starts when the benchmark says so; sample its middle half.
deadline=$((SECONDS + 600))
until grep -q "run 1/1" "$out/http.log" 2>/dev/null; do
    kill -0 "$bench" 2>/dev/null || { cat "$out/http.log" >&2; say "the benchmark ended before its run started"; exit 1; }
    ((SECONDS < deadline)) || { say "the benchmark's run did not start within 600 s (see $out/http.log)"; kill "$bench"; exit 1; }
    sleep 0.5
done
sleep $((seconds / 4))
declare -A pids
for service in CampaignFinance VolunteerCoordinator Communications; do
    pids[$service]="$(pgrep -nf "/$service\.dll" || true)" # the newest: the one this benchmark started
    [[ -n ${pids[$service]} ]] || { say "$service is not running"; kill "$bench"; exit 1; }
done
window=$((seconds / 2))
say "sampling the three services for ${window}s at 499 Hz"
for service in "${!pids[@]}"; do
    perf record -F 499 -g -p "${pids[$service]}" -o "$out/$service.perf.data" -- sleep "$window" >/dev/null 2>&1 &
done
wait "$bench" || say "the benchmark exited with $? (see $out/http.log)"
wait
for service in "${!pids[@]}"; do
    perf script -i "$out/$service.perf.data" 2>/dev/null | tools/flamegraph --title "$service at $rate contributions/s" \
        --svg "$out/$service.svg" --top 25 >"$out/$service.txt"
    rm -f "$out/$service.perf.data"
    say "$service: $(head -1 "$out/$service.txt") -> $out/$service.svg"
done
cat "$out/http.md"
