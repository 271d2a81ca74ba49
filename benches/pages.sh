#!/usr/bin/env bash
# The pages at a million open issues (docs/benchmarks.md): one slawatch on a
# fresh SQLite file, with a token (so pages need a signed link, as a phone
# opening an alert or a TV has) and a link secret the script also knows.
#   1. load ISSUES open issues (benches/load_issues.py, as benches/scale.sh:
#      project `bulk`, ack 4h / handle 8h / plan 1d, nothing due for hours);
#   2. post HOT issues of project `hot` (ack 10m) raised over the last
#      15 minutes: breached, at risk and fresh ones, so that each part of the
#      board has issues;
#   3. wrk --latency, CONNECTIONS connections, DURATION seconds each, on
#      - the issue page `/i/{issue}?exp=…&sig=…`, random among LINKS signed
#        links to bulk issues;
#      - the zone board `/board?exp=…&sig=…` (its first page of 50, with the
#        per-project counts), its rows only (`&fragment=1`, what a TV polls),
#        and the board of project `bulk` (`/board/bulk?…`);
#      - the board's second page (by its keyset cursor, as the page links it);
#   4. bytes of each page.
# Prints p50 / p99 latency and requests per second of each. Target: p99 <=
# 20 ms for the issue page and the board's first page.
# Knobs: ISSUES (1000000), HOT (2000), LOAD_BATCH (1000), LOAD_CLIENTS (4),
# DURATION (seconds each, 15), CONNECTIONS (4), LINKS (10000), SKIP_BUILD=1, SLAWATCH_BIN,
# BENCH_KEEP=1, CARGO_TARGET_DIR.
# Needs python3 (load, signed links; standard library only), wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ISSUES=${ISSUES:-1000000}
HOT=${HOT:-2000}
LOAD_BATCH=${LOAD_BATCH:-1000}
LOAD_CLIENTS=${LOAD_CLIENTS:-4}
SECONDS_EACH=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-4}
LINKS=${LINKS:-10000}
GIVEN_BIN=${SLAWATCH_BIN:-}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v python3 >/dev/null 2>&1 || die "python3 is needed (load generator, signed links)"
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

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-pages.XXXXXX")
NONCE=$(date +%s)-$$
TOKEN=bench-pages-token-$NONCE
LINK_SECRET=bench-pages-link-secret-$NONCE
export BENCH_PAGES_TOKEN=$TOKEN BENCH_PAGES_LINK_SECRET=$LINK_SECRET
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "sqlite://$BENCH_DIR/slawatch.db"
# The [server] table is the first one write_config writes: its keys follow it.
python3 - "$CONFIG" "$BASE" <<'EOF'
import sys
path, base = sys.argv[1], sys.argv[2]
text = open(path).read().replace("[server]\n", '[server]\npublic_url = "%s"\nlink_secret_env = "BENCH_PAGES_LINK_SECRET"\n' % base, 1)
open(path, "w").write(text)
EOF
cat >>"$CONFIG" <<'EOF'

[[tokens]]
name = "bench"
scopes = ["ingest", "read"]
secret_env = "BENCH_PAGES_TOKEN"

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

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); sqlite, $ISSUES issues"
RUST_LOG=${RUST_LOG:-warn} start_bg "$BENCH_DIR/slawatch.log" "$SLAWATCH_BIN" --config "$CONFIG" serve
PID=$LAST_PID
wait_ready "$BASE" "$PID" 60
log "slawatch pid $PID on $BASE"

# --- 1. load ----------------------------------------------------------------
log "loading $ISSUES open issues (arrays of $LOAD_BATCH, $LOAD_CLIENTS clients)"
read -r LOADED LOAD_SECONDS < <(
    python3 benches/load_issues.py "$BASE" "$ISSUES" "$LOAD_BATCH" "$LOAD_CLIENTS" "$NONCE" "$TOKEN"
) || true
[[ ${LOADED:-} == "$ISSUES" ]] || die "load did not complete (loaded ${LOADED:-0} of $ISSUES)"
log "loaded $LOADED issues in ${LOAD_SECONDS}s"

# --- 2. issues in every part of the board -------------------------------------
python3 - "$BASE" "$HOT" "$NONCE" "$TOKEN" <<'EOF' || die "posting the hot issues failed"
import http.client, json, sys, datetime, urllib.parse
base, count, nonce, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
url = urllib.parse.urlsplit(base)
now = datetime.datetime.now(datetime.timezone.utc)
events = []
for i in range(count):
    # Raised 0-15 min ago: ack (10 min, warning at 8) breached for a third,
    # at risk for an eighth, running for the rest.
    at = now - datetime.timedelta(seconds=(i * 7919) % 900)
    events.append({"id": "hot-%s-%d" % (nonce, i), "issue": "hot-%s-%d" % (nonce, i), "kind": "raised",
                   "at": at.isoformat(timespec="milliseconds"), "project": "hot", "title": "hot issue %d" % i})
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
for start in range(0, count, 1000):
    chunk = events[start:start + 1000]
    conn.request("POST", "/v1/events", json.dumps(chunk),
                 {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    response = conn.getresponse()
    result = json.loads(response.read())
    if response.status != 200 or result["accepted"] != len(chunk):
        sys.exit("hot issues not accepted: %s %s" % (response.status, str(result)[:300]))
EOF
log "posted $HOT issues of project hot, raised over the last 15 minutes"

# --- 3. signed links ------------------------------------------------------------
# HMAC-SHA256 over "{purpose}\n{subject}\n{expires}", keyed by the link
# secret, base64url without padding (src/domain/link.rs).
python3 - "$BENCH_DIR" "$ISSUES" "$LINKS" "$NONCE" "$LINK_SECRET" <<'EOF'
import base64, hashlib, hmac, random, sys, time
out, issues, links, nonce, secret = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5].encode()
expires = int(time.time()) + 86400
def query(purpose, subject):
    mac = hmac.new(secret, ("%s\n%s\n%d" % (purpose, subject, expires)).encode(), hashlib.sha256).digest()
    return "exp=%d&sig=%s" % (expires, base64.urlsafe_b64encode(mac).decode().rstrip("="))
rng = random.Random(20)
with open(out + "/issue.lua", "w") as lua:
    lua.write("-- GET /i/{issue} with signed links to random loaded issues.\nlocal paths = {\n")
    for _ in range(links):
        key = "scale-%s-%d" % (nonce, rng.randrange(issues))
        lua.write('  "/i/%s?%s",\n' % (key, query("issue", key)))
    lua.write("}\nfunction init(args)\n  math.randomseed(os.time() + (tonumber(tostring({}):match(\"0x(%x+)\"), 16) or 0) % 100000)\nend\n")
    lua.write("function request()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n")
with open(out + "/board-zone.txt", "w") as f:
    f.write("/board?" + query("board", "*"))
with open(out + "/board-bulk.txt", "w") as f:
    f.write("/board/bulk?" + query("board", "bulk"))
with open(out + "/board-hot.txt", "w") as f:
    f.write("/board/hot?" + query("board", "hot"))
EOF
BOARD=$(cat "$BENCH_DIR/board-zone.txt")
BOARD_BULK=$(cat "$BENCH_DIR/board-bulk.txt")
BOARD_HOT=$(cat "$BENCH_DIR/board-hot.txt")
FIRST_ISSUE=$(sed -n 3p "$BENCH_DIR/issue.lua" | tr -d ' ",')

# Every page answers 200 before it is measured; the board's first answer
# also takes the first count of every open issue (shared afterwards).
check_page() {
    local path=$1 code
    code=$(curl -s -o "$BENCH_DIR/page.html" -w '%{http_code}' --max-time 120 "$BASE$path")
    [[ $code == 200 ]] || die "GET $path answered $code: $(head -c 300 "$BENCH_DIR/page.html")"
    wc -c <"$BENCH_DIR/page.html" | tr -d ' '
}
T0=$(date +%s%3N)
BOARD_BYTES=$(check_page "$BOARD")
log "first board page (with the first count): $(($(date +%s%3N) - T0)) ms, $BOARD_BYTES bytes"
grep -q 'class="row ' "$BENCH_DIR/page.html" || die "the board shows no issue"
# The next page's link, HTML-escaped in the page (`&amp;`, `&#x2f;`).
NEXT=$(python3 - "$BENCH_DIR/page.html" <<'EOF'
import html, re, sys
links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', open(sys.argv[1]).read())]
print(next((h for h in links if h.startswith("/board?") and "after=" in h), ""))
EOF
)
[[ -n $NEXT ]] || die "the board's first page links no next page"
ISSUE_BYTES=$(check_page "$FIRST_ISSUE")
FRAGMENT_BYTES=$(check_page "$BOARD&fragment=1")
BULK_BYTES=$(check_page "$BOARD_BULK")
NEXT_BYTES=$(check_page "$NEXT")
STAGE_BYTES=$(check_page "$BOARD&stage=handle")
STAGE_HOT_BYTES=$(check_page "${BOARD_HOT}&stage=ack")

# measure NAME PATH|-s SCRIPT: wrk, prints "p50_ms p99_ms req/s".
measure() {
    local name=$1 out=$BENCH_DIR/wrk-$1.txt target
    shift
    local threads=1
    ((CONNECTIONS > 1)) && threads=2
    if [[ $1 == -s ]]; then
        target=(-s "$2" "$BASE")
    else
        target=("$BASE$1")
    fi
    wrk -t"$threads" -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency "${target[@]}" >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk ($name) failed"; }
    sed 's/^/    /' "$out" >&2
    if grep -q "Non-2xx" "$out"; then die "$name: $(grep Non-2xx "$out")"; fi
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)} /^Requests\/sec:/ {rps = $2}
        END {printf "%.2f %.2f %.0f\n", p50, p99, rps}' "$out"
}
log "issue page: wrk, $CONNECTIONS connections, ${SECONDS_EACH}s"
read -r ISSUE_P50 ISSUE_P99 ISSUE_RPS < <(measure issue -s "$BENCH_DIR/issue.lua")
log "zone board, first page: wrk"
read -r BOARD_P50 BOARD_P99 BOARD_RPS < <(measure board "$BOARD")
log "zone board rows (fragment): wrk"
read -r FRAG_P50 FRAG_P99 FRAG_RPS < <(measure fragment "$BOARD&fragment=1")
log "board of project bulk: wrk"
read -r BULK_P50 BULK_P99 BULK_RPS < <(measure bulk "$BOARD_BULK")
log "zone board, second page by cursor: wrk"
read -r NEXT_P50 NEXT_P99 NEXT_RPS < <(measure next "$NEXT")
log "zone board filtered to handle: wrk"
read -r STAGE_P50 STAGE_P99 STAGE_RPS < <(measure stage "$BOARD&stage=handle")
log "board of project hot filtered to ack: wrk"
read -r STAGE_HOT_P50 STAGE_HOT_P99 STAGE_HOT_RPS < <(measure stage-hot "${BOARD_HOT}&stage=ack")
RSS_END=$(rss_kib "$PID")
DB_SIZE="$(du -sm "$BENCH_DIR" | cut -f1) MiB"
stop_pid "$PID"

cat <<EOF

== slawatch pages: $LOADED + $HOT open issues ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, sqlite, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
wrk: $CONNECTIONS connections, ${SECONDS_EACH}s each                     p50 ms   p99 ms    req/s   bytes
/i/{issue} (signed link)                          $(printf '%8s %8s %8s %7s' "$ISSUE_P50" "$ISSUE_P99" "$ISSUE_RPS" "$ISSUE_BYTES")   target p99 <= 20 ms
/board (zone, first page of 50, counts)           $(printf '%8s %8s %8s %7s' "$BOARD_P50" "$BOARD_P99" "$BOARD_RPS" "$BOARD_BYTES")   target p99 <= 20 ms
/board?fragment=1 (rows only, what a TV polls)    $(printf '%8s %8s %8s %7s' "$FRAG_P50" "$FRAG_P99" "$FRAG_RPS" "$FRAGMENT_BYTES")
/board/bulk (one project, first page)             $(printf '%8s %8s %8s %7s' "$BULK_P50" "$BULK_P99" "$BULK_RPS" "$BULK_BYTES")
/board second page (keyset cursor)                $(printf '%8s %8s %8s %7s' "$NEXT_P50" "$NEXT_P99" "$NEXT_RPS" "$NEXT_BYTES")
/board?stage=handle (zone, one stage's clock)     $(printf '%8s %8s %8s %7s' "$STAGE_P50" "$STAGE_P99" "$STAGE_RPS" "$STAGE_BYTES")
/board/hot?stage=ack (small project, one stage)   $(printf '%8s %8s %8s %7s' "$STAGE_HOT_P50" "$STAGE_HOT_P99" "$STAGE_HOT_RPS" "$STAGE_HOT_BYTES")
RSS at end                                        $((RSS_END / 1024)) MiB
database size                                     $DB_SIZE
EOF
