"""Latency the edge adds compared with calling one usersvc sidecar directly.

Runs the loopback data plane and sends GET /user/alice alternately through the edge and straight to a
sidecar, first on a new connection per request (like curl in the tutorial), then over one kept-alive
connection. Prints median, p95 and the edge/direct ratio.

    .venv/bin/python benchmarks/edge_latency.py [--requests 400]
"""

import argparse
import http.client
import statistics
import time

from _plane import percentile, running_plane, summary


def timed_get(conn_factory, conn=None):
    started = time.perf_counter()
    own = conn is None
    conn = conn or conn_factory()
    conn.request("GET", "/user/alice")
    response = conn.getresponse()
    response.read()
    if own:
        conn.close()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET failed with {response.status}")
    return elapsed


def measure(edge_factory, direct_factory, count, keep_alive):
    edge_conn = edge_factory() if keep_alive else None
    direct_conn = direct_factory() if keep_alive else None
    edge, direct = [], []
    for _round in range(count):
        edge.append(timed_get(edge_factory, edge_conn))
        direct.append(timed_get(direct_factory, direct_conn))
    return edge, direct


def report(title, edge, direct):
    print(title)
    print(f"  edge   {summary(edge)}")
    print(f"  direct {summary(direct)}")
    median_edge, median_direct = statistics.median(edge), statistics.median(direct)
    p95_edge, p95_direct = percentile(edge, 0.95), percentile(direct, 0.95)
    print(f"  added by the edge: median {median_edge - median_direct:.2f} ms, p95 {p95_edge - p95_direct:.2f} ms; "
          f"ratio median {median_edge / median_direct:.2f}x, p95 {p95_edge / p95_direct:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per path and mode")
    args = parser.parse_args()

    with running_plane() as plane:
        sidecar = plane.backends[0]

        def edge_factory():
            return http.client.HTTPConnection("127.0.0.1", plane.edge.listen_port, timeout=10)

        def direct_factory():
            return http.client.HTTPConnection(sidecar.address, sidecar.sidecar_port, timeout=10)

        measure(edge_factory, direct_factory, 20, keep_alive=False)  # warm-up: pools, JIT-free but caches
        report(f"new connection per request, {args.requests} requests each",
               *measure(edge_factory, direct_factory, args.requests, keep_alive=False))
        report(f"one kept-alive connection, {args.requests} requests each",
               *measure(edge_factory, direct_factory, args.requests, keep_alive=True))


if __name__ == "__main__":
    main()
