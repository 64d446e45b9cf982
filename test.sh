#!/usr/bin/env bash
# Builds the solution and runs every test against real PostgreSQL, RabbitMQ and SMTP servers started by
# deploy/local/infra (left running afterwards for fast reruns; CAMPAIGN_INFRA_STOP=1 stops them).
#
#   ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Outbox]
#
# The last line of output is always "N passed, N failed". Exit code 0 only when tests ran and none
# failed, and no test host crashed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=deploy/local/config.sh
. deploy/local/config.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
RESULTS_DIR="$CAMPAIGN_LOCAL_DIR/test-results"
BUILD_LOG="$CAMPAIGN_LOG_DIR/build.log"
TEST_LOG="$CAMPAIGN_LOG_DIR/test.log"

summary() { echo "$1 passed, $2 failed"; }
fail_before_tests() { echo "$1" >&2; summary 0 1; exit 1; }

# One run per checkout at a time: runs share the results folder, the log and the servers that the
# Faults tests stop. (Children get `8>&-` so that no server or build daemon keeps the lock.)
mkdir -p "$CAMPAIGN_LOCAL_DIR"
exec 8>"$CAMPAIGN_LOCAL_DIR/test.lock"
if ! flock -n 8; then
    echo "test.sh: another ./test.sh is running in this checkout; waiting for it to finish..."
    flock 8
fi

if [[ ${CAMPAIGN_INFRA_STOP:-} == 1 ]]; then
    trap 'deploy/local/infra down 8>&- || true' EXIT
fi

started=$SECONDS
deploy/local/infra up 8>&- || fail_before_tests "test.sh: local infrastructure failed to start (see above)"
campaign_export_infra_env
mkdir -p "$CAMPAIGN_LOG_DIR"

if ! dotnet tool restore >"$CAMPAIGN_LOG_DIR/tool-restore.log" 2>&1 8>&-; then
    cat "$CAMPAIGN_LOG_DIR/tool-restore.log" >&2
    fail_before_tests "test.sh: dotnet tool restore failed"
fi

echo "building Campaign.sln (Release; log: $BUILD_LOG)"
build_started=$SECONDS
if ! dotnet build Campaign.sln -c Release -nologo -v quiet -clp:NoSummary >"$BUILD_LOG" 2>&1 8>&-; then
    # MSBuild prints each error as "file(line,col): error CODE: message [project]".
    grep -E ': error ' "$BUILD_LOG" | sort -u >&2 || tail -40 "$BUILD_LOG" >&2
    fail_before_tests "test.sh: build failed"
fi
echo "built in $((SECONDS - build_started)) s"

# samples/ stands outside the solution, as a subscribing team's repository would: it takes Campaign.Contracts as a package
# from .local/packages. Packed fresh each run; the cached copy of the same version is dropped so the restore takes this one.
echo "packing Campaign.Contracts and building samples/ (log: $CAMPAIGN_LOG_DIR/samples-build.log)"
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/campaign.contracts"
if ! { dotnet pack shared/Campaign.Contracts -c Release --no-build -o "$CAMPAIGN_LOCAL_DIR/packages" -nologo -v quiet &&
    dotnet build samples/Subscriber.Tests -c Release -nologo -v quiet -clp:NoSummary; } >"$CAMPAIGN_LOG_DIR/samples-build.log" 2>&1 8>&-; then
    grep -E ': error ' "$CAMPAIGN_LOG_DIR/samples-build.log" | sort -u >&2 || tail -40 "$CAMPAIGN_LOG_DIR/samples-build.log" >&2
    fail_before_tests "test.sh: packing the contracts or building samples/ failed"
fi

# The Kubernetes manifests' offline validator (tools/k8s-validate: the API schemas as an npm package), installed from the
# lock file; the tests render every overlay with kubectl kustomize and check it with it.
echo "installing tools/k8s-validate (npm ci; log: $CAMPAIGN_LOG_DIR/k8s-validate-install.log)"
if ! npm ci --prefix tools/k8s-validate --no-audit --no-fund >"$CAMPAIGN_LOG_DIR/k8s-validate-install.log" 2>&1 8>&-; then
    tail -20 "$CAMPAIGN_LOG_DIR/k8s-validate-install.log" >&2
    fail_before_tests "test.sh: npm ci in tools/k8s-validate failed"
fi

rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"
: >"$TEST_LOG"

# Extra arguments go to dotnet test. A --filter is combined with each phase's own filter; arguments
# after "--" (RunSettings) are kept and the faults phase adds its own.
user_filter="" passthrough=() runsettings=()
while (($#)); do
    case $1 in
        --filter) user_filter="${2:?--filter needs an expression}"; shift 2 ;;
        --filter=*) user_filter="${1#--filter=}"; shift ;;
        --) shift; runsettings=("$@"); break ;;
        *) passthrough+=("$1"); shift ;;
    esac
done

# run_phase NAME FILTER TARGET [dotnet test options...] [-- RunSettings...]: appends to the log and the trx files.
test_rc=0
run_phase() {
    local name="$1" filter="$2" target="$3" rc
    shift 3
    [[ -z $user_filter ]] || filter="($user_filter)&($filter)"
    echo "=== tests: $name ($filter) ===" | tee -a "$TEST_LOG"
    set +e
    # One trx file per test assembly and phase (the default names never collide). A test that hangs
    # for CAMPAIGN_TEST_HANG_TIMEOUT gets its test host killed: the run fails instead of blocking CI.
    dotnet test "$target" -c Release --no-build \
        --logger "console;verbosity=normal" \
        --logger trx \
        --results-directory "$RESULTS_DIR" \
        --blame-hang-timeout "${CAMPAIGN_TEST_HANG_TIMEOUT:-15m}" --blame-hang-dump-type none \
        --filter "$filter" \
        "${passthrough[@]}" "$@" 2>&1 8>&- | tee -a "$TEST_LOG"
    rc=${PIPESTATUS[0]}
    set -e
    ((rc == 0)) || test_rc=$rc
}

# Most tests run with the assemblies in parallel. Tests marked [Trait("Category", "Faults")] stop or
# restart the shared servers (deploy/local/infra rabbitmq stop, ...): they run afterwards, one
# assembly and one test collection at a time, so that no other test sees their outage. (The cluster failover test, also
# marked "Cluster", starts a three-node RabbitMQ cluster of its own beside them and restarts PostgreSQL.)
run_phase main "Category!=Faults&Category!=Cluster" Campaign.sln ${runsettings[@]+-- "${runsettings[@]}"}
run_phase samples "Category!=Faults" samples/Subscriber.Tests/Subscriber.Tests.csproj ${runsettings[@]+-- "${runsettings[@]}"}
run_phase faults "Category=Faults" Campaign.sln -m:1 -- "${runsettings[@]}" \
    xUnit.ParallelizeTestCollections=false RunConfiguration.DisableParallelization=true

# Sum the <Counters> of every test assembly's trx file: more reliable than the console output.
attr() { sed -n "s/.* $1=\"\([^\"]*\)\".*/\1/p" <<<"$2"; }
passed=0 failed=0 crashed=0
shopt -s nullglob
for trx in "$RESULTS_DIR"/*.trx; do
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
    passed=$((passed + $(attr passed "$counters" || true) + 0))
    file_failed=0
    for kind in failed error timeout aborted; do
        file_failed=$((file_failed + $(attr "$kind" "$counters" || true) + 0))
    done
    failed=$((failed + file_failed))
    # A crashed or aborted test host leaves outcome="Failed" with nothing counted as failed.
    outcome="$(grep -o '<ResultSummary outcome="[A-Za-z]*"' "$trx" | head -1 | sed 's/.*="\(.*\)"/\1/')"
    [[ $outcome == Completed || $file_failed -gt 0 ]] || crashed=1
done
if grep -qE 'Test host process crashed|The active test run was aborted|Test Run Aborted' "$TEST_LOG"; then
    crashed=1
fi

# Name each failed test with the start of its message, just above the summary, so that a CI log that
# keeps only its last lines still says what failed.
if ((failed > 0)); then
    perl -0777 -ne '
        # A result with no output is a self-closing element.
        while (/<UnitTestResult\b([^>]*?)(?:\/>|>(.*?)<\/UnitTestResult>)/sg) {
            my ($attributes, $body) = ($1, $2 // "");
            next unless $attributes =~ /outcome="Failed"/;
            my ($name) = $attributes =~ /testName="([^"]*)"/;
            my ($message) = $body =~ /<Message>(.*?)<\/Message>/s;
            for ($name, $message) {
                next unless defined;
                s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/\x27/g; s/&#xD;//g; s/&#xA;/\n/g; s/&amp;/&/g;
            }
            my @lines = grep { /\S/ } split /\n/, ($message // "(no message)");
            my $more = @lines > 12 ? "\n    ..." : "";
            print "FAILED $name\n    ", join("\n    ", @lines[0 .. ($#lines < 11 ? $#lines : 11)]), "$more\n";
        }' "$RESULTS_DIR"/*.trx || true
fi

status=0
if ((crashed)); then
    echo "test.sh: a test host crashed, hung or was aborted (see $TEST_LOG); counted as one failure"
    failed=$((failed + 1))
fi
if ((test_rc != 0 && failed == 0)); then
    echo "test.sh: dotnet test exited with $test_rc although no test failed (see $TEST_LOG); counted as one failure"
    failed=$((failed + 1))
fi
if ((passed + failed == 0)); then
    echo "test.sh: no tests ran"
    status=1
fi
((failed == 0)) || status=1
echo "test results: $RESULTS_DIR, log: $TEST_LOG ($((SECONDS - started)) s)"
summary "$passed" "$failed"
exit "$status"
