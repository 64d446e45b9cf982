# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# The one place for local ports, names and paths. Sourced by deploy/local/infra, test.sh and run.sh.
# Every value can be overridden from the environment, e.g. CAMPAIGN_PG_PORT=56432 ./test.sh,
# so two clones (or CI next to a developer's stack) can run side by side.

CAMPAIGN_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

: "${CAMPAIGN_PG_PORT:=55432}"
# The durable cluster (bench/run.sh --durable) only; never started by up.
: "${CAMPAIGN_PG_DURABLE_PORT:=55442}"
: "${CAMPAIGN_RABBITMQ_PORT:=55672}"
: "${CAMPAIGN_RABBITMQ_MANAGEMENT_PORT:=55673}"
# AMQP over TLS: what the services use (the plain port above is for the operators' tools on loopback).
: "${CAMPAIGN_RABBITMQ_TLS_PORT:=55671}"
# Erlang distribution: the default (AMQP port + 20000) is not a valid port for 55672.
: "${CAMPAIGN_RABBITMQ_DIST_PORT:=55674}"
: "${CAMPAIGN_EPMD_PORT:=55675}"
: "${CAMPAIGN_SMTP_PORT:=55025}"
# A local RabbitMQ cluster (deploy/local/infra cluster up): its epmd here, node N on this + 10 N (AMQP), + 1 (AMQPS),
# + 2 (management), + 3 (Erlang distribution).
: "${CAMPAIGN_RABBITMQ_CLUSTER_PORT:=55700}"
# The token issuer sits below the ephemeral port range (32768 and up), where an outgoing connection could hold its port.
: "${CAMPAIGN_ISSUER_PORT:=5100}"
: "${CAMPAIGN_DASHBOARD_PORT:=5110}"
# Where the dashboard receives OpenTelemetry (OTLP over gRPC): the services export there when run.sh starts them.
: "${CAMPAIGN_DASHBOARD_OTLP_PORT:=5111}"
: "${CAMPAIGN_FINANCE_PORT:=5101}"
: "${CAMPAIGN_VOLUNTEERS_PORT:=5102}"
: "${CAMPAIGN_COMMUNICATIONS_PORT:=5103}"
# The operators' page (services/Operations).
: "${CAMPAIGN_OPERATIONS_PORT:=5104}"

# Everything generated at run time (data, logs, credentials) lives here; .local/ is git-ignored.
: "${CAMPAIGN_LOCAL_DIR:=$CAMPAIGN_REPO_ROOT/.local}"

# Names: changing these after the first `infra up` needs `infra reset`.
: "${CAMPAIGN_RABBITMQ_USER:=campaign}"
: "${CAMPAIGN_RABBITMQ_VHOST:=campaign}"
: "${CAMPAIGN_RABBITMQ_NODENAME:=campaign@localhost}"
: "${CAMPAIGN_PG_ADMIN_USER:=campaign_admin}"

# Service role == service database name, so a role owns exactly one database.
CAMPAIGN_FINANCE_DB=campaign_finance
CAMPAIGN_VOLUNTEERS_DB=volunteer_coordinator
CAMPAIGN_COMMUNICATIONS_DB=communications

CAMPAIGN_PG_BIN=/usr/lib/postgresql/15/bin
# The .NET Aspire dashboard, from NuGet (tools/Campaign.Dashboard fetches it): traces, metrics and logs on one page.
CAMPAIGN_DASHBOARD_VERSION=13.6.5
CAMPAIGN_CREDENTIALS_FILE="$CAMPAIGN_LOCAL_DIR/credentials.env"
CAMPAIGN_INFRA_ENV_FILE="$CAMPAIGN_LOCAL_DIR/infra.env"
CAMPAIGN_LOG_DIR="$CAMPAIGN_LOCAL_DIR/logs"

# Exports every KEY=VALUE line of .local/infra.env (written by `deploy/local/infra up`).
# Not `set -a; . infra.env`: connection strings contain ';', which the shell would treat as a command
# separator. Safe to export: the file holds no HOME or RABBITMQ_* variables.
campaign_export_infra_env() {
    local line
    [[ -f $CAMPAIGN_INFRA_ENV_FILE ]] || { echo "missing $CAMPAIGN_INFRA_ENV_FILE: run deploy/local/infra up" >&2; return 1; }
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || continue
        export "${line%%=*}=${line#*=}"
    done <"$CAMPAIGN_INFRA_ENV_FILE"
}
