#!/usr/bin/env bash
# Runs Campaign on this machine: the private servers (deploy/local/infra), then the three services,
# each one's output prefixed with its name. Ctrl+C stops the services it started (and nothing else);
# the servers keep running for the next run: `deploy/local/infra down` stops them.
#
#   ./run.sh [--no-build] [--demo]
#     --no-build  use the existing Release build
#     --demo      once all are ready, run deploy/local/demo.sh (if present) against the running services
#   CAMPAIGN_INSTANCES=2 ./run.sh        2 instances of each service (the second on its port + 100, and so on)
#   CAMPAIGN_RABBITMQ_NODES=3 ./run.sh   the services on a local 3-node RabbitMQ cluster (deploy/local/infra cluster up)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=deploy/local/config.sh
. deploy/local/config.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
READY_TIMEOUT=90
DEMO_SCRIPT=deploy/local/demo.sh
DEMO_CALL_DEADLINE_SECONDS=30 # with --demo, VolunteerCoordinator's ThankYouCalls:CallDeadline (default 3 days)

# label  project (services/<project>/<project>.csproj)  port
SERVICES=(
    "finance CampaignFinance $CAMPAIGN_FINANCE_PORT"
    "volunteers VolunteerCoordinator $CAMPAIGN_VOLUNTEERS_PORT"
    "communications Communications $CAMPAIGN_COMMUNICATIONS_PORT"
    "operations Operations $CAMPAIGN_OPERATIONS_PORT"
)
INSTANCES="${CAMPAIGN_INSTANCES:-1}"
NODES="${CAMPAIGN_RABBITMQ_NODES:-1}"
[[ $INSTANCES =~ ^[1-9]$ && $NODES =~ ^[1-9]$ ]] || { echo "[run] error: CAMPAIGN_INSTANCES and CAMPAIGN_RABBITMQ_NODES take 1 to 9" >&2; exit 1; }
# Each service's own broker user (infra.env): CAMPAIGN_FINANCE_RABBITMQ, CAMPAIGN_VOLUNTEERS_RABBITMQ, ...; on a cluster,
# the same user at the cluster's first node (Messaging__BrokerNodes lists them all).
broker_uri() {
    local key="CAMPAIGN_${1^^}_RABBITMQ" uri first="${CAMPAIGN_RABBITMQ_CLUSTER_NODES%%,*}"
    uri="${!key}"
    ((NODES == 1)) || uri="${uri/:$CAMPAIGN_RABBITMQ_TLS_PORT\//:${first##*:}/}"
    printf '%s' "$uri"
}

say() { printf '[run] %s\n' "$*"; }
die() { printf '[run] error: %s\n' "$*" >&2; exit 1; }

build=1 demo=0
for arg in "$@"; do
    case $arg in
        --no-build) build=0 ;;
        --demo) demo=1 ;;
        -h | --help) sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $arg (see ./run.sh --help)" ;;
    esac
done

deploy/local/infra up
((NODES == 1)) || CAMPAIGN_RABBITMQ_NODES="$NODES" deploy/local/infra cluster up
campaign_export_infra_env
mkdir -p "$CAMPAIGN_LOG_DIR"

if ((build)); then
    say "building Campaign.sln (Release; log: $CAMPAIGN_LOG_DIR/run-build.log)"
    if ! dotnet build Campaign.sln -c Release -nologo -v quiet -clp:NoSummary >"$CAMPAIGN_LOG_DIR/run-build.log" 2>&1; then
        grep -E ': error ' "$CAMPAIGN_LOG_DIR/run-build.log" | sort -u >&2 || tail -40 "$CAMPAIGN_LOG_DIR/run-build.log" >&2
        die "build failed"
    fi
fi

# ---------------------------------------------------------------------------------------------------
# Each service runs in its own session (setsid), so that Ctrl+C reaches only this script, which then
# stops each service's whole process group with SIGTERM (graceful ASP.NET Core shutdown).
declare -A PGID=()   # label -> process group id (== pid of the service's dotnet process)
declare -A REPORTED=()
STOPPING=0

stop_services() {
    ((STOPPING)) && return 0
    STOPPING=1
    local label pgid deadline
    ((${#PGID[@]})) && say "stopping the services..."
    for label in "${!PGID[@]}"; do kill -TERM -- "-${PGID[$label]}" 2>/dev/null || true; done
    deadline=$((SECONDS + 20))
    for label in "${!PGID[@]}"; do
        pgid="${PGID[$label]}"
        while kill -0 -- "-$pgid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        if kill -0 -- "-$pgid" 2>/dev/null; then
            say "$label did not stop in time; killing it"
            kill -KILL -- "-$pgid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true   # the output prefixers end once their service has
    say "services stopped. The servers are still running (fast next start); stop them with: deploy/local/infra down"
}
trap 'stop_services; exit 130' INT
trap 'stop_services; exit 143' TERM
trap 'stop_services' EXIT

# The prefixers ignore Ctrl+C (it reaches this script's whole process group) so that they outlive it
# and still show the services' shutdown messages; they end when their service's output does.
prefix_output() {
    trap '' INT
    tee "$CAMPAIGN_LOG_DIR/$1.log" | sed -u "s/^/[$1] /"
}

start_service() {
    local label="$1" project="$2" port="$3" dll pidfile
    dll="$(compgen -G "services/$project/bin/Release/net*/$project.dll" | head -1 || true)"
    [[ -n $dll ]] || die "services/$project is not built (run without --no-build)"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port for $label is already in use (another ./run.sh?). Stop it, or set CAMPAIGN_${label^^}_PORT."
    fi
    pidfile="$CAMPAIGN_LOCAL_DIR/run-$label.pid"
    rm -f "$pidfile"
    # Each service starts with its own settings only (env -i): not the other services' database and broker logins, the
    # administrator's, or the operators' client secret that this shell holds.
    local settings=(PATH="$PATH" HOME="$HOME" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
        ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Development
        Auth__Authority="$Auth__Authority" Auth__RequireHttpsMetadata="$Auth__RequireHttpsMetadata" Tls__TrustedCaFile="$Tls__TrustedCaFile")
    if [[ $label == operations* ]]; then
        # The operators' page: the three services' addresses, its client at the issuer, the broker's monitoring user.
        settings+=(Operations__ClientSecret="$CAMPAIGN_OPERATIONS_PAGE_SECRET"
            Operations__Services__CampaignFinance="$CAMPAIGN_FINANCE_URL" Operations__Services__VolunteerCoordinator="$CAMPAIGN_VOLUNTEERS_URL"
            Operations__Services__Communications="$CAMPAIGN_COMMUNICATIONS_URL"
            Operations__RabbitMq__ManagementUrl="$( ((NODES == 1)) && echo "$CAMPAIGN_RABBITMQ_MANAGEMENT_URL" || echo "$CAMPAIGN_RABBITMQ_CLUSTER_MANAGEMENT_URL")"
            Operations__RabbitMq__User=operations
            Operations__RabbitMq__Password="$CAMPAIGN_OPERATIONS_RABBITMQ_PASSWORD" Operations__RabbitMq__VirtualHost="$CAMPAIGN_RABBITMQ_VHOST"
            ConnectionStrings__RabbitMq="$(broker_uri operations)")
    else
        local own="ConnectionStrings__$project"
        settings+=(Database__ApplyMigrations=true "$own=${!own}" ConnectionStrings__RabbitMq="$(broker_uri "${label%%-*}")")
    fi
    [[ -z ${DOTNET_ROOT:-} ]] || settings+=(DOTNET_ROOT="$DOTNET_ROOT")
    ((NODES == 1)) || settings+=(Messaging__BrokerNodes="$CAMPAIGN_RABBITMQ_CLUSTER_NODES")
    # Traces, metrics and logs go to the local dashboard (deploy/local/infra starts it), or to a collector of your own.
    settings+=(OTEL_EXPORTER_OTLP_ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-$CAMPAIGN_DASHBOARD_OTLP}")
    # shellcheck disable=SC2153  # CAMPAIGN_SMTP_HOST comes from infra.env (campaign_export_infra_env)
    [[ $label == communications* ]] && settings+=(Smtp__Host="$CAMPAIGN_SMTP_HOST" Smtp__Port="$CAMPAIGN_SMTP_PORT")
    # The demo shows a thank-you call going overdue: seconds instead of the 3 days a campaign gives its phone-bankers.
    ((demo)) && [[ $label == volunteers* ]] && settings+=(ThankYouCalls__CallDeadline="00:00:$DEMO_CALL_DEADLINE_SECONDS")
    # The inner bash records its pid (== the new process group) and runs the service from its output
    # folder, so the content root (appsettings*.json) is the built one.
    # shellcheck disable=SC2016  # expanded by the inner bash
    env -i "${settings[@]}" setsid bash -c 'echo $$ >"$1"; cd "$(dirname "$2")" && exec dotnet "$(basename "$2")"' _ "$pidfile" "$dll" \
        </dev/null 2>&1 | prefix_output "$label" &
    local deadline=$((SECONDS + 10))
    until [[ -s $pidfile ]]; do
        ((SECONDS < deadline)) || die "$label did not start"
        sleep 0.05
    done
    PGID[$label]="$(cat "$pidfile")"
}

# HTTP status of GET http://127.0.0.1:PORT/PATH, without curl (a fresh machine may not have it).
http_status() {
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
        IFS=" " read -r _ status _ <&3 && echo "$status"' _ "$1" "$2" 2>/dev/null || true
}

alive() { kill -0 -- "-${PGID[$1]}" 2>/dev/null; }

wait_ready() {
    local label="$1" port="$2" deadline=$((SECONDS + READY_TIMEOUT))
    while [[ $(http_status "$port" /health/ready) != 200 ]]; do
        if ! alive "$label"; then
            say "$label exited during start-up; last lines of $CAMPAIGN_LOG_DIR/$label.log:"
            tail -30 "$CAMPAIGN_LOG_DIR/$label.log" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            local status
            status="$(http_status "$port" /health/ready)"
            say "$label is not ready after ${READY_TIMEOUT}s (GET /health/ready: ${status:-no answer}); last lines of $CAMPAIGN_LOG_DIR/$label.log:"
            tail -30 "$CAMPAIGN_LOG_DIR/$label.log" >&2
            return 1
        fi
        sleep 0.5
    done
}

# With CAMPAIGN_INSTANCES=N, each service N times (finance, finance-2, ...: ports + 100 each); they compete on their
# queues and their outbox. The operators' page is one.
STARTED=()
for entry in "${SERVICES[@]}"; do
    read -r label project port <<<"$entry"
    count=$INSTANCES
    [[ $label != operations ]] || count=1
    for ((i = 1; i <= count; i++)); do
        name="$label$( ((i == 1)) || echo "-$i")"
        start_service "$name" "$project" $((port + 100 * (i - 1)))
        STARTED+=("$name $((port + 100 * (i - 1)))")
    done
done
for entry in "${STARTED[@]}"; do
    read -r name port <<<"$entry"
    wait_ready "$name" "$port" || exit 1
done

cat <<INFO

Campaign is running. Ctrl+C stops the three services and the operators' page.
  finance         $CAMPAIGN_FINANCE_URL   OpenAPI $CAMPAIGN_FINANCE_URL/openapi/v1.json   UI $CAMPAIGN_FINANCE_URL/scalar
  volunteers      $CAMPAIGN_VOLUNTEERS_URL   OpenAPI $CAMPAIGN_VOLUNTEERS_URL/openapi/v1.json   UI $CAMPAIGN_VOLUNTEERS_URL/scalar
  communications  $CAMPAIGN_COMMUNICATIONS_URL   OpenAPI $CAMPAIGN_COMMUNICATIONS_URL/openapi/v1.json   UI $CAMPAIGN_COMMUNICATIONS_URL/scalar
  Operations      $CAMPAIGN_OPERATIONS_URL (outboxes, parked units of work, queues, error queues; sign in as
                  "operator", password: CAMPAIGN_OPERATOR_PASSWORD in $CAMPAIGN_CREDENTIALS_FILE)
  Telemetry       $CAMPAIGN_DASHBOARD_URL (the .NET Aspire dashboard: traces, metrics and logs of the three services)
  Sign-in         $CAMPAIGN_ISSUER_URL (local token issuer)   a token: tools/token --scope "finance.read"
                  curl -H "Authorization: Bearer \$(tools/token --scope finance.read)" $CAMPAIGN_FINANCE_URL/donors
  RabbitMQ        $CAMPAIGN_RABBITMQ_MANAGEMENT_URL   user $CAMPAIGN_RABBITMQ_USER, password: CAMPAIGN_RABBITMQ_PASSWORD in $CAMPAIGN_CREDENTIALS_FILE
  Mail sent       $CAMPAIGN_MAIL_DIR/new (Maildir: one file per message)
  Logs            $CAMPAIGN_LOG_DIR/{finance,volunteers,communications,operations}.log
INFO

# ---- demo hook --------------------------------------------------------------------------------------
# deploy/local/demo.sh (written separately) drives the running services; it gets the infra.env
# variables (CAMPAIGN_*_URL, CAMPAIGN_MAIL_DIR, ...) in its environment.
if ((demo)); then
    if [[ -f $DEMO_SCRIPT ]]; then
        say "running $DEMO_SCRIPT"
        CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS="$DEMO_CALL_DEADLINE_SECONDS" bash "$DEMO_SCRIPT" || say "$DEMO_SCRIPT failed (exit $?); the services keep running"
    else
        say "--demo: $DEMO_SCRIPT does not exist yet; nothing to run"
    fi
fi
# ------------------------------------------------------------------------------------------------------

# Keep running until Ctrl+C; report a service that stops by itself.
while true; do
    for label in "${!PGID[@]}"; do
        if [[ -z ${REPORTED[$label]:-} ]] && ! alive "$label"; then
            REPORTED[$label]=1
            say "$label has stopped (log: $CAMPAIGN_LOG_DIR/$label.log)"
        fi
    done
    ((${#REPORTED[@]} < ${#PGID[@]})) || { say "all services have stopped"; exit 1; }
    sleep 1
done
