#!/usr/bin/env bash
# Ingest throughput of slawatch against a bare axum handler, in one go on
# this machine (docs/benchmarks.md):
#   (a) bare handler (benches/bare_handler.rs): parse the event, no I/O;
#   (b) slawatch, single `raised` events, fresh SQLite file (synchronous=FULL);
#   (c) slawatch, arrays of 1000 `raised` events, same SQLite file;
#   (d) (b) and (c) on a fresh PostgreSQL database when
#       SLAWATCH_BENCH_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/postgres).
# Prints req/s, the ratio slawatch / bare, and events/s. Fails on any non-2xx
# answer or socket error. About 1.5-2 minutes once built.
#
# Knobs (environment): DURATION (15s), CONNECTIONS (64), THREADS (2),
# BATCH_DURATION (15s), BATCH_CONNECTIONS (4), BATCH_THREADS (2), BATCH (1000),
# SKIP_BUILD=1, BENCH_KEEP=1 (keep the database and logs), CARGO_TARGET_DIR,
# SLAWATCH_BIN (a slawatch binary to measure instead of the one built).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BATCH_DURATION=${BATCH_DURATION:-15s}
BATCH_CONNECTIONS=${BATCH_CONNECTIONS:-4}
BATCH_THREADS=${BATCH_THREADS:-2}
BATCH=${BATCH:-1000}
PG_URL=${SLAWATCH_BENCH_POSTGRES_URL:-}
# Read before clear_slawatch_env, which unsets every SLAWATCH_* variable.
GIVEN_BIN=${SLAWATCH_BIN:-}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building (release)"
    cargo build --release --bin slawatch --example bare_handler
fi
TARGET=$(target_dir)
SLAWATCH_BIN=${GIVEN_BIN:-$TARGET/release/slawatch}
BARE_BIN=$TARGET/release/examples/bare_handler
[[ -x $SLAWATCH_BIN && -x $BARE_BIN ]] || die "binaries not found under $TARGET/release"
ensure_wrk

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-bench.XXXXXX")
NONCE=$(date +%s)-$$
export NONCE
export BATCH
RESULTS=$BENCH_DIR/results.txt
: >"$RESULTS"

# run_wrk NAME URL SCRIPT THREADS CONNECTIONS DURATION [PID]: runs wrk,
# checks for errors, records "NAME req/s cpu" in $RESULTS.
run_wrk() {
    local name=$1 url=$2 script=$3 threads=$4 connections=$5 duration=$6 pid=${7:-}
    local out=$BENCH_DIR/wrk-$name.txt before=0 after=0 rps non2xx errors requests cpu
    log "$name: wrk -t$threads -c$connections -d$duration -s $script $url"
    [[ -n $pid ]] && before=$(cpu_ticks "$pid")
    wrk -t"$threads" -c"$connections" -d"$duration" --timeout 30s -s "$script" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "$name: wrk failed"; }
    [[ -n $pid ]] && after=$(cpu_ticks "$pid")
    sed 's/^/    /' "$out" >&2
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    requests=$(awk '/requests in/ {print $1}' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
    [[ -n $rps ]] || die "$name: no Requests/sec in wrk output"
    [[ -z $non2xx || $non2xx == 0 ]] || die "$name: $non2xx non-2xx responses"
    [[ -z $errors || $errors == 0 ]] || die "$name: $errors socket errors (connect/read/write/timeout)"
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v d="${duration%s}" \
        'BEGIN {printf "%.0f", 100 * t / hz / d}')
    printf '%s %s %s %s\n' "$name" "$rps" "$requests" "$cpu" >>"$RESULTS"
}

result() { awk -v n="$1" -v f="$2" '$1 == n {print $f}' "$RESULTS"; }

# check_stored NAME URL MIN: the store holds at least MIN events.
check_stored() {
    local name=$1 url=$2 min=$3 stored
    if [[ $url == sqlite:* ]] && ! command -v python3 >/dev/null 2>&1; then
        log "$name: python3 missing, stored-count check skipped"
        return 0
    fi
    stored=$(count_events "$url") || die "$name: cannot count stored events"
    log "$name: $stored events stored (wrk counted $min answered)"
    ((stored >= min)) || die "$name: only $stored events stored, $min were acknowledged"
}

# bench_slawatch LABEL DATABASE_URL: (b) and (c) against one fresh database.
bench_slawatch() {
    local label=$1 url=$2 port pid config single batch
    port=$(free_port)
    config=$BENCH_DIR/slawatch-$label.toml
    write_config "$config" "127.0.0.1:$port" "$url"
    log "$label: starting slawatch on 127.0.0.1:$port ($(redact_url "$url"))"
    RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch-$label.log" "$SLAWATCH_BIN" --config "$config" serve
    pid=$LAST_PID
    wait_ready "http://127.0.0.1:$port" "$pid" 60
    run_wrk "$label-single" "http://127.0.0.1:$port" benches/wrk/event.lua \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$pid"
    single=$(result "$label-single" 3)
    check_stored "$label-single" "$url" "$single"
    run_wrk "$label-batch" "http://127.0.0.1:$port" benches/wrk/batch.lua \
        "$BATCH_THREADS" "$BATCH_CONNECTIONS" "$BATCH_DURATION" "$pid"
    batch=$(result "$label-batch" 3)
    check_stored "$label-batch" "$url" $((single + batch * BATCH))
    log "$label: RSS after the runs $(($(rss_kib "$pid") / 1024)) MiB"
    stop_pid "$pid"
}

redact_url() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "database directory: $BENCH_DIR ($(df -T "$BENCH_DIR" | awk 'NR==2 {print $2}'))"

# (a) bare handler
port=$(free_port)
start_bg "$BENCH_DIR/bare.log" "$BARE_BIN" "127.0.0.1:$port"
bare_pid=$LAST_PID
wait_http "http://127.0.0.1:$port/" 30
run_wrk bare "http://127.0.0.1:$port" benches/wrk/event.lua "$THREADS" "$CONNECTIONS" "$DURATION" "$bare_pid"
stop_pid "$bare_pid"

# (b), (c) on SQLite
bench_slawatch sqlite "sqlite://$BENCH_DIR/slawatch.db"

# (d) on PostgreSQL
if [[ -n $PG_URL ]]; then
    pg_fresh_db "$PG_URL" "slawatch_bench_${NONCE//-/_}"
    bench_slawatch postgres "$PG_DB_URL"
else
    log "SLAWATCH_BENCH_POSTGRES_URL not set: PostgreSQL runs skipped"
fi

bare=$(result bare 2)
{
    echo
    echo "== slawatch ingest benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
    printf '%-34s %12s %10s\n' "run" "rate" "server CPU"
    printf '%-34s %9.0f req/s %8s%%\n' "(a) bare handler, single events" "$bare" "$(result bare 4)"
    for label in sqlite postgres; do
        single=$(result "$label-single" 2)
        [[ -n $single ]] || continue
        printf '%-34s %9.0f req/s %8s%%   ratio %.3f\n' "(b) slawatch $label, single" "$single" \
            "$(result "$label-single" 4)" "$(awk -v a="$single" -v b="$bare" 'BEGIN {print a / b}')"
        printf '%-34s %9.0f ev/s  %8s%%   (%s-event arrays)\n' "(c) slawatch $label, arrays" \
            "$(awk -v r="$(result "$label-batch" 2)" -v n="$BATCH" 'BEGIN {print r * n}')" \
            "$(result "$label-batch" 4)" "$BATCH"
    done
    echo "targets: single ratio >= 0.35 (aim 0.5); arrays >= 25000 events/s into SQLite"
}
