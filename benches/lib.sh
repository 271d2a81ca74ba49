# Shared helpers of the benches/*.sh scripts (sourced, not run).
# shellcheck shell=bash

# Processes started by the benchmark, stopped by cleanup() on any exit.
BENCH_PIDS=()
# Databases created on PostgreSQL, dropped by cleanup().
BENCH_PG_DROP=()
BENCH_PG_ADMIN_URL=""
BENCH_KEEP=${BENCH_KEEP:-0}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# Settings of the caller's environment must not leak into the server under
# test: its configuration comes only from the file the benchmark writes.
clear_slawatch_env() {
    local name
    for name in $(compgen -e); do
        case $name in
            SLAWATCH_BENCH_*) ;;
            SLAWATCH_*) unset "$name" ;;
        esac
    done
}

target_dir() { printf '%s\n' "${CARGO_TARGET_DIR:-$PWD/target}"; }

# A TCP port on 127.0.0.1 that nothing listens on (bounded tries).
free_port() {
    local port try
    for try in $(seq 1 50); do
        port=$((20000 + (RANDOM * 7 + try) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "no free port found"
}

# start_bg LOGFILE CMD...: starts CMD in the background, remembers its pid.
start_bg() {
    local logfile=$1
    shift
    "$@" >"$logfile" 2>&1 &
    BENCH_PIDS+=("$!")
    # shellcheck disable=SC2034 # read by the caller
    LAST_PID=$!
}

# stop_pid PID: SIGTERM, then SIGKILL after 15 s; waits for it.
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 15 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? pid db
    trap - EXIT INT TERM
    for pid in "${BENCH_PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [[ -n $BENCH_PG_ADMIN_URL ]]; then
        for db in "${BENCH_PG_DROP[@]}"; do
            if [[ $BENCH_KEEP == 1 ]]; then
                log "keeping PostgreSQL database $db (BENCH_KEEP=1)"
            else
                psql -q -X "$BENCH_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
                    log "could not drop PostgreSQL database $db"
            fi
        done
    fi
    if [[ -n ${BENCH_DIR:-} && -d $BENCH_DIR ]]; then
        if [[ $BENCH_KEEP == 1 ]]; then
            log "keeping $BENCH_DIR (BENCH_KEEP=1)"
        else
            rm -rf "$BENCH_DIR"
        fi
    fi
    exit "$status"
}

# wait_http URL SECONDS: until URL answers (any HTTP status), or fail.
wait_http() {
    local url=$1 seconds=$2
    for _ in $(seq 1 $((seconds * 10))); do
        if curl -s -o /dev/null --max-time 1 "$url"; then
            return 0
        fi
        sleep 0.1
    done
    die "$url did not answer within $seconds s"
}

# wait_ready BASE_URL PID SECONDS: until /readyz answers 200.
wait_ready() {
    local base=$1 pid=$2 seconds=$3 code
    for _ in $(seq 1 $((seconds * 10))); do
        kill -0 "$pid" 2>/dev/null || die "the server (pid $pid) exited during start; see its log"
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$base/readyz" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    die "$base/readyz did not answer 200 within $seconds s"
}

# write_config FILE LISTEN DATABASE_URL [GRACE]: a slawatch configuration
# with the built-in default policy (10m / 2h / 1d, 24x7), no tokens (auth
# off: loopback only).
write_config() {
    local file=$1 listen=$2 url=$3 grace=${4:-30s}
    cat >"$file" <<EOF
# Written by benches/*.sh for one benchmark run.
[server]
listen = "$listen"

[database]
url = "$url"

[engine]
grace = "$grace"
EOF
}

# cpu_ticks PID: utime + stime of the process, in clock ticks.
cpu_ticks() {
    # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends
    # the command name (which may hold spaces).
    local stat
    stat=$(cat "/proc/$1/stat") || return 1
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    # After the name, field 3 (state) is $1, so utime (14) is ${12}, stime (15) is ${13}.
    printf '%s\n' $((${12} + ${13}))
}

# rss_kib PID: resident set size in KiB (VmRSS).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ensure_wrk: installs Debian's wrk if it is missing.
ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    log "wrk not found: installing it with apt-get"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
    fi
    command -v wrk >/dev/null 2>&1 || die "wrk could not be installed"
}

# pg_fresh_db ADMIN_URL NAME: creates database NAME (dropped on exit) and
# sets PG_DB_URL to its URL. Not to be called in $(...): the subshell would
# lose the list of databases to drop.
pg_fresh_db() {
    local admin=$1 name=$2 base query="" rest host
    command -v psql >/dev/null 2>&1 || die "psql (postgresql-client) is needed to create the benchmark database"
    psql -q -X "$admin" -c "CREATE DATABASE \"$name\"" >/dev/null || die "cannot create database $name on $admin"
    BENCH_PG_ADMIN_URL=$admin
    BENCH_PG_DROP+=("$name")
    base=${admin%%\?*}
    [[ $admin == *\?* ]] && query=${admin#*\?}
    rest=${base#*://}
    host=${rest%%/*}
    # shellcheck disable=SC2034 # read by the caller
    PG_DB_URL=$(printf '%s://%s/%s%s' "${base%%://*}" "$host" "$name" "${query:+?$query}")
}

# count_events DATABASE_URL: rows in the events table.
count_events() {
    local url=$1
    case $url in
        sqlite:*)
            local path=${url#sqlite://}
            path=${path#sqlite:}
            path=${path%%\?*}
            python3 - "$path" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM events").fetchone()[0])
EOF
            ;;
        postgres*)
            psql -X -A -t "$url" -c "SELECT COUNT(*) FROM events"
            ;;
    esac
}

# check_rounds: ROUNDS is a positive whole number.
check_rounds() {
    [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, not '$ROUNDS'"
}

# median: the median of the numbers on standard input (whitespace-separated).
median() {
    tr -s ' \t' '\n\n' | grep . | sort -g |
        awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
