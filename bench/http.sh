#!/usr/bin/env bash
# HTTP benchmark of the whole system (docs/benchmarks.md, "HTTP: contributions at 200 requests/s"): the three services
# run as processes (Release build) on the private servers; contributions are posted at a steady rate, each to a new donor.
#
#   bench/http.sh                         200 requests/s for 30 s, 3 runs after a 5 s warm-up (~4 min)
#   bench/http.sh --rate 100 --seconds 10 --runs 1 --warmup-seconds 0
#   bench/http.sh --compare --warmup-seconds 90   A/B (issue 14): the full system against the same endpoint without
#                                                 messaging, each stepped to its highest rate with p99 < 50 ms (~15 min)
#   bench/http.sh --schedule-a                    Schedule A of 100,000 contributions from 30,000 donors, JSON and CSV
#                                                 (issue 15; --contributions, --donors, --runs) (~2 min)
#
# Prints a markdown table on stdout (progress on stderr) and writes bench/results/http-<timestamp>/ (git-ignored).
# Service logs: .local/logs/system-tests/<run id>/. Leaves ./run.sh's ports (5101-5103) alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PROJECT="$ROOT/bench/Campaign.Http.Bench/Campaign.Http.Bench.csproj"
BASELINE="$ROOT/bench/Campaign.Http.Baseline/Campaign.Http.Baseline.csproj"
DLL="$ROOT/bench/Campaign.Http.Bench/bin/Release/net10.0/Campaign.Http.Bench.dll"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

deploy/local/infra up >&2
echo "[bench] building (Release; the services too)" >&2
dotnet build "$PROJECT" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$BASELINE" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$DLL" "$@"
