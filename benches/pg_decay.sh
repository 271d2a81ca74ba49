#!/usr/bin/env bash
# PostgreSQL ingest over time, on a fresh database (docs/benchmarks.md,
# "Plans that cannot rot"): single `raised` events posted for MINUTES
# consecutive windows, each window's rate printed. The last window must run
# at >= 90 % of the first; the script exits 1 when it does not.
#
#   AUTOVACUUM=off (default) leaves the server as it is (CI's PostgreSQL runs
#   with autovacuum off, so nothing refreshes the statistics);
#   AUTOVACUUM=on turns it on for the run with ALTER SYSTEM (root of the
#   database needed) and restores the previous setting on exit.
#
# Knobs (environment): MINUTES (5), WINDOW (60s), CONNECTIONS (16), THREADS (2),
# SLAWATCH_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres),
# SKIP_BUILD=1, BENCH_KEEP=1, CARGO_TARGET_DIR, SLAWATCH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

MINUTES=${MINUTES:-5}
WINDOW=${WINDOW:-60s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
AUTOVACUUM=${AUTOVACUUM:-off}
PG_URL=${SLAWATCH_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
GIVEN_BIN=${SLAWATCH_BIN:-}

clear_slawatch_env
PREVIOUS_AUTOVACUUM=""
restore_and_cleanup() {
    if [[ -n $PREVIOUS_AUTOVACUUM ]]; then
        psql -q -X "$PG_URL" -c "ALTER SYSTEM SET autovacuum = $PREVIOUS_AUTOVACUUM" -c "SELECT pg_reload_conf()" >/dev/null ||
            log "could not restore autovacuum = $PREVIOUS_AUTOVACUUM"
    fi
    cleanup
}
trap restore_and_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || die "MINUTES must be a positive whole number"
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building (release)"
    cargo build --release --bin slawatch
fi
SLAWATCH_BIN=${GIVEN_BIN:-$(target_dir)/release/slawatch}
[[ -x $SLAWATCH_BIN ]] || die "no slawatch binary at $SLAWATCH_BIN"
ensure_wrk

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-decay.XXXXXX")
case $AUTOVACUUM in
    off) ;;
    on)
        PREVIOUS_AUTOVACUUM=$(psql -X -A -t "$PG_URL" -c "SHOW autovacuum")
        psql -q -X "$PG_URL" -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null ||
            die "cannot turn autovacuum on"
        ;;
    *) die "AUTOVACUUM must be off or on" ;;
esac
log "PostgreSQL autovacuum: $(psql -X -A -t "$PG_URL" -c "SHOW autovacuum")"

pg_fresh_db "$PG_URL" "slawatch_decay_$(date +%s)_$$"
port=$(free_port)
write_config "$BENCH_DIR/slawatch.toml" "127.0.0.1:$port" "$PG_DB_URL"
RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch.log" "$SLAWATCH_BIN" --config "$BENCH_DIR/slawatch.toml" serve
pid=$LAST_PID
wait_ready "http://127.0.0.1:$port" "$pid" 60

rates=()
for minute in $(seq 1 "$MINUTES"); do
    out=$BENCH_DIR/wrk-$minute.txt
    # A nonce per window: the event ids of one window never repeat another's.
    NONCE="decay-$$-$minute" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WINDOW" --timeout 30s --latency \
        -s benches/wrk/event.lua "http://127.0.0.1:$port" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    [[ -z $non2xx || $non2xx == 0 ]] || die "window $minute: $non2xx non-2xx responses"
    rate=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    p99=$(awk '/ 99%/ {print $2}' "$out")
    rates+=("$rate")
    log "window $minute: $rate req/s, p99 ${p99:-?}"
done
scans=$(psql -X -A -t -F' ' "$PG_DB_URL" -c \
    "SELECT relname, seq_scan, COALESCE(idx_scan, 0), n_live_tup FROM pg_stat_user_tables WHERE relname IN ('issues', 'events') ORDER BY relname")
stop_pid "$pid"

first=${rates[0]}
last=${rates[$((MINUTES - 1))]}
share=$(awk -v a="$last" -v b="$first" 'BEGIN {printf "%.2f", a / b}')
{
    echo
    echo "== PostgreSQL ingest over time ($(date -u +%Y-%m-%dT%H:%M:%SZ), autovacuum $AUTOVACUUM, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
    echo "windows of $WINDOW, $CONNECTIONS connections: ${rates[*]} req/s"
    echo "last / first: $share (target >= 0.90)"
    echo "table, sequential scans, index scans, rows:"
    awk '{print "  " $0}' <<<"$scans"
}
awk -v s="$share" 'BEGIN {exit !(s >= 0.90)}' || die "the last window ran at $share of the first"
