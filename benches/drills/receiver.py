#!/usr/bin/env python3
"""A webhook receiver for the drills (standard library only).

  receiver.py --port P --status 200 [--delay-ms D] --log FILE

Answers every POST with STATUS after D ms and logs
"TIME STATUS WEBHOOK_ID KIND ISSUE" per request, flushed at once, so a drill
can count deliveries and repeats of a `webhook-id` while it runs. Stops on
SIGTERM.
"""

import argparse
import http.server
import json
import signal
import socket
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's
            # algorithm holds the body for the client's delayed ACK (40 ms).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                facts = json.loads(body)
            except ValueError:
                facts = {}
            if not isinstance(facts, dict):
                facts = {}
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000)
            with lock:
                log.write("%.4f %d %s %s %s\n" % (time.time(), args.status, self.headers.get("webhook-id", "-"),
                                                  facts.get("kind", "-"), facts.get("issue", "-")))
            answer = b"ok" if args.status < 300 else b"failing on purpose"
            self.send_response(args.status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
