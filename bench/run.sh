#!/usr/bin/env bash
# Campaign.Outbox benchmarks (scenarios of docs/how-we-measure.md): one command.
#
#   bench/run.sh            quick mode: S1/S3 with 20,000 events, S2 10 s per run, write path; 3 interleaved repetitions (~6-8 min)
#   bench/run.sh --full     the issue's figures: S1/S3 with 100,000 events, S2 20 s per run
#   bench/run.sh --durable  on a second private PostgreSQL with production durability (fsync, synchronous_commit and
#                           full_page_writes on): the write path at 1/16/64 writers and the relay's wake-up
#   bench/run.sh --help     every option (--events, --reps, --only, --s2-seconds, ...)
#
# Starts the private PostgreSQL and RabbitMQ (deploy/local/infra up), builds the benchmark in Release, runs it, writes
# results.json and results.md to bench/results/<timestamp>/ (git-ignored) and prints the markdown tables on stdout.
# Progress goes to stderr. Every configuration run uses its own throwaway database and its own queue and exchanges.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PROJECT="$ROOT/bench/Campaign.Outbox.Bench/Campaign.Outbox.Bench.csproj"
DLL="$ROOT/bench/Campaign.Outbox.Bench/bin/Release/net10.0/Campaign.Outbox.Bench.dll"
cd "$ROOT"

for arg in "$@"; do
    if [[ $arg == "-h" || $arg == "--help" ]]; then
        dotnet build "$PROJECT" -c Release --nologo -v quiet >&2
        exec dotnet "$DLL" --help
    fi
done

deploy/local/infra up >&2
for arg in "$@"; do
    if [[ $arg == "--durable" ]]; then
        deploy/local/infra postgres-durable start >&2
        # Same roles and passwords, the durable cluster's port: every database the benchmark creates lives there.
        . deploy/local/config.sh
        campaign_export_infra_env
        export CAMPAIGN_PG_ADMIN="${CAMPAIGN_PG_ADMIN/Port=$CAMPAIGN_PG_PORT;/Port=$CAMPAIGN_PG_DURABLE_PORT;}"
    fi
done
echo "[bench] building (Release)" >&2
dotnet build "$PROJECT" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
# The peer (Wolverine's durable EF Core outbox, in S2 beside ours) is a program of its own: its packages and ours don't mix.
dotnet build "$ROOT/bench/Campaign.Outbox.Bench.Wolverine/Campaign.Outbox.Bench.Wolverine.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$DLL" "$@"
