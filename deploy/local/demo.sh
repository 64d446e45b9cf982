#!/usr/bin/env bash
# A short tour of Campaign against the running services (./run.sh --demo runs it once they are ready):
# two volunteers sign up (one phone-banker), two donors register, three contributions come in (one donor gives
# twice); then it shows the thank-you calls and the mail that followed, and says what happened. Maria makes Jordan's call;
# nobody makes Alex's, which goes overdue (with ./run.sh --demo's short deadline) and is replaced by a letter. Each caller signs in with
# the local issuer as itself, with only its own scopes: the website (sign-ups), the payment processor (donors and
# contributions) and an operator (reading calls and mail).
#
#   deploy/local/demo.sh     (needs the services running: ./run.sh in another terminal)
#
# URLs come from the environment (run.sh exports .local/infra.env), else from .local/infra.env, else the default ports.
# Every run uses its own addresses (…+<run>@example.org), so it can be repeated. Needs curl and jq.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=deploy/local/config.sh
. deploy/local/config.sh
if [[ -z ${CAMPAIGN_FINANCE_URL:-} && -f $CAMPAIGN_INFRA_ENV_FILE ]]; then
    campaign_export_infra_env
fi
FINANCE="${CAMPAIGN_FINANCE_URL:-http://127.0.0.1:$CAMPAIGN_FINANCE_PORT}"
VOLUNTEERS="${CAMPAIGN_VOLUNTEERS_URL:-http://127.0.0.1:$CAMPAIGN_VOLUNTEERS_PORT}"
COMMUNICATIONS="${CAMPAIGN_COMMUNICATIONS_URL:-http://127.0.0.1:$CAMPAIGN_COMMUNICATIONS_PORT}"
WAIT_SECONDS=90

say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] error: %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
if ! command -v jq >/dev/null; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing jq"
        apt-get install -y -qq jq >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq jq >/dev/null 2>&1; } ||
            die "could not install jq"
    else
        die "jq is missing (sudo apt-get install jq)"
    fi
fi

# Tokens from the local issuer (tools/token): each caller gets only what it needs.
token() { tools/token "$@" || die "no token from the local issuer (is it up? deploy/local/infra status)"; }
WEBSITE="$(token --client campaign-website)"
PAYMENTS="$(token --client payment-processor)"
OPERATOR="$(token --subject demo-operator --scope "volunteers.read communications.read")"
AUDITOR="$(token --subject demo-data-protection-officer --scope audit.read)"
CALLER=""

# api METHOD URL [JSON] [extra curl args...]: as $CALLER, prints the body; fails with the status and body unless 2xx.
api() {
    local method="$1" url="$2" body="${3:-}" out status
    shift $(($# < 3 ? $# : 3))
    out="$(mktemp)"
    status="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' -H "Authorization: Bearer $CALLER" \
        ${body:+--data "$body"} "$@" "$url")" || { rm -f "$out"; die "$method $url: no answer (are the services running? ./run.sh)"; }
    if [[ $status != 2* ]]; then
        cat "$out" >&2; echo >&2; rm -f "$out"
        die "$method $url answered $status"
    fi
    cat "$out"; rm -f "$out"
}

for url in "$FINANCE" "$VOLUNTEERS" "$COMMUNICATIONS"; do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/health/ready") == 200 ]] || die "$url is not ready (start the services: ./run.sh)"
done

run="$(date +%H%M%S)$((RANDOM % 90 + 10))"
today="$(date -u +%F)"
email() { echo "$1+$run@example.org"; }

# ---- 1. volunteers ------------------------------------------------------------------------------------
say "signing up two volunteers (as the campaign website)"
CALLER="$WEBSITE"
maria="$(api POST "$VOLUNTEERS/volunteers" "$(jq -nc --arg e "$(email maria.lopez)" \
    '{name: "Maria Lopez", email: $e, phone: "+1 202 555 0142", skills: ["phone-banking"], availability: ["weekday-evenings"]}')" | jq -r .id)"
sam="$(api POST "$VOLUNTEERS/volunteers" "$(jq -nc --arg e "$(email sam.chen)" \
    '{name: "Sam Chen", email: $e, skills: ["canvassing", "driving"], availability: ["weekend-mornings"]}')" | jq -r .id)"
printf '  %-12s %-36s %s\n' "Maria Lopez" "$maria" "phone-banking" "Sam Chen" "$sam" "canvassing, driving"

# ---- 2. donors ----------------------------------------------------------------------------------------
say "registering two donors (as the payment processor)"
CALLER="$PAYMENTS"
alex="$(api POST "$FINANCE/donors" "$(jq -nc --arg e "$(email alex.rivera)" '{name: "Alex Rivera", email: $e}')" | jq -r .id)"
jordan="$(api POST "$FINANCE/donors" "$(jq -nc --arg e "$(email jordan.lee)" '{name: "Jordan Lee", email: $e}')" | jq -r .id)"
printf '  %-12s %s\n' "Alex Rivera" "$alex" "Jordan Lee" "$jordan"

# ---- 3. contributions -----------------------------------------------------------------------------------
contribute() { # donor-id amount: prints the contribution's id
    api POST "$FINANCE/donors/$1/contributions" \
        "$(jq -nc --argjson a "$2" --arg d "$today" '{amount: $a, currency: "USD", receivedOn: $d, method: "card"}')" \
        -H "Idempotency-Key: demo-$run-$1-$2" | jq -r .id
}
say "recording contributions"
contribute "$alex" 250 >/dev/null && echo "  Alex Rivera   \$250.00  (first gift)"
contribute "$jordan" 50 >/dev/null && echo "  Jordan Lee    \$50.00   (first gift)"
alex_second="$(contribute "$alex" 100)" && echo "  Alex Rivera   \$100.00  (second gift)"

# ---- 4. what followed -----------------------------------------------------------------------------------
# The thank-you calls of our two donors. The list is oldest first and shared with earlier runs: ours are at the end.
our_calls() {
    local total last
    total="$(api GET "$VOLUNTEERS/thank-you-calls?pageSize=1" | jq .totalCount)"
    last=$(((total + 99) / 100)); ((last >= 1)) || last=1
    # An if, not `((last > 1)) && ...`: as the group's last command that returns 1 on a single page, and with pipefail the
    # whole demo failed on every fresh database.
    { api GET "$VOLUNTEERS/thank-you-calls?pageSize=100&page=$last"
      if ((last > 1)); then api GET "$VOLUNTEERS/thank-you-calls?pageSize=100&page=$((last - 1))"; fi; } |
        jq -s --arg a "$alex" --arg j "$jordan" '[.[].items[] | select(.donorId == $a or .donorId == $j)]'
}
# Our four mail addresses' messages, sent or not (searched by a POST body: addresses stay out of URLs).
our_messages() {
    local who
    for who in maria.lopez sam.chen alex.rivera jordan.lee; do
        api POST "$COMMUNICATIONS/messages/search" "$(jq -nc --arg e "$(email $who)" '{recipient: $e, pageSize: 100}')"
    done | jq -s '[.[].items[]]'
}

say "waiting for the thank-you calls and the mail (up to ${WAIT_SECONDS}s; as an operator)"
CALLER="$OPERATOR"
deadline=$((SECONDS + WAIT_SECONDS))
incomplete=""
while true; do
    calls="$(our_calls)"
    messages="$(our_messages)"
    calls_n="$(jq length <<<"$calls")"
    sent_n="$(jq '[.[] | select(.status == "sent")] | length' <<<"$messages")"
    ((calls_n >= 2 && sent_n >= 4)) && break
    if ((SECONDS >= deadline)); then
        incomplete="after ${WAIT_SECONDS}s only $calls_n of 2 thank-you calls and $sent_n of 4 mails had followed (see .local/logs)"
        say "still waiting: $incomplete"
        break
    fi
    sleep 0.5
done

echo
echo "Thank-you calls (VolunteerCoordinator, GET /thank-you-calls):"
names='{}'
for id in $(jq -r '.[].volunteerId // empty' <<<"$calls" | sort -u); do
    names="$(jq -c --arg id "$id" --arg n "$(api GET "$VOLUNTEERS/volunteers/$id" | jq -r .name)" '. + {($id): $n}' <<<"$names")"
done
jq -r --argjson names "$names" '.[] | "  \(.donorName | .[0:14] | . + " " * (14 - length)) \(.status | . + " " * (9 - length)) "
    + (if .volunteerId then "caller: \($names[.volunteerId])" else "no phone-banker yet" end)' <<<"$calls"
echo
echo "Mail (Communications, GET /messages):"
jq -r '.[] | "  \(.kind | . + " " * (18 - length)) \(.status | . + " " * (8 - length)) \(.recipient)"' <<<"$messages"

mail_files=0
if [[ -n ${CAMPAIGN_MAIL_DIR:-} && -d $CAMPAIGN_MAIL_DIR ]]; then
    mail_files="$(grep -rlE "^To: .*\+$run@example\.org" "$CAMPAIGN_MAIL_DIR/new" "$CAMPAIGN_MAIL_DIR/cur" 2>/dev/null | wc -l || true)"
fi

thanks="$(jq '[.[] | select(.kind == "donor-thank-you")] | length' <<<"$messages")"
welcomes="$(jq '[.[] | select(.kind == "volunteer-welcome")] | length' <<<"$messages")"
alex_calls="$(jq --arg a "$alex" '[.[] | select(.donorId == $a)] | length' <<<"$calls")"
cat <<SUMMARY

What happened:
  - Maria and Sam signed up to volunteer. VolunteerCoordinator published VolunteerSignedUp for each, and
    Communications queued a welcome mail for each ($welcomes welcome mails).
  - Alex and Jordan registered as donors with CampaignFinance. Their first contributions each published DonorSecured
    (through CampaignFinance's outbox, in the same transaction as the contribution).
  - VolunteerCoordinator turned each DonorSecured into one thank-you call ($calls_n calls), each given to the phone-banker
    with the fewest calls in hand (ties: the earliest sign-up, so phone-bankers of earlier runs may come before Maria).
    Communications turned each into one thank-you mail ($thanks thank-you mails).
  - Alex's second contribution was recorded (ContributionReceived) but secured nobody new: still $alex_calls call for Alex, and no second mail.
  - $mail_files mails of this run reached the local mail server's Maildir (${CAMPAIGN_MAIL_DIR:-not set}/new).
SUMMARY

# ---- 5. a call made, a call overdue -----------------------------------------------------------------------
# Each secured donor's thank-you saga waits for the call until ThankYouCalls:CallDeadline (3 days; ./run.sh --demo starts
# VolunteerCoordinator with seconds): Maria makes Jordan's call, nobody makes Alex's, so Alex is thanked in writing instead.
jordan_call="$(jq -r --arg j "$jordan" '[.[] | select(.donorId == $j)][0].id // empty' <<<"$calls")"
echo
if [[ -n $jordan_call && $(jq -r --arg j "$jordan" '[.[] | select(.donorId == $j)][0].status' <<<"$calls") == assigned ]]; then
    CALLER="$(token --subject demo-phone-banker --scope calls.assign)"
    api POST "$VOLUNTEERS/thank-you-calls/$jordan_call/complete" '{"notes": "Jordan was glad to hear from us."}' >/dev/null
    echo "Jordan's caller made the thank-you call (POST /thank-you-calls/{id}/complete): ThankYouCallCompleted closed Jordan's saga."
fi
letters=0
CALLER="$OPERATOR"
if [[ -n ${CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS:-} ]]; then
    say "nobody makes Alex's call: waiting for its ${CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS}s deadline and the letter that replaces it"
    deadline=$((SECONDS + CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS + WAIT_SECONDS))
    while true; do
        messages="$(our_messages)"
        letters="$(jq '[.[] | select(.kind == "donor-thank-you-letter" and .status == "sent")] | length' <<<"$messages")"
        ((letters >= 1)) && break
        if ((SECONDS >= deadline)); then
            incomplete="${incomplete:+$incomplete; }no thank-you letter for Alex within $((CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS + WAIT_SECONDS))s"
            say "still waiting: no thank-you letter for Alex yet"
            break
        fi
        sleep 1
    done
    jq -r '.[] | select(.kind == "donor-thank-you-letter") | "  \(.kind | . + " " * (22 - length)) \(.status | . + " " * (8 - length)) \(.recipient)"' <<<"$messages"
    cat <<OVERDUE
  - Nobody made Alex's call within its deadline: the saga's scheduled deadline (waiting in VolunteerCoordinator's
    outbox, no broker plugin) published ThankYouCallOverdue, and Communications wrote to Alex instead ($letters thank-you letter).
    Jordan's deadline was cancelled with the call: no letter for Jordan.
OVERDUE
else
    echo "Alex's call is still open: its deadline is ThankYouCalls:CallDeadline (3 days). ./run.sh --demo uses 30 s to show the letter."
fi

# ---- 6. the finance desk ----------------------------------------------------------------------------------
echo
say "the finance desk: a partial refund, the ledger, and Form 8872 Schedule A for this period"
CALLER="$(token --subject demo-finance-desk --scope "finance.read finance.write finance.reports")"
api POST "$FINANCE/donors/$alex/contributions/$alex_second/refunds" \
    "$(jq -nc --arg d "$today" '{amount: 40, refundedOn: $d, reason: "Donor asked to give 60 instead of 100"}')" \
    -H "Idempotency-Key: demo-$run-refund" |
    jq -r '"  refund of $40.00 on Alex'"'"'s second gift: now \(.state), \(.refunded) refunded, \(.net) still counts (ContributionRefunded published)"'
echo "  Alex's ledger (GET /donors/{id}/contributions):"
api GET "$FINANCE/donors/$alex/contributions" |
    jq -r '.items[] | "    \(.receivedOn)  \(.amount | tostring | . + " " * (7 - length)) \(.state | . + " " * (19 - length)) net \(.net)"'
period="$(date -u +%Y)"
schedule="$(api GET "$FINANCE/reports/schedule-a?from=$period-01-01&to=$today")"
echo "  Schedule A, $period-01-01 to $today (GET /reports/schedule-a; a named period such as $period-year-end works too):"
jq -r --arg a "$alex" --arg j "$jordan" '.contributors[] | select(.donorId == $a or .donorId == $j) |
    "    \(.name): year to date \(.yearToDate), \(.contributions | length) contribution(s) itemized; missing: \(.missing | join(", "))"' <<<"$schedule"
echo "    (Jordan, \$50 this year, is under the \$200 itemization threshold: not listed.)"
echo "  The same as CSV (Accept: text/csv), first lines:"
curl -sS -H "Authorization: Bearer $CALLER" -H "Accept: text/csv" "$FINANCE/reports/schedule-a?from=$period-01-01&to=$today" |
    head -n 3 | sed 's/^/    /'

# ---- 7. the operators' page ---------------------------------------------------------------------------------
if [[ -n ${CAMPAIGN_OPERATIONS_URL:-} ]]; then
    echo
    say "the operators' page: $CAMPAIGN_OPERATIONS_URL (in a browser: sign in as operator, CAMPAIGN_OPERATOR_PASSWORD in .local/credentials.env)"
    CALLER="$(token --subject demo-operator --scope outbox.admin)"
    echo "  What it shows now (GET /api/overview, as the operator):"
    api GET "$CAMPAIGN_OPERATIONS_URL/api/overview" | jq -r '.services[] |
        (.outbox.outbox // {}) as $o |
        "    \(.name): outbox backlog \($o.pending // "?"), parked \($o.parked // "?"), delivered in the last hour \([$o.lagLastHour[]?.delivered] | add // 0)" +
        (if (.queues | length) > 0 then "; consumers: " + (.queues | map("\(.name) \(.consumers)") | join(", ")) else "" end) +
        "; error queues: " + (if (.errorQueues | length) == 0 then "none" else (.errorQueues | map("\(.name) \(.messages)") | join(", ")) end)'
fi

echo
echo "Audit trail of Alex's donor record (CampaignFinance, GET /audit, as the data-protection officer):"
CALLER="$AUDITOR"
api GET "$FINANCE/audit?resource=/donors/$alex&pageSize=10" |
    jq -r '.items | reverse | .[] | "  \(.at[0:19])  \(.subject | . + " " * (20 - length)) \(.action | . + " " * (19 - length)) \(.status)  \(.resource)"'
[[ -z $incomplete ]] || die "$incomplete"
