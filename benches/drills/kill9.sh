#!/usr/bin/env bash
# Drill: `kill -9` under load (docs/reliability.md). One slawatch on a fresh
# SQLite file or PostgreSQL database takes single events from CLIENTS
# concurrent posters; every RUN_SECONDS it is killed with SIGKILL and
# started again on the same store, KILLS times, while the posters go on.
# Then every event that was answered 2xx must be stored.
#
#   benches/drills/kill9.sh [sqlite|postgres]
#
# Figures: events acknowledged, requests left without an answer by the
# kills (in doubt: the client would retry them), seconds from each kill to
# the next acknowledgement, acknowledged events missing (target 0).
# Knobs: CLIENTS (8), KILLS (3), RUN_SECONDS (4), SKIP_BUILD=1, SLAWATCH_BIN,
# SLAWATCH_BENCH_POSTGRES_URL, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

BACKEND=${1:-sqlite}
CLIENTS=${CLIENTS:-8}
KILLS=${KILLS:-3}
RUN_SECONDS=${RUN_SECONDS:-4}

drill_setup kill9
drill_database "$BACKEND" kill9
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL"
start_server slawatch "$CONFIG" "$PORT"

REQUESTS=$BENCH_DIR/load.requests
start_load load "$BASE" --clients "$CLIENTS"
LOADER=$LOAD_PID
KILL_TIMES=()
for kill in $(seq 1 "$KILLS"); do
    sleep "$RUN_SECONDS"
    kill9 "$SERVER_PID"
    KILL_TIMES+=("$(now)")
    log "kill $kill: SIGKILL to pid $SERVER_PID; starting again"
    start_server slawatch "$CONFIG" "$PORT"
done
sleep "$RUN_SECONDS"
stop_pid "$LOADER"
stop_pid "$SERVER_PID"

read -r TOTAL OK _ _ _ NO_ANSWER P50 P99 _ _ _ < <(window "$REQUESTS")
DOWN=()
for at in "${KILL_TIMES[@]}"; do
    read -r _ _ _ _ _ _ _ _ _ FIRST_OK _ < <(window "$REQUESTS" "$at")
    DOWN+=("$(after "$FIRST_OK" "$at")")
done
read -r ACKED STORED LOST < <(python3 "$LOAD" missing --log "$REQUESTS" --database "$DB_URL")

cat <<EOF

== drill: kill -9 under load ($BACKEND, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
requests                      $TOTAL from $CLIENTS clients, $KILLS kills $RUN_SECONDS s apart
acknowledged (2xx)            $OK (p50 $P50 ms, p99 $P99 ms)
left without an answer        $NO_ANSWER (in doubt; a client retries them)
kill -> next 2xx (s)          ${DOWN[*]}
acknowledged and stored       $STORED of $ACKED
acknowledged and missing      $LOST            target 0
EOF
target "acknowledged events lost: $LOST" "$LOST == 0 && $ACKED > 0"
drill_verdict
