#!/usr/bin/env bash
# The 1,000,000-open-issues scenario (docs/benchmarks.md): one slawatch on a
# fresh SQLite file (or PostgreSQL with SLAWATCH_BENCH_POSTGRES_URL and
# SCALE_BACKEND=postgres), engine.grace = 1s.
#   1. load ISSUES open issues through POST /v1/events (arrays of LOAD_BATCH
#      `raised` events, LOAD_CLIENTS concurrent clients), project `bulk`,
#      whose policy (ack 4h / handle 8h / plan 1d) puts every deadline and
#      warning at least 1 h after the load: nothing of theirs falls due;
#   2. post DUE issues (project `due`, default policy, ack 10m) backdated so
#      that their ack deadlines fall every DUE_SPREAD/DUE s during the next
#      DUE_SPREAD s, starting DUE_LEAD s from now;
#   3. while those fall due: GET /v1/issues/{issue} latency on random bulk
#      keys with wrk (1 connection, then GET_CONNECTIONS connections);
#   4. breach detection delay: detected_at - (deadline + grace) of every
#      `due` breach, p50 / p99 / max, and how many were flagged;
#   5. idle CPU: utime + stime of the server over IDLE_SECONDS with nothing due,
#      from IDLE_SETTLE s after the last breach was read (the gauges are
#      recomputed up to 10 s after the last write: that is the writes' tail,
#      not idle work);
#   6. RSS (VmRSS, VmHWM) after load and at the end; database size.
# With REPLICAS=N (PostgreSQL only) N slawatch processes share the database:
# the load and the reads go to the first, and the breaches fall due for
# whichever replica's timer claims them (their other CPU is counted too).
# Knobs: ISSUES (1000000), REPLICAS (1), LOAD_BATCH (1000), LOAD_CLIENTS (4), DUE (300),
# DUE_SPREAD (60), DUE_LEAD (15), GET_SECONDS (15), GET_CONNECTIONS (8),
# IDLE_SECONDS (30), IDLE_SETTLE (15), SKIP_BUILD=1, SLAWATCH_BIN (a binary to measure instead
# of the one built here), BENCH_KEEP=1, CARGO_TARGET_DIR.
# Needs python3 (load generator and statistics, standard library only) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ISSUES=${ISSUES:-1000000}
LOAD_BATCH=${LOAD_BATCH:-1000}
LOAD_CLIENTS=${LOAD_CLIENTS:-4}
DUE=${DUE:-300}
DUE_SPREAD=${DUE_SPREAD:-60}
DUE_LEAD=${DUE_LEAD:-15}
GET_SECONDS=${GET_SECONDS:-15}
GET_CONNECTIONS=${GET_CONNECTIONS:-8}
IDLE_SECONDS=${IDLE_SECONDS:-30}
IDLE_SETTLE=${IDLE_SETTLE:-15}
GRACE_SECONDS=1
SCALE_BACKEND=${SCALE_BACKEND:-sqlite}
REPLICAS=${REPLICAS:-1}
# Read before clear_slawatch_env, which unsets every SLAWATCH_* variable.
GIVEN_BIN=${SLAWATCH_BIN:-}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v python3 >/dev/null 2>&1 || die "python3 is needed (load generator and statistics)"
SLAWATCH_BIN=$GIVEN_BIN
if [[ -z $SLAWATCH_BIN ]]; then
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        log "building (release)"
        cargo build --release --bin slawatch
    fi
    SLAWATCH_BIN=$(target_dir)/release/slawatch
fi
[[ -x $SLAWATCH_BIN ]] || die "$SLAWATCH_BIN not found"
ensure_wrk

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-scale.XXXXXX")
NONCE=$(date +%s)-$$
export NONCE
case $SCALE_BACKEND in
    sqlite) DB_URL="sqlite://$BENCH_DIR/slawatch.db" ;;
    postgres)
        [[ -n ${SLAWATCH_BENCH_POSTGRES_URL:-} ]] || die "SCALE_BACKEND=postgres needs SLAWATCH_BENCH_POSTGRES_URL"
        pg_fresh_db "$SLAWATCH_BENCH_POSTGRES_URL" "slawatch_scale_${NONCE//-/_}"
        DB_URL=$PG_DB_URL
        ;;
    *) die "SCALE_BACKEND must be sqlite or postgres" ;;
esac
((REPLICAS == 1)) || [[ $SCALE_BACKEND == postgres ]] || die "REPLICAS > 1 needs SCALE_BACKEND=postgres"

PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL" "${GRACE_SECONDS}s"
cat >>"$CONFIG" <<'EOF'

# The million open issues: every deadline and warning lies hours ahead.
[[policies]]
name = "bulk"
match = { project = ["bulk"] }
calendar = "24x7"
targets = { ack = "4h", handle = "8h", plan = "1d" }

[[policies]]
name = "default"
calendar = "24x7"
time_zone = "Asia/Shanghai"
targets = { ack = "10m", handle = "2h", plan = "1d" }
EOF

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $SCALE_BACKEND, $ISSUES issues"
RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch.log" "$SLAWATCH_BIN" --config "$CONFIG" serve
PID=$LAST_PID
wait_ready "$BASE" "$PID" 60
log "slawatch pid $PID on $BASE, RSS at start $(($(rss_kib "$PID") / 1024)) MiB"
OTHER_PIDS=()
for ((replica = 2; replica <= REPLICAS; replica++)); do
    other_port=$(free_port)
    sed "s/^listen = .*/listen = \"127.0.0.1:$other_port\"/" "$CONFIG" >"$BENCH_DIR/replica-$replica.toml"
    RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/replica-$replica.log" "$SLAWATCH_BIN" --config "$BENCH_DIR/replica-$replica.toml" serve
    OTHER_PIDS+=("$LAST_PID")
    wait_ready "http://127.0.0.1:$other_port" "$LAST_PID" 60
    log "replica $replica: pid $LAST_PID on port $other_port"
done

# --- 1. load ------------------------------------------------------------
# The load generator (benches/load_issues.py): posts arrays of `raised`
# events and checks that each one was accepted; prints "events seconds".
load_issues() {
    python3 benches/load_issues.py "$BASE" "$ISSUES" "$LOAD_BATCH" "$LOAD_CLIENTS" "$NONCE"
}

log "loading $ISSUES open issues (arrays of $LOAD_BATCH, $LOAD_CLIENTS clients)"
read -r LOADED LOAD_SECONDS < <(load_issues) || true
[[ ${LOADED:-} == "$ISSUES" ]] || die "load did not complete (loaded ${LOADED:-0} of $ISSUES)"
LOAD_RATE=$(awk -v n="$LOADED" -v s="$LOAD_SECONDS" 'BEGIN {printf "%.0f", n / s}')
RSS_LOADED=$(rss_kib "$PID")
log "loaded $LOADED issues in ${LOAD_SECONDS}s ($LOAD_RATE events/s); RSS $((RSS_LOADED / 1024)) MiB"

# --- 2. issues that fall due during the measurement ----------------------
DUE_FIRST_MS=$(($(date +%s%3N) + DUE_LEAD * 1000))
python3 - "$BASE" "$DUE" "$DUE_SPREAD" "$DUE_FIRST_MS" "$NONCE" <<'EOF' || die "posting the due issues failed"
import http.client, json, sys, datetime, urllib.parse
base, count, spread, first_ms, nonce = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
url = urllib.parse.urlsplit(base)
events = []
for i in range(count):
    deadline_ms = first_ms + int(i * spread * 1000 / max(1, count))
    at = datetime.datetime.fromtimestamp((deadline_ms - 600_000) / 1000, datetime.timezone.utc)
    events.append({"id": "due-%s-%d" % (nonce, i), "issue": "due-%s-%d" % (nonce, i), "kind": "raised",
                   "at": at.isoformat(timespec="milliseconds"), "project": "due", "title": "falls due"})
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
for start in range(0, count, 1000):
    conn.request("POST", "/v1/events", json.dumps(events[start:start + 1000]), {"Content-Type": "application/json"})
    response = conn.getresponse()
    result = json.loads(response.read())
    if response.status != 200 or result["accepted"] != len(events[start:start + 1000]):
        sys.exit("due issues not accepted: %s %s" % (response.status, str(result)[:300]))
EOF
log "posted $DUE issues whose ack deadlines fall over ${DUE_SPREAD}s from $DUE_LEAD s from now"

# --- 3. GET /v1/issues/{issue} latency -----------------------------------
cat >"$BENCH_DIR/get.lua" <<EOF
-- GET /v1/issues/{issue} on random keys among the loaded issues.
local issues = $ISSUES
local nonce = "$NONCE"
function init(args)
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end
function request()
   return wrk.format("GET", "/v1/issues/scale-" .. nonce .. "-" .. math.random(0, issues - 1))
end
EOF
# get_latency CONNECTIONS: runs wrk, prints "p50_ms p99_ms req/s".
get_latency() {
    local connections=$1 out=$BENCH_DIR/wrk-get-$1.txt threads=1
    ((connections > 1)) && threads=2
    wrk -t"$threads" -c"$connections" -d"${GET_SECONDS}s" --latency -s "$BENCH_DIR/get.lua" "$BASE" >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk (GET) failed"; }
    sed 's/^/    /' "$out" >&2
    if grep -q "Non-2xx" "$out"; then die "GET: $(grep Non-2xx "$out")"; fi
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)} /^Requests\/sec:/ {rps = $2}
        END {printf "%.2f %.2f %.0f\n", p50, p99, rps}' "$out"
}
log "GET /v1/issues/{issue}: wrk, 1 connection, ${GET_SECONDS}s"
read -r GET1_P50 GET1_P99 GET1_RPS < <(get_latency 1)
log "GET /v1/issues/{issue}: wrk, $GET_CONNECTIONS connections, ${GET_SECONDS}s"
read -r GETN_P50 GETN_P99 GETN_RPS < <(get_latency "$GET_CONNECTIONS")

# --- 4. breach detection delay -------------------------------------------
LAST_DUE_MS=$((DUE_FIRST_MS + DUE_SPREAD * 1000 + GRACE_SECONDS * 1000))
WAIT_MS=$((LAST_DUE_MS + 5000 - $(date +%s%3N)))
if ((WAIT_MS > 0)); then
    log "waiting $((WAIT_MS / 1000)) s for the last deadline + grace + 5 s"
    sleep "$((WAIT_MS / 1000)).$((WAIT_MS % 1000 / 100))"
fi
read -r DET_COUNT DET_P50 DET_P99 DET_MAX DET_LATE < <(
    python3 - "$BASE" "$DUE_FIRST_MS" "$GRACE_SECONDS" <<'EOF'
import http.client, json, sys, datetime, urllib.parse
base, first_ms, grace = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
delays, late, cursor = [], 0, None
for _ in range(10000):
    path = "/v1/breaches?project=due&limit=500" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
    conn.request("GET", path)
    response = conn.getresponse()
    page = json.loads(response.read())
    if response.status != 200:
        sys.exit("GET /v1/breaches: %s %s" % (response.status, page))
    for breach in page["items"]:
        deadline = datetime.datetime.fromisoformat(breach["deadline"]).timestamp()
        if deadline * 1000 < first_ms - 1000:
            continue
        detected = datetime.datetime.fromisoformat(breach["detected_at"]).timestamp()
        delays.append(detected - (deadline + grace))
        late += bool(breach.get("detected_late"))
    cursor = page.get("next_cursor")
    if not cursor:
        break
delays.sort()
def pct(p):
    return delays[min(len(delays) - 1, int(round(p / 100 * (len(delays) - 1))))] if delays else float("nan")
print(len(delays), "%.3f" % pct(50), "%.3f" % pct(99), "%.3f" % (delays[-1] if delays else float("nan")), late)
EOF
)
log "breaches flagged: $DET_COUNT of $DUE; delay after deadline + grace: p50 ${DET_P50}s p99 ${DET_P99}s max ${DET_MAX}s; detected_late: $DET_LATE"

# --- 5. idle CPU ----------------------------------------------------------
HZ=$(getconf CLK_TCK)
# all_ticks: CPU ticks of every replica.
all_ticks() {
    local total=0 pid
    for pid in "$PID" "${OTHER_PIDS[@]}"; do
        total=$((total + $(cpu_ticks "$pid")))
    done
    echo "$total"
}
SETTLE_BEFORE=$(all_ticks)
log "settling ${IDLE_SETTLE}s (the gauges' refresh after the last write)"
sleep "$IDLE_SETTLE"
SETTLE_CPU_S=$(awk -v t=$(($(all_ticks) - SETTLE_BEFORE)) -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}')
log "idle CPU: ${IDLE_SECONDS}s with nothing due"
BEFORE=$(all_ticks)
sleep "$IDLE_SECONDS"
AFTER=$(all_ticks)
IDLE_CPU_S=$(awk -v t=$((AFTER - BEFORE)) -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}')
IDLE_CPU_PCT=$(awk -v t=$((AFTER - BEFORE)) -v hz="$HZ" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", 100 * t / hz / s}')

# --- 6. memory, size --------------------------------------------------------
RSS_END=$(rss_kib "$PID")
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
DB_SIZE=n/a
if [[ $SCALE_BACKEND == sqlite ]]; then
    DB_SIZE="$(du -sm "$BENCH_DIR" | cut -f1) MiB"
fi
stop_pid "$PID"
for pid in "${OTHER_PIDS[@]}"; do
    stop_pid "$pid"
done

cat <<EOF

== slawatch open-issues scenario: $LOADED open issues ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $SCALE_BACKEND, $REPLICAS replica(s), load $(cut -d' ' -f1-3 /proc/loadavg)) ==
open issues loaded            $LOADED in ${LOAD_SECONDS}s = $LOAD_RATE events/s (arrays of $LOAD_BATCH, $LOAD_CLIENTS clients)
RSS after load                $((RSS_LOADED / 1024)) MiB
RSS at end / peak (VmHWM)     $((RSS_END / 1024)) MiB / $((HWM / 1024)) MiB            target <= 300 MiB
breach detection delay        p50 ${DET_P50}s  p99 ${DET_P99}s  max ${DET_MAX}s  ($DET_COUNT of $DUE flagged, $DET_LATE detected_late)   target p99 <= 1 s
GET /v1/issues/{issue}, 1 conn    p50 ${GET1_P50} ms  p99 ${GET1_P99} ms  ($GET1_RPS req/s)   target p99 <= 5 ms
GET /v1/issues/{issue}, $GET_CONNECTIONS conns   p50 ${GETN_P50} ms  p99 ${GETN_P99} ms  ($GETN_RPS req/s)
idle CPU over ${IDLE_SECONDS}s            ${IDLE_CPU_S} CPU-s = ${IDLE_CPU_PCT}% of one core   target near zero (settling ${IDLE_SETTLE}s before: ${SETTLE_CPU_S} CPU-s)
database size                 $DB_SIZE
EOF
[[ $DET_COUNT == "$DUE" ]] || die "only $DET_COUNT of $DUE breaches were flagged"
