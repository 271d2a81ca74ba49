#!/usr/bin/env bash
# Drill: a soak (docs/reliability.md). One slawatch on a fresh SQLite file
# (or PostgreSQL: SOAK_BACKEND=postgres) takes a steady RATE single events a
# second from CLIENTS posters for MINUTES minutes. Memory and latency must
# stay flat: the last minute's RSS and p99 within 20 % of the first's
# (latency: or within 2 ms, below which a shared machine's noise is larger
# than any trend).
#
#   benches/drills/soak.sh [minutes]      (5 by default)
#
# Figures, per minute: requests, p50 and p99 latency of acknowledged posts,
# RSS at the end of the minute; non-2xx answers (target 0).
# Knobs: RATE (300), CLIENTS (8), SOAK_BACKEND (sqlite), SKIP_BUILD=1,
# SLAWATCH_BIN, SLAWATCH_BENCH_POSTGRES_URL, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

MINUTES=${1:-5}
RATE=${RATE:-300}
CLIENTS=${CLIENTS:-8}
BACKEND=${SOAK_BACKEND:-sqlite}
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || die "minutes must be a positive number, not '$MINUTES'"

drill_setup soak
drill_database "$BACKEND" soak
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL"
start_server slawatch "$CONFIG" "$PORT"

REQUESTS=$BENCH_DIR/load.requests
START=$(now)
start_load load "$BASE" --clients "$CLIENTS" --rate "$RATE" --seconds "$((MINUTES * 60 + 1))"
LOADER=$LOAD_PID
RSS=()
for minute in $(seq 1 "$MINUTES"); do
    sleep "$(calc "$START + 60 * $minute - $(now)")"
    RSS[minute]=$(($(rss_kib "$SERVER_PID") / 1024))
    log "minute $minute: RSS ${RSS[minute]} MiB"
done
wait "$LOADER" || true
stop_pid "$SERVER_PID"

read -r TOTAL OK _ _ _ _ _ _ _ _ _ < <(window "$REQUESTS")
TABLE=$(python3 "$LOAD" minutes --log "$REQUESTS" --start "$START")
read -r _ _ _ _ FIRST_P99 < <(head -1 <<<"$TABLE")
read -r _ _ _ _ LAST_P99 < <(tail -1 <<<"$TABLE")
FIRST_RSS=${RSS[1]}
LAST_RSS=${RSS[MINUTES]}

cat <<EOF

== drill: soak, $MINUTES minutes at $RATE events/s ($BACKEND, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
requests                      $TOTAL, $OK acknowledged, $((TOTAL - OK)) not         target 0 not
minute  requests  2xx  p50 ms  p99 ms  RSS MiB
EOF
while read -r minute requests ok p50 p99; do
    printf '%6s  %8s  %5s  %6s  %6s  %7s\n' "$minute" "$requests" "$ok" "$p50" "$p99" "${RSS[minute]:-}"
done <<<"$TABLE"
printf 'last minute / first           RSS %s / %s MiB, p99 %s / %s ms   target within 20 %% (p99: or 2 ms)\n' \
    "$LAST_RSS" "$FIRST_RSS" "$LAST_P99" "$FIRST_P99"
target "$((TOTAL - OK)) requests not acknowledged" "$TOTAL > 0 && $TOTAL == $OK"
target "RSS grew from $FIRST_RSS to $LAST_RSS MiB" "$LAST_RSS <= 1.2 * $FIRST_RSS"
target "p99 grew from $FIRST_P99 to $LAST_P99 ms" "$LAST_P99 <= 1.2 * $FIRST_P99 || $LAST_P99 <= $FIRST_P99 + 2"
drill_verdict
