#!/usr/bin/env bash
# Chat ingestion against event ingestion, in one go on this machine
# (docs/benchmarks.md): on one fresh SQLite file (synchronous=FULL),
#   (e) single `raised` events through POST /v1/events, then
#   (m) chat messages through POST /v1/messages, each a requester's new
#       matter in one of 2000 mapped groups (so each raises an issue, and
#       groups fill up to the 10 open issues the classifier reads),
# over the same keep-alive connections; prints both rates and their ratio
# (target: messages >= 80% of events). Then the same on another fresh file
# with (c) whole group conversations instead of (m): report, detail, staff
# answer, thanks, #已处理, #计划, #已解决 (benches/wrk/conversation.lua).
# With SLAWATCH_BENCH_POSTGRES_URL set, both pairs on fresh PostgreSQL
# databases. Fails on any non-2xx answer.
#
# With ROUNDS > 1 the SQLite pairs run that many times, each on a fresh
# file, and the median ratios are printed too (rates drift on a shared
# machine).
#
# Knobs (environment): ROUNDS (1), DURATION (15s), CONNECTIONS (64), THREADS (2),
# MESSAGE_IDS (ordered | uuid),
# SKIP_BUILD=1, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PG_URL=${SLAWATCH_BENCH_POSTGRES_URL:-}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building (release)"
    cargo build --release --bin slawatch
fi
SLAWATCH_BIN=$(target_dir)/release/slawatch
[[ -x $SLAWATCH_BIN ]] || die "binary not found: $SLAWATCH_BIN"
ensure_wrk

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-bench.XXXXXX")
NONCE=$(date +%s)-$$
export NONCE

# run NAME URL SCRIPT: prints req/s; fails on errors.
run() {
    local name=$1 url=$2 script=$3 out=$BENCH_DIR/wrk-$1.txt non2xx errors rps
    log "$name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION -s $script"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s -s "$script" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "$name: wrk failed"; }
    sed 's/^/    /' "$out" >&2
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
    [[ -z $non2xx || $non2xx == 0 ]] || die "$name: $non2xx non-2xx responses"
    [[ -z $errors || $errors == 0 ]] || die "$name: $errors socket errors"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    [[ -n $rps ]] || die "$name: no Requests/sec in wrk output"
    printf '%s\n' "$rps"
}

# pair LABEL DATABASE_URL WORKLOAD: events, then messages of WORKLOAD
# (benches/wrk/WORKLOAD.lua), against one fresh database.
pair() {
    local label=$1 url=$2 workload=$3 port config pid events messages
    port=$(free_port)
    config=$BENCH_DIR/slawatch-$label-$workload.toml
    write_config "$config" "127.0.0.1:$port" "$url"
    {
        echo
        echo "[projects.bench]"
        printf 'chats = ['
        for i in $(seq 0 1999); do printf '"wechat:grp-%s", ' "$i"; done
        echo ']'
        echo 'staff = ["wechat:wxid_staff"]'
    } >>"$config"
    RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch-$label-$workload.log" "$SLAWATCH_BIN" --config "$config" serve
    pid=$LAST_PID
    wait_ready "http://127.0.0.1:$port" "$pid" 60
    events=$(run "$label-events" "http://127.0.0.1:$port" benches/wrk/event.lua)
    messages=$(run "$label-$workload" "http://127.0.0.1:$port" "benches/wrk/$workload.lua")
    stop_pid "$pid"
    printf '%-10s %-12s events %9.0f req/s   messages %9.0f req/s   ratio %.2f\n' "$label" "$workload" \
        "$events" "$messages" \
        "$(awk -v m="$messages" -v e="$events" 'BEGIN {print m / e}')" >>"$BENCH_DIR/summary.txt"
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$BENCH_DIR/summary.txt"
check_rounds
WORKLOADS=(message conversation)
# MESSAGE_IDS=uuid: first messages with random UUID-like ids (Feishu,
# DingTalk, WeCom) instead of ids in time order.
for round in $(seq 1 "$ROUNDS"); do
    for workload in "${WORKLOADS[@]}"; do
        pair sqlite "sqlite://$BENCH_DIR/slawatch-$round-$workload.db" "$workload"
    done
done
if [[ -n $PG_URL ]]; then
    for workload in "${WORKLOADS[@]}"; do
        pg_fresh_db "$PG_URL" "slawatch_bench_${NONCE//-/_}_$workload"
        pair postgres "$PG_DB_URL" "$workload"
    done
fi
echo
echo "== slawatch chat ingestion benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores) =="
cat "$BENCH_DIR/summary.txt"
if ((ROUNDS > 1)); then
    for workload in "${WORKLOADS[@]}"; do
        printf 'sqlite     %-12s median ratio %.2f over %d rounds\n' "$workload" \
            "$(awk -v w="$workload" '$1 == "sqlite" && $2 == w {print $NF}' "$BENCH_DIR/summary.txt" | median)" \
            "$ROUNDS"
    done
fi
echo "target: messages >= 0.80 x events"
