#!/usr/bin/env bash
# Drill: a full disk under load, SQLite (docs/reliability.md; root, for the
# tmpfs). slawatch keeps its database on a tmpfs of TMPFS_SIZE; CLIENTS
# posters send events with 2 KB of text while /readyz is asked every 0.2 s;
# after BEFORE_SECONDS a file fills the tmpfs to its last byte, stays
# FULL_SECONDS, and is removed; the load goes on AFTER_SECONDS.
#
#   sudo benches/drills/full-disk.sh
#
# Figures: answers while full (503 with Retry-After, never 500; writes that
# fit in the log file's space already allocated still succeed, until a
# checkpoint must grow the database file), /readyz while full (503 while
# writes fail, always under 1 s), seconds from freeing space to the next
# acknowledged event and to /readyz 200, acknowledged events missing
# (target 0), PRAGMA integrity_check after a clean stop (target ok).
# Knobs: TMPFS_SIZE (256m: more than the 64 MiB the log file reaches between checkpoints), CLIENTS (4), BEFORE_SECONDS (3), FULL_SECONDS (5),
# AFTER_SECONDS (5), SKIP_BUILD=1, SLAWATCH_BIN, BENCH_KEEP=1, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=benches/drills/lib.sh
source benches/drills/lib.sh

TMPFS_SIZE=${TMPFS_SIZE:-256m}
CLIENTS=${CLIENTS:-4}
BEFORE_SECONDS=${BEFORE_SECONDS:-3}
FULL_SECONDS=${FULL_SECONDS:-5}
AFTER_SECONDS=${AFTER_SECONDS:-5}
RECOVERY_TARGET=5

[[ $(id -u) -eq 0 ]] || die "the full-disk drill mounts a tmpfs: run it as root"
drill_setup full-disk
DISK=$BENCH_DIR/disk
mkdir "$DISK"
mount -t tmpfs -o "size=$TMPFS_SIZE" tmpfs "$DISK" || die "cannot mount a tmpfs on $DISK"
unmount_disk() {
    stop_pid "${SERVER_PID:-}"
    umount "$DISK" 2>/dev/null || umount -l "$DISK" || log "could not unmount $DISK"
}
AT_EXIT+=(unmount_disk)

DB_URL="sqlite://$DISK/slawatch.db"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
CONFIG=$BENCH_DIR/slawatch.toml
write_config "$CONFIG" "127.0.0.1:$PORT" "$DB_URL"
start_server slawatch "$CONFIG" "$PORT"

REQUESTS=$BENCH_DIR/load.requests
PROBES=$BENCH_DIR/readyz.requests
start_load load "$BASE" --clients "$CLIENTS" --text-bytes 2000
LOADER=$LOAD_PID
start_probe readyz "$BASE"
PROBER=$PROBE_PID
sleep "$BEFORE_SECONDS"

# Fill to the last byte: large writes, then smaller ones, as the test does.
python3 - "$DISK/filler" <<'EOF'
import sys
with open(sys.argv[1], "wb", buffering=0) as file:
    for size in (1 << 16, 512, 1):
        block = bytes(size)
        try:
            while file.write(block):
                pass
        except OSError:
            pass
EOF
FULL_AT=$(now)
log "tmpfs full ($(df -h --output=used,size "$DISK" | tail -1 | tr -s ' ')); $FULL_SECONDS s"
sleep "$FULL_SECONDS"
rm -f "$DISK/filler"
FREED_AT=$(now)
log "space freed"
sleep "$AFTER_SECONDS"
stop_pid "$LOADER"
stop_pid "$PROBER"
stop_pid "$SERVER_PID"

read -r TOTAL OK _ OTHER_5XX_ALL _ NONE_ALL P50 P99 _ _ _ < <(window "$REQUESTS")
read -r F_TOTAL F_OK F_503 F_5XX F_4XX F_NONE _ _ _ _ _ < <(window "$REQUESTS" "$FULL_AT" "$FREED_AT")
read -r _ _ _ _ _ _ _ _ _ FIRST_OK _ < <(window "$REQUESTS" "$FREED_AT")
read -r R_TOTAL R_OK R_503 _ _ R_NONE _ R_P99 R_MAX _ _ < <(window "$PROBES" "$(calc "$FULL_AT + 1")" "$FREED_AT" --any-status)
read -r _ _ _ _ _ _ _ _ _ READY_AGAIN _ < <(window "$PROBES" "$FREED_AT")
read -r ACKED STORED LOST < <(python3 "$LOAD" missing --log "$REQUESTS" --database "$DB_URL")
INTEGRITY=$(sql "$DB_URL" "PRAGMA integrity_check")
WRITES_BACK=$(after "$FIRST_OK" "$FREED_AT")
READY_BACK=$(after "$READY_AGAIN" "$FREED_AT")
EPISODES=$(grep -c 'store writes are failing' "$BENCH_DIR"/slawatch.log.* || true)

cat <<EOF

== drill: full disk under load, SQLite on a $TMPFS_SIZE tmpfs ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ==
requests                      $TOTAL from $CLIENTS clients, $OK acknowledged (p50 $P50 ms, p99 $P99 ms), $NONE_ALL without an answer
while full (${FULL_SECONDS}s)            $F_TOTAL requests: $F_503 answered 503, $F_5XX other 5xx, $F_4XX 4xx, $F_OK 2xx, $F_NONE without an answer
/readyz while full            $R_TOTAL asked (from 1 s after filling): $R_503 answered 503, $R_OK 200, $R_NONE without an answer; p99 $R_P99 ms, max $R_MAX ms   target some 503, all < 1000 ms
space freed -> next 2xx       ${WRITES_BACK}s          target <= $RECOVERY_TARGET s
space freed -> /readyz 200    ${READY_BACK}s          target <= $RECOVERY_TARGET s
episodes logged               $EPISODES ("store writes are failing")
other 5xx over the run        $OTHER_5XX_ALL            target 0
acknowledged and stored       $STORED of $ACKED
acknowledged and missing      $LOST            target 0
integrity_check               $INTEGRITY            target ok
EOF
target "$LOST acknowledged events lost" "$LOST == 0 && $ACKED > 0"
target "$OTHER_5XX_ALL answers 5xx other than 503" "$OTHER_5XX_ALL == 0"
target "no 503 while the disk was full" "$F_503 > 0"
target "/readyz while full: $R_503 answered 503, max $R_MAX ms" "$R_TOTAL > 0 && $R_503 > 0 && $R_NONE == 0 && $R_MAX < 1000"
target "writes back ${WRITES_BACK}s after space was freed" "$WRITES_BACK >= 0 && $WRITES_BACK <= $RECOVERY_TARGET"
target "/readyz 200 ${READY_BACK}s after space was freed" "$READY_BACK >= 0 && $READY_BACK <= $RECOVERY_TARGET"
target "integrity_check: $INTEGRITY" "\"$INTEGRITY\" == \"ok\""
drill_verdict
