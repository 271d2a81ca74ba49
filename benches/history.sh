#!/usr/bin/env bash
# History commands at scale, on a fresh SQLite store (docs/benchmarks.md):
#   1. `slawatch import events` of EVENTS events (default 1,000,000: half
#      `raised`, half `acknowledged` 5-20 minutes later, over the last 300
#      days): events/s and peak RSS (/usr/bin/time's maximum resident set);
#   2. `slawatch report --format csv` over ISSUES issues (default 1,000,000:
#      a second import of as many events brings the store to that many
#      issues): seconds;
#   3. `slawatch replay` of REPLAY_ISSUES issues (default 100,000) on a
#      store of its own: seconds.
# Needs python3 (standard library) to write the input files.
#
# Knobs: EVENTS, REPLAY_ISSUES, SKIP_BUILD=1, BENCH_KEEP=1, CARGO_TARGET_DIR,
# SLAWATCH_BIN (a slawatch binary to measure instead of the one built).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

EVENTS=${EVENTS:-1000000}
REPLAY_ISSUES=${REPLAY_ISSUES:-100000}
GIVEN_BIN=${SLAWATCH_BIN:-}

clear_slawatch_env
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building (release)"
    cargo build --release --bin slawatch
fi
SLAWATCH_BIN=${GIVEN_BIN:-$(target_dir)/release/slawatch}
[[ -x $SLAWATCH_BIN ]] || die "binary not found: $SLAWATCH_BIN"

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slawatch-history.XXXXXX")

# events FILE ISSUES FIRST: raised + acknowledged for ISSUES issues numbered
# from FIRST, spread over the last 300 days.
events() {
    python3 - "$1" "$2" "$3" <<'EOF'
import datetime, json, random, sys
path, issues, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(first)
now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
span = 300 * 86400
fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
with open(path, "w") as out:
    for i in range(first, first + issues):
        raised = now - datetime.timedelta(seconds=span * (1 - (i - first) / issues))
        key = f"bench-{i}"
        out.write(json.dumps({"id": f"{key}-r", "issue": key, "kind": "raised", "at": fmt(raised),
                              "project": f"p{i % 20}", "title": "停水"}) + "\n")
        ack = raised + datetime.timedelta(seconds=random.randint(300, 1200))
        out.write(json.dumps({"id": f"{key}-a", "issue": key, "kind": "acknowledged", "at": fmt(ack),
                              "actor": {"id": f"s{i % 50}", "role": "staff"}}) + "\n")
EOF
}

# config DB: a configuration file for a store at DB.
config() {
    printf '[database]\nurl = "sqlite://%s"\n\n[log]\nformat = "text"\n' "$1" >"$BENCH_DIR/$(basename "$1").toml"
    printf '%s\n' "$BENCH_DIR/$(basename "$1").toml"
}

# timed NAME COMMAND...: runs it under /usr/bin/time; sets SECONDS_TAKEN and PEAK_KIB.
timed() {
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$BENCH_DIR/$name.time" "$@" >"$BENCH_DIR/$name.out" 2>"$BENCH_DIR/$name.err" ||
        die "$name failed: $(tail -5 "$BENCH_DIR/$name.err")"
    read -r SECONDS_TAKEN PEAK_KIB <"$BENCH_DIR/$name.time"
}

HALF=$((EVENTS / 2))
log "writing $EVENTS events ($HALF issues) twice"
events "$BENCH_DIR/first.jsonl" "$HALF" 0
events "$BENCH_DIR/second.jsonl" "$HALF" "$HALF"
MAIN=$(config "$BENCH_DIR/main.db")
"$SLAWATCH_BIN" --config "$MAIN" migrate >/dev/null

log "1. import events: $EVENTS events into a fresh store"
timed import "$SLAWATCH_BIN" --config "$MAIN" import events "$BENCH_DIR/first.jsonl"
IMPORT_RATE=$(python3 -c "print(round($EVENTS / $SECONDS_TAKEN))")
IMPORT_SECONDS=$SECONDS_TAKEN
IMPORT_PEAK=$((PEAK_KIB / 1024))
log "   $(tail -1 "$BENCH_DIR/import.out")"
log "   ${IMPORT_SECONDS}s, $IMPORT_RATE events/s, peak RSS $IMPORT_PEAK MiB"

log "   a second import brings the store to $((2 * HALF)) issues"
timed import2 "$SLAWATCH_BIN" --config "$MAIN" import events "$BENCH_DIR/second.jsonl"
SECOND_RATE=$(python3 -c "print(round($EVENTS / $SECONDS_TAKEN))")
log "   ${SECONDS_TAKEN}s, $SECOND_RATE events/s onto a store that already held $HALF issues"

FROM=$(date -u -d '400 days ago' +%F)
TO=$(date -u -d 'tomorrow' +%F)
log "2. report over $((2 * HALF)) issues ($FROM to $TO)"
timed report "$SLAWATCH_BIN" --config "$MAIN" report --from "$FROM" --to "$TO" --format csv
REPORT_SECONDS=$SECONDS_TAKEN
REPORT_PEAK=$((PEAK_KIB / 1024))
log "   ${REPORT_SECONDS}s, peak RSS $REPORT_PEAK MiB, $(($(wc -l <"$BENCH_DIR/report.out") - 1)) rows"
timed xlsx "$SLAWATCH_BIN" --config "$MAIN" report --from "$FROM" --to "$TO" --format xlsx --out "$BENCH_DIR/report.xlsx"
XLSX_SECONDS=$SECONDS_TAKEN
log "   xlsx (five groupings, staff included): ${XLSX_SECONDS}s"

log "3. replay of $REPLAY_ISSUES issues"
head -n $((2 * REPLAY_ISSUES)) "$BENCH_DIR/first.jsonl" >"$BENCH_DIR/replay.jsonl"
SMALL=$(config "$BENCH_DIR/replay.db")
"$SLAWATCH_BIN" --config "$SMALL" import events "$BENCH_DIR/replay.jsonl" >/dev/null 2>&1
timed replay "$SLAWATCH_BIN" --config "$SMALL" replay
REPLAY_SECONDS=$SECONDS_TAKEN
log "   ${REPLAY_SECONDS}s: $(grep -c . "$BENCH_DIR/replay.out") lines, $(grep 'no differences' -c "$BENCH_DIR/replay.out") 'no differences'"

cat <<EOF

import events ($EVENTS, fresh store)   $IMPORT_RATE events/s (${IMPORT_SECONDS}s), peak RSS $IMPORT_PEAK MiB
import events ($EVENTS, second half)   $SECOND_RATE events/s
report csv over $((2 * HALF)) issues        ${REPORT_SECONDS}s, peak RSS $REPORT_PEAK MiB
report xlsx (5 sheets)               ${XLSX_SECONDS}s
replay of $REPLAY_ISSUES issues            ${REPLAY_SECONDS}s
EOF
