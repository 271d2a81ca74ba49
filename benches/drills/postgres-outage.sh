#!/usr/bin/env bash
# Drill: PostgreSQL stopped for OUTAGE_SECONDS under load
# (docs/reliability.md). One slawatch on a fresh database takes single
# events from CLIENTS posters while /readyz is asked every 0.2 s; the
# PostgreSQL server is stopped (fast shutdown: every connection is cut),
# started again, and the load goes on.
#
#   benches/drills/postgres-outage.sh
#
# Stops the whole PostgreSQL server of SLAWATCH_BENCH_POSTGRES_URL (root, or
# the cluster's owner): every database on it is down for OUTAGE_SECONDS.
# Always started again: on any exit of this script, and by a watchdog of its
# own OUTAGE_SECONDS + 60 s later should the script itself be killed.
#
# Figures: answers during the outage (503, never 500), /readyz answer time
# during it (target < 1 s), seconds from PostgreSQL's return to the next
# acknowledged event and to /readyz 200 (target <= 10 s), acknowledged
# events missing (target 0).
# Knobs: CLIENTS (8), BEFORE_SECONDS (5), OUTAGE_SECONDS (10),
# AFTER_SECONDS (10), PG_CLUSTER ("15 main": pg_ctlcluster's version and
# name; found with pg_lsclusters by port if unset), SKIP_BUILD=1,
# SLAWATCH_BIN, SLAWATCH_BENCH_POSTGRES_URL, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

CLIENTS=${CLIENTS:-8}
BEFORE_SECONDS=${BEFORE_SECONDS:-5}
OUTAGE_SECONDS=${OUTAGE_SECONDS:-10}
AFTER_SECONDS=${AFTER_SECONDS:-10}
RECOVERY_TARGET=10
ADMIN_URL=${SLAWATCH_BENCH_POSTGRES_URL:-$PG_DEFAULT_URL}

command -v pg_ctlcluster >/dev/null 2>&1 || die "pg_ctlcluster (postgresql-common) is needed to stop and start PostgreSQL"
if [[ -z ${PG_CLUSTER:-} ]]; then
    port=$(printf '%s\n' "$ADMIN_URL" | sed -n 's|^[a-z]*://[^/]*:\([0-9][0-9]*\)/.*|\1|p')
    PG_CLUSTER=$(pg_lsclusters -h | awk -v port="${port:-5432}" '$3 == port {print $1, $2; exit}')
    [[ -n $PG_CLUSTER ]] || die "no PostgreSQL cluster on port ${port:-5432} in pg_lsclusters; set PG_CLUSTER"
fi
read -r PG_VERSION PG_NAME <<<"$PG_CLUSTER"

pg_online() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v n="$PG_NAME" '$1 == v && $2 == n {print $4}' | grep -q online; }
PG_STOPPED=0
restart_postgres() {
    if [[ $PG_STOPPED == 1 ]] || ! pg_online; then
        log "starting PostgreSQL $PG_VERSION/$PG_NAME again"
        pg_ctlcluster "$PG_VERSION" "$PG_NAME" start || log "COULD NOT START PostgreSQL $PG_VERSION/$PG_NAME: start it by hand"
        PG_STOPPED=0
    fi
    [[ -n ${WATCHDOG:-} ]] && kill "$WATCHDOG" 2>/dev/null
    return 0
}
AT_EXIT+=(restart_postgres)

drill_setup postgres-outage
pg_online || die "PostgreSQL $PG_VERSION/$PG_NAME is not online"
drill_database postgres outage
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL"
start_server slawatch "$CONFIG" "$PORT"

REQUESTS=$BENCH_DIR/load.requests
PROBES=$BENCH_DIR/readyz.requests
start_load load "$BASE" --clients "$CLIENTS"
LOADER=$LOAD_PID
start_probe readyz "$BASE"
PROBER=$PROBE_PID
sleep "$BEFORE_SECONDS"

log "connections to PostgreSQL before the stop (this drill's server included): $(psql -X -A -t -q "$ADMIN_URL" -c "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")"
# The watchdog outlives this script if it is killed, and starts PostgreSQL.
setsid bash -c "sleep $((OUTAGE_SECONDS + 60)); pg_lsclusters -h | grep -q '^$PG_VERSION *$PG_NAME .*online' || pg_ctlcluster $PG_VERSION $PG_NAME start" \
    >/dev/null 2>&1 </dev/null &
WATCHDOG=$!
STOP_BEGAN=$(now)
PG_STOPPED=1
pg_ctlcluster "$PG_VERSION" "$PG_NAME" stop -m fast
STOPPED_AT=$(now)
log "PostgreSQL stopped ($(calc "$STOPPED_AT - $STOP_BEGAN") s); down for $OUTAGE_SECONDS s"
sleep "$OUTAGE_SECONDS"
START_BEGAN=$(now)
pg_ctlcluster "$PG_VERSION" "$PG_NAME" start
PG_STOPPED=0
STARTED_AT=$(now)
kill "$WATCHDOG" 2>/dev/null || true
log "PostgreSQL started ($(calc "$STARTED_AT - $START_BEGAN") s)"
sleep "$AFTER_SECONDS"
stop_pid "$LOADER"
stop_pid "$PROBER"
stop_pid "$SERVER_PID"

read -r TOTAL OK _ OTHER_5XX_ALL _ _ P50 P99 _ _ _ < <(window "$REQUESTS")
read -r D_TOTAL D_OK D_503 D_5XX D_4XX D_NONE _ _ _ _ _ < <(window "$REQUESTS" "$STOPPED_AT" "$START_BEGAN")
read -r _ _ _ _ _ _ _ _ _ FIRST_OK _ < <(window "$REQUESTS" "$STARTED_AT")
read -r R_TOTAL R_OK R_503 _ _ R_NONE _ R_P99 R_MAX _ _ < <(window "$PROBES" "$STOPPED_AT" "$START_BEGAN" --any-status)
read -r _ _ _ _ _ _ _ _ _ READY_AGAIN _ < <(window "$PROBES" "$STARTED_AT")
read -r ACKED STORED LOST < <(python3 "$LOAD" missing --log "$REQUESTS" --database "$DB_URL")
WRITES_BACK=$(after "$FIRST_OK" "$STARTED_AT")
READY_BACK=$(after "$READY_AGAIN" "$STARTED_AT")

cat <<EOF

== drill: PostgreSQL stopped ${OUTAGE_SECONDS}s under load ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
requests                      $TOTAL from $CLIENTS clients, $OK acknowledged (p50 $P50 ms, p99 $P99 ms)
during the outage             $D_TOTAL requests: $D_503 answered 503, $D_5XX other 5xx, $D_4XX 4xx, $D_OK 2xx, $D_NONE without an answer
/readyz during the outage     $R_TOTAL asked: $R_503 answered 503, $R_OK 200, $R_NONE without an answer; p99 $R_P99 ms, max $R_MAX ms   target < 1000 ms
PostgreSQL back -> next 2xx   ${WRITES_BACK}s          target <= $RECOVERY_TARGET s
PostgreSQL back -> /readyz 200 ${READY_BACK}s
other 5xx over the run        $OTHER_5XX_ALL            target 0
acknowledged and stored       $STORED of $ACKED
acknowledged and missing      $LOST            target 0
EOF
target "$LOST acknowledged events lost" "$LOST == 0 && $ACKED > 0"
target "$OTHER_5XX_ALL answers 5xx other than 503" "$OTHER_5XX_ALL == 0"
target "no 503 during the outage" "$D_503 > 0"
target "/readyz took up to $R_MAX ms during the outage" "$R_TOTAL > 0 && $R_NONE == 0 && $R_MAX < 1000"
target "writes back ${WRITES_BACK}s after PostgreSQL" "$WRITES_BACK >= 0 && $WRITES_BACK <= $RECOVERY_TARGET"
target "/readyz 200 ${READY_BACK}s after PostgreSQL" "$READY_BACK >= 0 && $READY_BACK <= $RECOVERY_TARGET"
drill_verdict
