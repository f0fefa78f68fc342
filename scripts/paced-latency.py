#!/usr/bin/env python3
"""Latency of one GET at a fixed request rate (open loop), as a driver's app sees it.

wrk keeps its connections saturated, so under load its latency is only connections divided
by throughput. Here requests are sent on a schedule (RATE a second, spread over CONNECTIONS
keep-alive connections) and each latency is counted from the moment the request was due, so
a stalled server shows as the wait it causes (no coordinated omission).

usage: paced-latency.py URL RATE SECONDS [CONNECTIONS]
prints: "<sent> sent at <rate>/s, p50 <ms>, p99 <ms>, max <ms>, <n> not 200"
"""
import http.client
import sys
import threading
import time
import urllib.parse


def main():
    url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    interval = connections / rate
    start = time.monotonic() + 0.2
    latencies, failures, lock = [], [0], threading.Lock()

    def connection(offset):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        due = start + offset * interval / connections
        while due < start + seconds:
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                ok = False
            with lock:
                latencies.append(time.monotonic() - due)
                if not ok:
                    failures[0] += 1
            due += interval

    threads = [threading.Thread(target=connection, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()

    def at(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(
        f"{len(latencies)} sent at {rate:g}/s, p50 {at(0.5):.2f} ms, p99 {at(0.99):.2f} ms, "
        f"max {latencies[-1] * 1000:.2f} ms, {failures[0]} not 200"
    )


if __name__ == "__main__":
    main()
