#!/usr/bin/env bash
# Drill: three replicas on one PostgreSQL, one killed before and one during
# a deadline burst (docs/reliability.md): a dead replica's work is taken
# over within 10 s. A webhook receiver that
# takes SINK_DELAY_MS per request keeps deliveries in flight.
#   1. BURST issues whose ack deadlines all fall LEAD s after they are
#      posted; replica 3 is killed (SIGKILL) KILL_BEFORE s before they fall
#      due. The two survivors must flag every breach, once.
#   2. Replica 3 is started again; BURST more issues fall due together, and
#      KILL_DURING s after deadline + grace the replica with the most
#      deliveries in flight (connections to the receiver, by `ss`) is
#      killed. The survivors must take over what it had claimed.
#
#   benches/drills/replicas.sh
#
# Figures: breach rows per issue and stage (target exactly one), breach
# notifications per issue (one), detection delay after deadline + grace,
# takeover time: from the kill to the last breach notification of burst 2
# received (target <= 10 s), webhook-ids received twice (the dead replica's
# deliveries in flight, re-sent: at-least-once).
# Knobs: BURST (1000), LEAD (20), KILL_BEFORE (5), KILL_DURING (0.5),
# SINK_DELAY_MS (200), SKIP_BUILD=1, SLAWATCH_BIN,
# SLAWATCH_BENCH_POSTGRES_URL, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

BURST=${BURST:-1000}
LEAD=${LEAD:-20}
KILL_BEFORE=${KILL_BEFORE:-5}
KILL_DURING=${KILL_DURING:-0.5}
SINK_DELAY_MS=${SINK_DELAY_MS:-200}
GRACE=1
TAKEOVER_TARGET=10

drill_setup replicas
drill_database postgres replicas
HOOK_PORT=$(free_port)
HOOKS=$BENCH_DIR/receiver.log
start_bg "$BENCH_DIR/receiver.out" python3 "$RECEIVER" --port "$HOOK_PORT" --status 200 \
    --delay-ms "$SINK_DELAY_MS" --log "$HOOKS"

PORTS=()
PIDS=()
for replica in 1 2 3; do
    PORTS[replica]=$(free_port)
    write_config "$BENCH_DIR/replica-$replica.toml" "127.0.0.1:${PORTS[replica]}" "$DB_URL" "${GRACE}s"
    cat >>"$BENCH_DIR/replica-$replica.toml" <<EOF

[projects.drill]
notify = { team = ["hook"] }

[channels.hook]
kind = "webhook"
url = "http://127.0.0.1:$HOOK_PORT/hook"
EOF
done
# start_replica N: starts replica N (again).
start_replica() {
    start_server "replica-$1" "$BENCH_DIR/replica-$1.toml" "${PORTS[$1]}"
    PIDS[$1]=$SERVER_PID
}
for replica in 1 2 3; do
    start_replica "$replica"
done
log "three replicas on ports ${PORTS[*]}"

# sleep_until T: sleeps until Unix time T (at once if it has passed).
sleep_until() {
    local left
    left=$(calc "$1 - $(now)")
    if awk "BEGIN {exit !($left > 0)}"; then sleep "$left"; fi
}

# wait_breaches PREFIX: until every issue PREFIX-* has its ack breach (60 s at most).
wait_breaches() {
    for _ in $(seq 1 600); do
        [[ $(sql "$DB_URL" "SELECT COUNT(*) FROM breaches WHERE issue LIKE '$1-%'") -ge $BURST ]] && return 0
        sleep 0.1
    done
}

# breach_figures PREFIX: rows, issue+stage pairs with more than one row,
# issues with more than one breach notification, detection delay p99 and
# max (s) after deadline + grace.
breach_figures() {
    psql -X -A -t -q -F ' ' "$DB_URL" -c "
        SELECT (SELECT COUNT(*) FROM breaches WHERE issue LIKE '$1-%'),
               (SELECT COUNT(*) FROM (SELECT 1 FROM breaches WHERE issue LIKE '$1-%'
                                      GROUP BY issue, stage HAVING COUNT(*) > 1) twice),
               (SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE kind = 'breach' AND issue LIKE '$1-%'
                                      GROUP BY issue, stage, channel HAVING COUNT(*) > 1) twice),
               (SELECT ROUND((PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY detected_ms - deadline_ms - $GRACE * 1000) / 1000.0)::numeric, 3)
                  FROM breaches WHERE issue LIKE '$1-%'),
               (SELECT ROUND(MAX(detected_ms - deadline_ms - $GRACE * 1000) / 1000.0, 3)
                  FROM breaches WHERE issue LIKE '$1-%')"
}

# --- 1. killed before the burst ------------------------------------------
FIRST=$(python3 "$LOAD" backdated --base "http://127.0.0.1:${PORTS[1]}" --count "$BURST" \
    --prefix "before-$NONCE" --due-in "$LEAD")
sleep_until "$(calc "$FIRST - $KILL_BEFORE")"
kill9 "${PIDS[3]}"
log "burst 1: replica 3 killed $KILL_BEFORE s before $BURST deadlines"
sleep_until "$(calc "$FIRST + $GRACE")"
wait_breaches "before-$NONCE"
read -r B1_ROWS B1_TWICE B1_NOTIFIED_TWICE B1_P99 B1_MAX < <(breach_figures "before-$NONCE")

# --- 2. killed during the burst ------------------------------------------
start_replica 3
SECOND=$(python3 "$LOAD" backdated --base "http://127.0.0.1:${PORTS[2]}" --count "$BURST" \
    --prefix "during-$NONCE" --due-in "$LEAD")
sleep_until "$(calc "$SECOND + $GRACE + $KILL_DURING")"
# in_flight PID: its connections to the receiver.
in_flight() { ss -Htnp state established "( dport = :$HOOK_PORT )" 2>/dev/null | grep -c "pid=$1," || true; }
VICTIM=1
IN_FLIGHT=0
for replica in 1 2 3; do
    count=$(in_flight "${PIDS[replica]}")
    if ((count > IN_FLIGHT)); then
        VICTIM=$replica
        IN_FLIGHT=$count
    fi
done
KILLED_AT=$(now)
kill9 "${PIDS[VICTIM]}"
log "burst 2: replica $VICTIM killed $KILL_DURING s after $BURST deadlines + grace, with $IN_FLIGHT connections to the receiver"
wait_breaches "during-$NONCE"
for _ in $(seq 1 600); do
    pending=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications WHERE kind = 'breach' AND issue LIKE 'during-$NONCE-%' AND state <> 'delivered'")
    [[ $pending == 0 ]] && break
    sleep 0.1
done
read -r B2_ROWS B2_TWICE B2_NOTIFIED_TWICE B2_P99 B2_MAX < <(breach_figures "during-$NONCE")
B2_DELIVERED=$(sql "$DB_URL" "SELECT COUNT(*) FROM notifications WHERE kind = 'breach' AND issue LIKE 'during-$NONCE-%' AND state = 'delivered'")
for replica in 1 2 3; do
    stop_pid "${PIDS[replica]}"
done
read -r TAKEOVER RESENT RECEIVED < <(
    awk -v killed="$KILLED_AT" -v prefix="during-$NONCE-" '
        index($5, prefix) == 1 && $4 == "breach" {received++; if (seen[$3]++ == 1) resent++; if ($1 > last) last = $1}
        END {printf "%.1f %d %d\n", last ? last - killed : -1, resent, received}' "$HOOKS"
)
RESENT_ALL=$(awk '{if (seen[$3]++ == 1) n++} END {print n + 0}' "$HOOKS")

cat <<EOF

== drill: three replicas on one PostgreSQL, one killed ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
burst 1, replica 3 killed ${KILL_BEFORE}s before
  breach rows                 $B1_ROWS of $BURST; issue+stage with more than one: $B1_TWICE      target exactly one each
  breach notifications        issues notified more than once: $B1_NOTIFIED_TWICE
  detection after deadline + grace   p99 ${B1_P99}s, max ${B1_MAX}s      target max <= $TAKEOVER_TARGET s
burst 2, replica $VICTIM killed ${KILL_DURING}s after deadline + grace, with $IN_FLIGHT connections to the receiver
  breach rows                 $B2_ROWS of $BURST; issue+stage with more than one: $B2_TWICE      target exactly one each
  breach notifications        $B2_DELIVERED delivered; issues notified more than once: $B2_NOTIFIED_TWICE; $RECEIVED requests received
  detection after deadline + grace   p99 ${B2_P99}s, max ${B2_MAX}s
  takeover: kill -> last breach notification received   ${TAKEOVER}s      target <= $TAKEOVER_TARGET s
  webhook-ids received twice  $RESENT of burst 2's breaches ($RESENT_ALL over the run: the dead replicas' deliveries in flight, re-sent)
EOF
target "burst 1: $B1_ROWS breach rows for $BURST issues, $B1_TWICE doubled" "$B1_ROWS == $BURST && $B1_TWICE == 0 && $B1_NOTIFIED_TWICE == 0"
target "burst 1: breaches flagged up to ${B1_MAX}s late" "$B1_MAX <= $TAKEOVER_TARGET"
target "burst 2: $B2_ROWS breach rows for $BURST issues, $B2_TWICE doubled" "$B2_ROWS == $BURST && $B2_TWICE == 0 && $B2_NOTIFIED_TWICE == 0"
target "burst 2: $B2_DELIVERED of $BURST breach notifications delivered" "$B2_DELIVERED == $BURST"
target "burst 2: takeover ${TAKEOVER}s" "$TAKEOVER >= 0 && $TAKEOVER <= $TAKEOVER_TARGET"
drill_verdict
