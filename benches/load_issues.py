#!/usr/bin/env python3
"""Loads open issues into a running slawatch (benches/scale.sh, benches/pages.sh).

Usage: load_issues.py BASE_URL ISSUES BATCH CLIENTS NONCE [TOKEN]

Posts ISSUES `raised` events (issue keys scale-NONCE-0 ... scale-NONCE-{ISSUES-1},
project `bulk`, `at` spread over the last 2 h) in arrays of BATCH from CLIENTS
concurrent connections, with `Authorization: Bearer TOKEN` when given; checks
that every event was accepted and prints "events seconds". Standard library only.
"""
import http.client, json, sys, threading, time, datetime, urllib.parse

base, total, batch, clients, nonce = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
headers = {"Content-Type": "application/json"}
if len(sys.argv) > 6:
    headers["Authorization"] = "Bearer " + sys.argv[6]
url = urllib.parse.urlsplit(base)
start = datetime.datetime.now(datetime.timezone.utc)
# `at` spread over the last 2 h: deadlines 2-4 h (ack) ahead, warnings >= 1.2 h ahead.
def at_of(i):
    t = start - datetime.timedelta(seconds=(i * 7919) % 7200)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
template = ('{"id":"scale-%s-%d","issue":"scale-%s-%d","kind":"raised","at":"%s","project":"bulk",'
            '"priority":"normal","title":"bulk issue %d","actor":{"id":"u%d","role":"requester"}}')
lock = threading.Lock()
next_start = [0]
failures = []
progress = [0]
report_at = [max(batch, total // 10)]

def worker():
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    while True:
        with lock:
            first = next_start[0]
            if first >= total or failures:
                break
            next_start[0] = min(total, first + batch)
        last = min(total, first + batch)
        body = "[" + ",".join(template % (nonce, i, nonce, i, at_of(i), i, i % 5000) for i in range(first, last)) + "]"
        for attempt in range(5):
            try:
                conn.request("POST", "/v1/events", body, headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
                status, data = None, str(error).encode()
            else:
                status = response.status
            if status == 503:
                time.sleep(0.5 * (attempt + 1))
                continue
            break
        if status != 200:
            failures.append("HTTP %s: %s" % (status, data[:300]))
            break
        result = json.loads(data)
        if result["accepted"] + result["duplicates"] != last - first:
            failures.append("not all accepted: %s" % {k: result[k] for k in ("accepted", "duplicates", "rejected")})
            break
        with lock:
            progress[0] += last - first
            if progress[0] >= report_at[0]:
                report_at[0] += max(batch, total // 10)
                elapsed = time.time() - t0
                print("  %d / %d issues, %.0f events/s" % (progress[0], total, progress[0] / elapsed), file=sys.stderr, flush=True)

t0 = time.time()
threads = [threading.Thread(target=worker) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.time() - t0
if failures:
    print("load failed: " + failures[0], file=sys.stderr)
    sys.exit(1)
print(progress[0], "%.3f" % elapsed)
