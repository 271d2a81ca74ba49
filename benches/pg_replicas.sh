#!/usr/bin/env bash
# Ingest with 1, 2 and 3 replicas on one PostgreSQL database
# (docs/benchmarks.md, docs/reliability.md): for each count N, a fresh
# database, N slawatch processes on ports of their own, and N wrk processes
# (-t1, CONNECTIONS/N connections each, benches/wrk/event.lua) posting single
# `raised` events at once, one to each replica. Prints the summed rate, the
# CPU of the slawatch processes and of PostgreSQL (all its processes, from
# /proc) per 1000 events, and checks the stored count.
#
#   SLAWATCH_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres benches/pg_replicas.sh
#
# Knobs: REPLICAS ("1 2 3"), DURATION (10s), CONNECTIONS (64), SLAWATCH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

REPLICAS=${REPLICAS:-1 2 3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PG_URL=${SLAWATCH_BENCH_POSTGRES_URL:?set SLAWATCH_BENCH_POSTGRES_URL}
BIN=${SLAWATCH_BIN:-$(target_dir)/release/slawatch}
clear_slawatch_env
trap cleanup EXIT
ensure_wrk
[[ -x $BIN ]] || die "no slawatch binary at $BIN"
BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-replicas.XXXXXX")
HZ=$(getconf CLK_TCK)

# postgres_ticks: CPU ticks of every process named postgres.
postgres_ticks() {
    local total=0 pid t
    for pid in $(pgrep -x postgres); do
        t=$(cpu_ticks "$pid" 2>/dev/null) || continue
        total=$((total + t))
    done
    echo "$total"
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $REPLICAS; do
    pg_fresh_db "$PG_URL" "slawatch_replicas_${n}_$$"
    pids=() ports=()
    for i in $(seq 1 "$n"); do
        port=$(free_port)
        write_config "$BENCH_DIR/r$n-$i.toml" "127.0.0.1:$port" "$PG_DB_URL"
        RUST_LOG=warn start_bg "$BENCH_DIR/r$n-$i.log" "$BIN" --config "$BENCH_DIR/r$n-$i.toml" serve
        pids+=("$LAST_PID")
        ports+=("$port")
        wait_ready "http://127.0.0.1:$port" "$LAST_PID" 60
    done
    before_pg=$(postgres_ticks)
    before_sw=0
    for pid in "${pids[@]}"; do before_sw=$((before_sw + $(cpu_ticks "$pid"))); done
    wrk_pids=()
    for i in $(seq 1 "$n"); do
        NONCE=r$n-$i-$$ wrk -t1 -c$((CONNECTIONS / n)) -d"$DURATION" --timeout 30s -s benches/wrk/event.lua \
            "http://127.0.0.1:${ports[$((i - 1))]}" >"$BENCH_DIR/wrk-$n-$i.txt" 2>&1 &
        wrk_pids+=($!)
    done
    for pid in "${wrk_pids[@]}"; do wait "$pid" || die "wrk failed"; done
    after_pg=$(postgres_ticks)
    after_sw=0
    for pid in "${pids[@]}"; do after_sw=$((after_sw + $(cpu_ticks "$pid"))); done
    total=0 requests=0
    for i in $(seq 1 "$n"); do
        grep -q 'Non-2xx\|Socket errors' "$BENCH_DIR/wrk-$n-$i.txt" && { cat "$BENCH_DIR/wrk-$n-$i.txt" >&2; die "errors"; }
        total=$(awk -v t="$total" '/^Requests\/sec:/ {print t + $2}' "$BENCH_DIR/wrk-$n-$i.txt")
        requests=$((requests + $(awk '/requests in/ {print $1}' "$BENCH_DIR/wrk-$n-$i.txt")))
    done
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    stored=$(count_events "$PG_DB_URL")
    ((stored >= requests)) || die "$n replicas: $stored stored, $requests answered"
    awk -v n="$n" -v r="$total" -v s=$((after_sw - before_sw)) -v p=$((after_pg - before_pg)) -v hz="$HZ" -v q="$requests" \
        'BEGIN {printf "%d replica(s): %6.0f req/s   slawatch %5.1f ms CPU per 1000 events, PostgreSQL %5.1f\n",
                n, r, 1000 * s / hz / q * 1000, 1000 * p / hz / q * 1000}'
done
