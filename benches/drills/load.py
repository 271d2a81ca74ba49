#!/usr/bin/env python3
"""Load, probes and counts for the drills in benches/drills/ (standard library only).

  load.py post --base URL --seconds S --clients C --prefix P --log FILE [--rate R]
      Posts one `raised` event per request from C threads, each on its own
      keep-alive connection, until S seconds have passed or SIGTERM. Every
      request is logged as "END_TIME STATUS LATENCY_MS EVENT_ID" (status 0:
      no answer: refused, reset or timed out). A 2xx answer is an
      acknowledgement: the event must be stored. --rate spreads R requests
      a second over the clients; --at-offset backdates `at` (seconds).
  load.py probe --base URL --path /readyz --every 0.2 --log FILE
      Requests PATH every EVERY seconds until SIGTERM, logging
      "START_TIME STATUS LATENCY_MS" (timeout 5 s, so a slow answer shows).
  load.py window --log FILE [--since T] [--until T]
      One line: requests 2xx 503 other_5xx 4xx no_answer p50_ms p99_ms max_ms
      first_2xx last_non_2xx (times are Unix seconds, "-" when none), over
      requests that ended in [since, until); latencies of 2xx answers, or of
      every answer with --any-status.
  load.py missing --log FILE --database URL
      One line: acknowledged stored missing, then up to 5 missing ids on stderr.
  load.py minutes --log FILE --start T
      One line per whole minute from T: minute requests 2xx p50_ms p99_ms.
  load.py backdated --base URL --count N --prefix P --due-in S [--spread W]
      Posts N `raised` events (arrays of 1000) of N issues of --project,
      backdated so that their ack deadlines (--target seconds after `at`,
      600 by default) fall from S seconds from now, evenly over W seconds.
      Prints the Unix time of the first deadline.
"""

import argparse
import datetime
import http.client
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse


def connect(base, timeout):
    url = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)


class Log:
    """Lines appended by many threads, flushed twice a second (so a drill can
    read progress while the load runs) and at the end."""

    def __init__(self, path):
        self.file = open(path, "a", buffering=1 << 16)
        self.lock = threading.Lock()

    def write(self, line):
        with self.lock:
            self.file.write(line + "\n")

    def flush(self):
        with self.lock:
            self.file.flush()


def stop_on_signals(stop):
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())


def flusher(log, stop):
    while not stop.wait(0.5):
        log.flush()


def post(args):
    stop = threading.Event()
    stop_on_signals(stop)
    log = Log(args.log)
    text = "x" * args.text_bytes
    interval = args.clients / args.rate if args.rate else 0.0
    deadline = time.time() + args.seconds

    def body(event_id):
        at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=args.at_offset)
        event = {"id": event_id, "issue": event_id, "kind": "raised",
                 "at": at.isoformat(timespec="milliseconds"), "project": args.project,
                 "priority": "normal", "title": "drill " + event_id,
                 "actor": {"id": "drill", "role": "requester"}}
        if text:
            event["text"] = text
        return json.dumps(event)

    def client(number):
        conn = connect(args.base, args.timeout)
        sent = 0
        next_at = time.time() + interval * number / max(1, args.clients)
        while not stop.is_set() and time.time() < deadline:
            if interval:
                pause = next_at - time.time()
                if pause > 0:
                    time.sleep(pause)
                next_at += interval
            event_id = "%s-%d-%d" % (args.prefix, number, sent)
            sent += 1
            started = time.time()
            try:
                conn.request("POST", "/v1/events", body(event_id), {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = connect(args.base, args.timeout)
                status = 0
            ended = time.time()
            log.write("%.4f %d %.2f %s" % (ended, status, (ended - started) * 1000, event_id))
            if not 200 <= status < 300:
                # A refusal is answered at once: do not spin on it.
                time.sleep(0.1)

    threading.Thread(target=flusher, args=(log, stop), daemon=True).start()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.flush()


def probe(args):
    stop = threading.Event()
    stop_on_signals(stop)
    log = Log(args.log)
    threading.Thread(target=flusher, args=(log, stop), daemon=True).start()
    while not stop.is_set():
        started = time.time()
        conn = connect(args.base, 5)
        try:
            conn.request("GET", args.path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            conn.close()
        log.write("%.4f %d %.2f" % (started, status, (time.time() - started) * 1000))
        stop.wait(max(0.0, args.every - (time.time() - started)))
    log.flush()


def read_log(path, since=None, until=None):
    rows = []
    with open(path) as file:
        for line in file:
            parts = line.split()
            if len(parts) < 3:
                continue
            at, status, latency = float(parts[0]), int(parts[1]), float(parts[2])
            if (since is not None and at < since) or (until is not None and at >= until):
                continue
            rows.append((at, status, latency, parts[3] if len(parts) > 3 else ""))
    return rows


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def window(args):
    rows = read_log(args.log, args.since, args.until)
    ok = [r for r in rows if 200 <= r[1] < 300]
    latencies = [r[2] for r in (rows if args.any_status else ok)]
    not_ok = [r for r in rows if not 200 <= r[1] < 300]
    print(len(rows), len(ok), sum(r[1] == 503 for r in rows),
          sum(500 <= r[1] < 600 and r[1] != 503 for r in rows),
          sum(400 <= r[1] < 500 for r in rows), sum(r[1] == 0 for r in rows),
          "%.2f" % percentile(latencies, 50), "%.2f" % percentile(latencies, 99),
          "%.2f" % (max(latencies) if latencies else float("nan")),
          "%.3f" % min(r[0] for r in ok) if ok else "-",
          "%.3f" % max(r[0] for r in not_ok) if not_ok else "-")


def stored_ids(database):
    if database.startswith("sqlite:"):
        path = database.split("://", 1)[-1] if "://" in database else database[len("sqlite:"):]
        path = path.split("?", 1)[0]
        db = sqlite3.connect(path)
        return {row[0] for row in db.execute("SELECT id FROM events")}
    out = subprocess.run(["psql", "-X", "-q", database, "-c", "COPY (SELECT id FROM events) TO STDOUT"],
                         check=True, capture_output=True, text=True).stdout
    return set(out.split("\n")) - {""}


def missing(args):
    acknowledged = {r[3] for r in read_log(args.log) if 200 <= r[1] < 300}
    stored = stored_ids(args.database)
    lost = sorted(acknowledged - stored)
    print(len(acknowledged), len(acknowledged) - len(lost), len(lost))
    for event_id in lost[:5]:
        print("missing: " + event_id, file=sys.stderr)


def minutes(args):
    rows = read_log(args.log, args.start)
    count = int((max(r[0] for r in rows) - args.start) // 60) if rows else 0
    for minute in range(count):
        chunk = [r for r in rows if args.start + 60 * minute <= r[0] < args.start + 60 * (minute + 1)]
        latencies = [r[2] for r in chunk if 200 <= r[1] < 300]
        print(minute + 1, len(chunk), len(latencies),
              "%.2f" % percentile(latencies, 50), "%.2f" % percentile(latencies, 99))


def backdated(args):
    first = time.time() + args.due_in
    events = []
    for n in range(args.count):
        deadline = first + (args.spread * n / args.count if args.count else 0)
        at = datetime.datetime.fromtimestamp(deadline - args.target, datetime.timezone.utc)
        event_id = "%s-%d" % (args.prefix, n)
        events.append({"id": event_id, "issue": event_id, "kind": "raised", "project": args.project,
                       "at": at.isoformat(timespec="milliseconds"), "title": "falls due"})
    conn = connect(args.base, 60)
    for start in range(0, len(events), 1000):
        batch = events[start:start + 1000]
        conn.request("POST", "/v1/events", json.dumps(batch), {"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200 or answer["accepted"] != len(batch):
            sys.exit("backdated events not accepted: %s %s" % (response.status, str(answer)[:300]))
    print("%.3f" % first)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("post")
    p.add_argument("--base", required=True)
    p.add_argument("--seconds", type=float, default=3600)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--prefix", required=True)
    p.add_argument("--project", default="drill")
    p.add_argument("--text-bytes", type=int, default=0)
    p.add_argument("--at-offset", type=float, default=0)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--log", required=True)
    p.set_defaults(run=post)
    p = commands.add_parser("probe")
    p.add_argument("--base", required=True)
    p.add_argument("--path", default="/readyz")
    p.add_argument("--every", type=float, default=0.2)
    p.add_argument("--log", required=True)
    p.set_defaults(run=probe)
    p = commands.add_parser("window")
    p.add_argument("--log", required=True)
    p.add_argument("--since", type=float)
    p.add_argument("--until", type=float)
    p.add_argument("--any-status", action="store_true", help="latencies of every answer, not only 2xx")
    p.set_defaults(run=window)
    p = commands.add_parser("missing")
    p.add_argument("--log", required=True)
    p.add_argument("--database", required=True)
    p.set_defaults(run=missing)
    p = commands.add_parser("minutes")
    p.add_argument("--log", required=True)
    p.add_argument("--start", type=float, required=True)
    p.set_defaults(run=minutes)
    p = commands.add_parser("backdated")
    p.add_argument("--base", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--project", default="drill")
    p.add_argument("--due-in", type=float, required=True)
    p.add_argument("--spread", type=float, default=0)
    p.add_argument("--target", type=float, default=600)
    p.set_defaults(run=backdated)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
