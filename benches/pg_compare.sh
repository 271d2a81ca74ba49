#!/usr/bin/env bash
# Two slawatch binaries on PostgreSQL, interleaved, against SQLite in the
# same run (docs/benchmarks.md, "PostgreSQL: batches in flight"): per round,
# on a fresh store each, single `raised` events (wrk -t2 -c64, event.lua)
# into SQLite (AFTER_BIN), PostgreSQL (BEFORE_BIN), PostgreSQL (AFTER_BIN),
# then the same three with arrays of 1000 (wrk -t2 -c4, batch.lua). Prints
# each rate and the events stored.
#
#   BEFORE_BIN=/path/old/slawatch AFTER_BIN=target/release/slawatch \
#     SLAWATCH_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres benches/pg_compare.sh
#
# Knobs: ROUNDS (2), DURATION (10s).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
PG_URL=${SLAWATCH_BENCH_POSTGRES_URL:?set SLAWATCH_BENCH_POSTGRES_URL}
BEFORE=${BEFORE_BIN:?set BEFORE_BIN}
AFTER=${AFTER_BIN:?set AFTER_BIN}
clear_slawatch_env
trap cleanup EXIT
ensure_wrk
BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-compare.XXXXXX")
export BATCH=1000

# one LABEL BIN BACKEND MODE: a fresh store, one wrk run, the rate.
one() {
    local label=$1 bin=$2 backend=$3 mode=$4 url port config pid out rate stored
    if [[ $backend == postgres ]]; then
        pg_fresh_db "$PG_URL" "slawatch_cmp_${label//-/_}_$$"
        url=$PG_DB_URL
    else
        url=sqlite://$BENCH_DIR/$label.db
    fi
    port=$(free_port)
    config=$BENCH_DIR/$label.toml
    write_config "$config" "127.0.0.1:$port" "$url"
    RUST_LOG=warn start_bg "$BENCH_DIR/$label.log" "$bin" --config "$config" serve
    pid=$LAST_PID
    wait_ready "http://127.0.0.1:$port" "$pid" 60
    if [[ $mode == single ]]; then
        out=$(NONCE=$label-$$ wrk -t2 -c64 -d"$DURATION" --timeout 30s -s benches/wrk/event.lua "http://127.0.0.1:$port")
    else
        out=$(NONCE=$label-$$ wrk -t2 -c4 -d"$DURATION" --timeout 30s -s benches/wrk/batch.lua "http://127.0.0.1:$port")
    fi
    grep -q 'Non-2xx\|Socket errors' <<<"$out" && { echo "$out" >&2; die "$label: errors"; }
    rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    stop_pid "$pid"
    stored=$(count_events "$url")
    if [[ $mode == single ]]; then
        printf '%-28s %9.0f req/s  (%s events stored)\n' "$label" "$rate" "$stored"
    else
        printf '%-28s %9.0f ev/s   (%s events stored)\n' "$label" "$(awk -v r="$rate" 'BEGIN {print r * 1000}')" "$stored"
    fi
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
    for mode in single arrays; do
        one "sqlite-$mode-$round" "$AFTER" sqlite "$mode"
        one "pg-before-$mode-$round" "$BEFORE" postgres "$mode"
        one "pg-after-$mode-$round" "$AFTER" postgres "$mode"
    done
done
