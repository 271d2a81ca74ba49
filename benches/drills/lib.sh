# Shared helpers of the benches/drills/*.sh scripts (sourced, not run),
# on top of benches/lib.sh: build, database, start and kill a server, read
# the load log, and keep the score of targets so that every figure is
# printed before the drill fails.
# shellcheck shell=bash

# shellcheck source=benches/lib.sh
source benches/lib.sh

DRILLS=benches/drills
LOAD=$DRILLS/load.py
# shellcheck disable=SC2034 # read by the drills
RECEIVER=$DRILLS/receiver.py
PG_DEFAULT_URL=postgres://postgres@127.0.0.1:5432/postgres
# Targets missed, reported by drill_verdict.
MISSED=()
# Functions run first on exit, whatever the exit (restart PostgreSQL,
# unmount a tmpfs), before cleanup stops the processes and removes files.
AT_EXIT=()

drill_cleanup() {
    local status=$? hook
    set +e
    for hook in "${AT_EXIT[@]}"; do
        "$hook"
    done
    (exit "$status")
    cleanup
}

# drill_setup NAME: traps, the release binary, a scratch directory.
drill_setup() {
    local name=$1 given=${SLAWATCH_BIN:-}
    clear_slawatch_env
    trap drill_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    command -v python3 >/dev/null 2>&1 || die "python3 is needed (load generator and receiver)"
    command -v curl >/dev/null 2>&1 || die "curl is needed"
    SLAWATCH_BIN=$given
    if [[ -z $SLAWATCH_BIN ]]; then
        if [[ ${SKIP_BUILD:-0} != 1 ]]; then
            log "building (release)"
            cargo build --release --bin slawatch
        fi
        SLAWATCH_BIN=$(target_dir)/release/slawatch
    fi
    [[ -x $SLAWATCH_BIN ]] || die "$SLAWATCH_BIN not found"
    BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-$name.XXXXXX")
    NONCE=$(date +%s)-$$
    log "drill $name: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# drill_database BACKEND NAME: sets DB_URL to a fresh SQLite file or a fresh
# PostgreSQL database (dropped on exit) on SLAWATCH_BENCH_POSTGRES_URL.
drill_database() {
    case $1 in
        sqlite) DB_URL="sqlite://$BENCH_DIR/slawatch.db" ;;
        postgres)
            pg_fresh_db "${SLAWATCH_BENCH_POSTGRES_URL:-$PG_DEFAULT_URL}" "slawatch_drill_$2_${NONCE//-/_}"
            # shellcheck disable=SC2034 # read by the caller
            DB_URL=$PG_DB_URL
            ;;
        *) die "the backend is sqlite or postgres, not '$1'" ;;
    esac
}

# start_server NAME CONFIG PORT: starts slawatch, waits for /readyz 200,
# sets SERVER_PID.
start_server() {
    local name=$1 config=$2 port=$3
    RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/$name.log.$(date +%s%N)" "$SLAWATCH_BIN" --config "$config" serve
    SERVER_PID=$LAST_PID
    wait_ready "http://127.0.0.1:$port" "$SERVER_PID" 60
}

# sql DATABASE_URL QUERY: the first column of the first row.
sql() {
    case $1 in
        sqlite:*)
            python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
                "${1#sqlite://}" "$2"
            ;;
        *) psql -X -A -t -q "$1" -c "$2" ;;
    esac
}

# kill9 PID: SIGKILL, reaped (a zombie would still answer kill -0).
kill9() {
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# now: Unix time with milliseconds.
now() { date +%s.%3N; }

# start_load NAME BASE ARGS...: load.py post in the background; sets LOAD_PID.
start_load() {
    local name=$1 base=$2
    shift 2
    start_bg "$BENCH_DIR/$name.out" python3 "$LOAD" post --base "$base" --prefix "$name-$NONCE" \
        --log "$BENCH_DIR/$name.requests" "$@"
    # shellcheck disable=SC2034 # read by the caller
    LOAD_PID=$LAST_PID
}

# start_probe NAME BASE: load.py probe of /readyz every 0.2 s; sets PROBE_PID.
start_probe() {
    start_bg "$BENCH_DIR/$1.out" python3 "$LOAD" probe --base "$2" --path /readyz --every 0.2 \
        --log "$BENCH_DIR/$1.requests"
    # shellcheck disable=SC2034 # read by the caller
    PROBE_PID=$LAST_PID
}

# window LOG [SINCE [UNTIL]] [--any-status]: see load.py window.
window() {
    local log=$1
    shift
    local args=()
    [[ $# -gt 0 && $1 != --* ]] && { args+=(--since "$1"); shift; }
    [[ $# -gt 0 && $1 != --* ]] && { args+=(--until "$1"); shift; }
    python3 "$LOAD" window --log "$log" "${args[@]}" "$@"
}

# after TIME SINCE: seconds from SINCE to TIME, or -1 if TIME is "-" (never).
after() { if [[ $1 == - ]]; then echo -1; else calc "$1 - $2"; fi; }

# calc EXPRESSION: awk arithmetic, printed with three decimals (awk's own
# print would write Unix times as 1.79666e+09).
calc() { awk "BEGIN {printf \"%.3f\\n\", $1}"; }

# target DESCRIPTION CONDITION: CONDITION is an awk expression; a false one
# is remembered and fails the drill at drill_verdict.
target() {
    if [[ $(awk "BEGIN {print ($2) ? 1 : 0}") != 1 ]]; then
        MISSED+=("$1")
    fi
}

# drill_verdict: exits non-zero, naming each missed target, if any.
drill_verdict() {
    local missed
    if ((${#MISSED[@]} == 0)); then
        log "every target met"
        return 0
    fi
    for missed in "${MISSED[@]}"; do
        log "target missed: $missed"
    done
    die "${#MISSED[@]} target(s) missed"
}
