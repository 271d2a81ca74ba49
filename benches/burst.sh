#!/usr/bin/env bash
# A burst of breaches (docs/benchmarks.md): BURST issues (10,000) whose `ack`
# deadline falls at the same instant, on a fresh SQLite file (or PostgreSQL
# with BURST_BACKEND=postgres and SLAWATCH_BENCH_POSTGRES_URL). Measures
#   1. how long after deadline + grace every breach is recorded and every
#      notification queued (target: within 2 s);
#   2. single-event ingest while the outbox drains to a local webhook
#      receiver, against the same load just before the burst (target: no
#      more than 20% slower);
#   3. how long the outbox takes to drain.
# Needs wrk, curl, python3 (and psql for PostgreSQL).
#
# Knobs: BURST (10000), LOAD_DURATION (8s), CONNECTIONS (64), THREADS (2),
# SKIP_BUILD=1, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

BURST=${BURST:-10000}
LOAD_DURATION=${LOAD_DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BACKEND=${BURST_BACKEND:-sqlite}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building (release)"
    cargo build --release --bin slawatch --example sink
fi
SLAWATCH_BIN=$(target_dir)/release/slawatch
SINK_BIN=$(target_dir)/release/examples/sink
[[ -x $SLAWATCH_BIN && -x $SINK_BIN ]] || die "binaries not found under $(target_dir)/release"
ensure_wrk
command -v python3 >/dev/null || die "python3 is needed"

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-bench.XXXXXX")
NONCE=$(date +%s)-$$
export NONCE

case $BACKEND in
    sqlite) URL="sqlite://$BENCH_DIR/slawatch.db" ;;
    postgres)
        [[ -n ${SLAWATCH_BENCH_POSTGRES_URL:-} ]] || die "set SLAWATCH_BENCH_POSTGRES_URL"
        pg_fresh_db "$SLAWATCH_BENCH_POSTGRES_URL" "slawatch_burst_${NONCE//-/_}"
        URL=$PG_DB_URL
        ;;
    *) die "BURST_BACKEND is sqlite or postgres" ;;
esac

# count SQL: one number from the store.
count() {
    case $URL in
        sqlite:*) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
            "${URL#sqlite://}" "$1" ;;
        *) psql -X -A -t "$URL" -c "$1" ;;
    esac
}

sink_port=$(free_port)
start_bg "$BENCH_DIR/sink.log" "$SINK_BIN" "127.0.0.1:$sink_port" "$BENCH_DIR/sink.count"
sink_pid=$LAST_PID
port=$(free_port)
config=$BENCH_DIR/slawatch.toml
write_config "$config" "127.0.0.1:$port" "$URL" 1s
cat >>"$config" <<CONF

[projects.burst]
notify = { team = ["sink"] }

[channels.sink]
kind = "webhook"
url = "http://127.0.0.1:$sink_port/hook"
CONF
RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch.log" "$SLAWATCH_BIN" --config "$config" serve
pid=$LAST_PID
base="http://127.0.0.1:$port"
wait_ready "$base" "$pid" 60

# Every ack deadline at DUE (10 minutes after the raise), far enough ahead
# for the load and the baseline run.
due=$(($(date +%s) + 25))
raised_at=$(date -u -d "@$((due - 600))" +%Y-%m-%dT%H:%M:%SZ)
log "loading $BURST issues raised at $raised_at (ack due $(date -u -d "@$due" +%H:%M:%S))"
python3 - "$base" "$BURST" "$raised_at" "$NONCE" <<'PY'
import json, sys, urllib.request
base, total, at, nonce = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for start in range(0, total, 1000):
    batch = [{"id": f"burst-{nonce}-{i}", "issue": f"burst-{nonce}-{i}", "kind": "raised", "at": at,
              "project": "burst", "title": "工地停水"} for i in range(start, min(total, start + 1000))]
    request = urllib.request.Request(base + "/v1/events", json.dumps(batch).encode(),
                                     {"content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(request, timeout=60))
    assert answer["accepted"] == len(batch), answer
PY

# load NAME: single-event ingest for LOAD_DURATION; prints req/s.
load() {
    local out=$BENCH_DIR/wrk-$1.txt rps
    NONCE="$NONCE-$1" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$LOAD_DURATION" --timeout 30s -s benches/wrk/event.lua "$base" >"$out" 2>&1 ||
        { cat "$out" >&2; die "$1: wrk failed"; }
    grep -q 'Non-2xx' "$out" && { cat "$out" >&2; die "$1: non-2xx answers"; }
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    log "$1: $rps req/s"
    printf '%s\n' "$rps"
}

baseline=$(load before)
now=$(date +%s)
((now < due)) || die "the baseline ran past the deadline; shorten LOAD_DURATION"
sleep $((due - now))
due_ms=$(((due + 1) * 1000)) # deadline + grace

# Poll while the load runs: when are all breaches and notifications in?
python3 - "$URL" "$BURST" "$due_ms" "$BENCH_DIR/recorded.txt" <<'PY' &
import subprocess, sqlite3, sys, time
url, total, due_ms, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def counts():
    sql = ("SELECT (SELECT COUNT(*) FROM breaches), (SELECT COUNT(*) FROM notifications WHERE kind = 'breach')")
    if url.startswith("sqlite://"):
        return sqlite3.connect(url[len("sqlite://"):]).execute(sql).fetchone()
    row = subprocess.run(["psql", "-X", "-A", "-t", "-F", " ", url, "-c", sql], capture_output=True, text=True).stdout
    return tuple(int(x) for x in row.split())
deadline = time.time() + 60
while time.time() < deadline:
    breaches, notifications = counts()
    if breaches >= total and notifications >= total:
        break
    time.sleep(0.05)
done_ms = int(time.time() * 1000)
open(out, "w").write(f"{breaches} {notifications} {done_ms - due_ms}\n")
PY
poller=$!
during=$(load during)
wait "$poller"
read -r breaches notifications recorded_ms <"$BENCH_DIR/recorded.txt"

drain_start=$(date +%s%N)
for _ in $(seq 1 1200); do
    pending=$(count "SELECT COUNT(*) FROM notifications WHERE state = 'pending'")
    [[ $pending == 0 ]] && break
    sleep 0.25
done
drained_s=$(awk -v a="$drain_start" -v b="$(date +%s%N)" -v d="$due" 'BEGIN {printf "%.1f", (b / 1e9) - d - 1}')
delivered=$(cat "$BENCH_DIR/sink.count")
stop_pid "$pid"
stop_pid "$sink_pid"

echo
echo "== slawatch breach burst ($BACKEND, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores) =="
printf 'breaches recorded %s, notifications queued %s, %s ms after deadline + grace (target <= 2000)\n' \
    "$breaches" "$notifications" "$recorded_ms"
printf 'ingest before the burst %.0f req/s, while it drains %.0f req/s: %.0f%% of before (target >= 80%%)\n' \
    "$baseline" "$during" "$(awk -v a="$during" -v b="$baseline" 'BEGIN {print 100 * a / b}')"
printf 'outbox drained %s s after deadline + grace; the receiver got %s requests\n' "$drained_s" "$delivered"
