#!/usr/bin/env bash
# Drill: a webhook receiver that is down, then failing, then back
# (docs/reliability.md). ISSUES issues breach their ack deadline while the
# receiver does not listen at all for DOWN_SECONDS, then answers 500 for
# ERROR_SECONDS, then 200. Every notification queued meanwhile must reach
# it within 10 s of its return (issue 22: "within 10 s of its return").
#
#   benches/drills/receiver-down.sh [sqlite|postgres]
#
# Figures: notifications queued, requests the failing receiver refused,
# seconds from its return to the last delivery (target <= 10), deliveries
# repeated with the same webhook-id (one replica: target 0), failed ones.
# Knobs: ISSUES (200), DOWN_SECONDS (60), ERROR_SECONDS (60), SKIP_BUILD=1,
# SLAWATCH_BIN, SLAWATCH_BENCH_POSTGRES_URL, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

BACKEND=${1:-sqlite}
ISSUES=${ISSUES:-200}
DOWN_SECONDS=${DOWN_SECONDS:-60}
ERROR_SECONDS=${ERROR_SECONDS:-60}
CATCH_UP_TARGET=10

drill_setup receiver-down
drill_database "$BACKEND" receiver
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
HOOK_PORT=$(free_port)
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL" 1s
cat >>"$CONFIG" <<EOF

[projects.drill]
notify = { team = ["hook"] }

[channels.hook]
kind = "webhook"
url = "http://127.0.0.1:$HOOK_PORT/hook"
EOF
start_server slawatch "$CONFIG" "$PORT"
HOOKS=$BENCH_DIR/receiver.log
touch "$HOOKS"

DOWN_AT=$(now)
log "receiver down for $DOWN_SECONDS s; $ISSUES issues breach in its first half"
python3 "$LOAD" backdated --base "$BASE" --count "$ISSUES" --prefix "down-$NONCE" --due-in 2 \
    --spread "$((DOWN_SECONDS / 2))" >/dev/null
sleep "$(calc "$DOWN_AT + $DOWN_SECONDS - $(now)")"

log "receiver answering 500 for $ERROR_SECONDS s"
start_bg "$BENCH_DIR/receiver-500.out" python3 "$RECEIVER" --port "$HOOK_PORT" --status 500 --log "$HOOKS"
FAILING=$LAST_PID
sleep "$ERROR_SECONDS"
stop_pid "$FAILING"

log "receiver back, answering 200"
start_bg "$BENCH_DIR/receiver-200.out" python3 "$RECEIVER" --port "$HOOK_PORT" --status 200 --log "$HOOKS"
BACK_AT=$(now)
QUEUED=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications")
for _ in $(seq 1 1200); do
    PENDING=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications WHERE state = 'pending'")
    [[ $PENDING == 0 ]] && break
    sleep 0.1
done
WAITED=$(calc "$(now) - $BACK_AT")
stop_pid "$SERVER_PID"

QUEUED=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications")
DELIVERED=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications WHERE state = 'delivered'")
FAILED=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications WHERE state = 'failed'")
read -r REFUSED OK_REQUESTS DISTINCT REPEATED LAST_OK < <(
    awk -v back="$BACK_AT" '
        $2 == 500 {refused++}
        $2 == 200 {ok++; if (seen[$3]++ == 1) repeated++; if ($1 > last) last = $1}
        END {printf "%d %d %d %d %.1f\n", refused, ok, length(seen), repeated, last ? last - back : -1}' "$HOOKS"
)

cat <<EOF

== drill: receiver down ${DOWN_SECONDS}s, then 500 for ${ERROR_SECONDS}s ($BACKEND, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
notifications queued          $QUEUED for $ISSUES issues (warnings and breaches)
refused with 500              $REFUSED requests while failing
delivered                     $DELIVERED ($DISTINCT distinct webhook-ids in $OK_REQUESTS requests; failed $FAILED; pending after ${WAITED}s: $PENDING)
return -> last delivery       ${LAST_OK}s          target <= $CATCH_UP_TARGET s
repeated webhook-ids          $REPEATED            target 0 (one replica)
EOF
target "not every notification delivered ($DELIVERED of $QUEUED)" "$QUEUED > 0 && $DELIVERED == $QUEUED && $DISTINCT == $QUEUED"
target "last delivery ${LAST_OK}s after the receiver's return" "$LAST_OK >= 0 && $LAST_OK <= $CATCH_UP_TARGET"
target "$REPEATED webhook-ids delivered twice" "$REPEATED == 0"
drill_verdict
