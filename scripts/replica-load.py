#!/usr/bin/env python3
"""Operator edits through two replicas, and how long each takes to reach the other.

Usage: replica-load.py A_URL B_URL SECONDS OPERATOR... (each OPERATOR is name:password:station)

First, idle, 200 edits through A one at a time, each timed until B answers with it (B polled on
a keep-alive connection): the replica-to-replica lag. Then each operator edits their own station's
notice in a loop on its own keep-alive connection, through replica A or B in turn (If-Match from the
previous answer), for SECONDS: the edits sustained through both replicas. Then, while they go on,
100 more timed edits (B polled with a 1 ms pause, so the poller does not starve the replicas).
Prints one JSON object. Standard library only.
"""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def connect(url):
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def call(conn, method, path, body=None, headers=None):
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, resp.getheader("etag"), payload


def login(url, name, password):
    status, _, body = call(connect(url), "POST", "/v1/login", {"username": name, "password": password})
    assert status == 200, (status, body)
    return json.loads(body)["token"]


def version_of(conn, station):
    status, etag, _ = call(conn, "GET", f"/v1/stations/{station}")
    assert status == 200, status
    return etag


def writer(urls, token, station, stop, counts, index):
    conns = [connect(u) for u in urls]
    etag = version_of(conns[0], station)
    n = 0
    while not stop.is_set():
        conn = conns[n % 2]
        status, new_etag, body = call(
            conn, "PATCH", f"/v1/stations/{station}", {"notice": f"load {index} {n}"},
            {"authorization": f"Bearer {token}", "if-match": etag},
        )
        if status == 200:
            etag = new_etag
            counts[index] += 1
        elif status == 412:
            etag = new_etag
        else:
            raise SystemExit(f"edit answered {status}: {body[:200]!r}")
        n += 1


def lag_samples(a, b, token, station, samples, pause=0.0):
    conn_a, conn_b = connect(a), connect(b)
    etag = version_of(conn_a, station)
    lags = []
    for n in range(samples):
        status, etag, _ = call(
            conn_a, "PATCH", f"/v1/stations/{station}", {"notice": f"lag {n}"},
            {"authorization": f"Bearer {token}", "if-match": etag},
        )
        assert status == 200, status
        written = time.perf_counter()
        while version_of(conn_b, station) != etag:
            # Under load the poller pauses between polls, so it does not take the CPU the
            # replicas need (the lag is then known to within the pause).
            time.sleep(pause)
        lags.append((time.perf_counter() - written) * 1000)
    lags.sort()
    return {
        "samples": len(lags),
        "p50_ms": round(lags[len(lags) // 2], 2),
        "p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 2),
        "max_ms": round(lags[-1], 2),
    }


def main():
    a, b, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    operators = [o.split(":") for o in sys.argv[4:]]
    tokens = [login(a, name, password) for name, password, _ in operators]
    idle = lag_samples(a, b, tokens[0], operators[0][2], 200)

    stop, counts = threading.Event(), [0] * (len(operators) - 1)
    threads = [
        threading.Thread(target=writer, args=([a, b], tokens[i], operators[i][2], stop, counts, i - 1))
        for i in range(1, len(operators))
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    # The writers alone first: what they sustain.
    time.sleep(seconds)
    edits, elapsed = sum(counts), time.perf_counter() - started
    # Then the lag while they go on.
    loaded = lag_samples(a, b, tokens[0], operators[0][2], 100, pause=0.001)
    stop.set()
    for t in threads:
        t.join()
    print(json.dumps({
        "writers": len(threads),
        "edits": edits,
        "seconds": round(elapsed, 1),
        "edits_per_s": round(edits / elapsed, 1),
        "lag_idle": idle,
        "lag_under_load": loaded,
    }))


if __name__ == "__main__":
    main()
