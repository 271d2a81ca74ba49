#!/usr/bin/env bash
# Ingest throughput of slawatch against a bare axum handler, in one go on
# this machine (docs/benchmarks.md):
#   (a) bare handler (benches/bare_handler.rs): parse the event, no I/O;
#   (b) slawatch, single `raised` events, fresh SQLite file (synchronous=FULL);
#   (a) and (b) alternate for ROUNDS rounds, each (b) on a fresh file, and the
#       ratio is reported per round and as the median: on a shared machine
#       the rates drift by 10-20% within minutes, and back-to-back pairs
#       see the same conditions;
#   (c) slawatch, arrays of 1000 `raised` events, on the last round's file;
#   (d) (b) and (c) on a fresh PostgreSQL database when
#       SLAWATCH_BENCH_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/postgres).
# Prints req/s, the ratio slawatch / bare, and events/s. Fails on any non-2xx
# answer or socket error. About 2.5-3 minutes once built (ROUNDS=3).
#
# Knobs (environment): ROUNDS (3), DURATION (15s), CONNECTIONS (64), THREADS (2),
# BATCH_DURATION (15s), BATCH_CONNECTIONS (4), BATCH_THREADS (2), BATCH (1000),
# SKIP_BUILD=1, BENCH_KEEP=1 (keep the database and logs), CARGO_TARGET_DIR,
# SLAWATCH_BIN (a slawatch binary to measure instead of the one built).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ROUNDS=${ROUNDS:-3}
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

# bench_slawatch LABEL DATABASE_URL ROUND [batch]: (b) as "LABEL-single-ROUND"
# against one fresh database, then (c) as "LABEL-batch" when asked.
bench_slawatch() {
    local label=$1 url=$2 round=$3 with_batch=${4:-} port pid config single batch
    port=$(free_port)
    config=$BENCH_DIR/slawatch-$label-$round.toml
    write_config "$config" "127.0.0.1:$port" "$url"
    log "$label: starting slawatch on 127.0.0.1:$port ($(redact_url "$url"))"
    RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch-$label-$round.log" "$SLAWATCH_BIN" --config "$config" serve
    pid=$LAST_PID
    wait_ready "http://127.0.0.1:$port" "$pid" 60
    run_wrk "$label-single-$round" "http://127.0.0.1:$port" benches/wrk/event.lua \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$pid"
    single=$(result "$label-single-$round" 3)
    check_stored "$label-single-$round" "$url" "$single"
    if [[ -n $with_batch ]]; then
        run_wrk "$label-batch" "http://127.0.0.1:$port" benches/wrk/batch.lua \
            "$BATCH_THREADS" "$BATCH_CONNECTIONS" "$BATCH_DURATION" "$pid"
        batch=$(result "$label-batch" 3)
        check_stored "$label-batch" "$url" $((single + batch * BATCH))
    fi
    log "$label: RSS after the runs $(($(rss_kib "$pid") / 1024)) MiB"
    stop_pid "$pid"
}

# bench_bare ROUND: (a) as "bare-ROUND".
bench_bare() {
    local round=$1 port
    port=$(free_port)
    start_bg "$BENCH_DIR/bare-$round.log" "$BARE_BIN" "127.0.0.1:$port"
    bare_pid=$LAST_PID
    wait_http "http://127.0.0.1:$port/" 30
    run_wrk "bare-$round" "http://127.0.0.1:$port" benches/wrk/event.lua "$THREADS" "$CONNECTIONS" "$DURATION" "$bare_pid"
    stop_pid "$bare_pid"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

redact_url() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "database directory: $BENCH_DIR ($(df -T "$BENCH_DIR" | awk 'NR==2 {print $2}'))"

check_rounds

# (a) and (b) on SQLite, alternating; (c) on the last round's database
for round in $(seq 1 "$ROUNDS"); do
    bench_bare "$round"
    bench_slawatch sqlite "sqlite://$BENCH_DIR/slawatch-$round.db" "$round" \
        "$( ((round == ROUNDS)) && echo batch)"
done

# (d) on PostgreSQL: one round, after the last bare run
if [[ -n $PG_URL ]]; then
    pg_fresh_db "$PG_URL" "slawatch_bench_${NONCE//-/_}"
    bench_slawatch postgres "$PG_DB_URL" 1 batch
else
    log "SLAWATCH_BENCH_POSTGRES_URL not set: PostgreSQL runs skipped"
fi

ratios=""
for round in $(seq 1 "$ROUNDS"); do
    ratios+="$(ratio "$(result "sqlite-single-$round" 2)" "$(result "bare-$round" 2)") "
done
last_bare=$(result "bare-$ROUNDS" 2)
{
    echo
    echo "== slawatch ingest benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
    printf '%-34s %12s %10s\n' "run" "rate" "server CPU"
    for round in $(seq 1 "$ROUNDS"); do
        printf '%-34s %9.0f req/s %8s%%\n' "(a) bare handler, round $round" "$(result "bare-$round" 2)" \
            "$(result "bare-$round" 4)"
        printf '%-34s %9.0f req/s %8s%%   ratio %s\n' "(b) slawatch sqlite, round $round" \
            "$(result "sqlite-single-$round" 2)" "$(result "sqlite-single-$round" 4)" \
            "$(ratio "$(result "sqlite-single-$round" 2)" "$(result "bare-$round" 2)")"
    done
    printf '%-34s %22s median ratio %.3f over %s rounds\n' "(b) slawatch sqlite, single" "" \
        "$(median <<<"${ratios% }")" "$ROUNDS"
    for label in sqlite postgres; do
        [[ -n $(result "$label-batch" 2) ]] || continue
        if [[ $label == postgres ]]; then
            single=$(result postgres-single-1 2)
            printf '%-34s %9.0f req/s %8s%%   ratio %s (to the last bare run)\n' "(b) slawatch postgres, single" \
                "$single" "$(result postgres-single-1 4)" "$(ratio "$single" "$last_bare")"
        fi
        printf '%-34s %9.0f ev/s  %8s%%   (%s-event arrays)\n' "(c) slawatch $label, arrays" \
            "$(awk -v r="$(result "$label-batch" 2)" -v n="$BATCH" 'BEGIN {print r * n}')" \
            "$(result "$label-batch" 4)" "$BATCH"
    done
    echo "targets: single ratio >= 0.35 (aim 0.5); arrays >= 25000 events/s into SQLite"
}
