"""Latency the edge adds compared with calling one usersvc sidecar directly.

Runs the loopback data plane and sends GET /user/alice alternately through the edge and straight to a
sidecar, first on a new connection per request (like curl in the tutorial), then over one kept-alive
connection. Prints median, p95 and the edge/direct ratio.

    .venv/bin/python benchmarks/edge_latency.py [--requests 400]
"""

import argparse

import _paths  # noqa: F401  # pylint: disable=unused-import  # puts tests/ on sys.path
from _plane import running_plane
from toolkit.http import KeepAliveClient, request
from toolkit.stats import median, percentile, summary


def timed_get(address, client=None):
    """Milliseconds of one GET /user/alice: over ``client``'s kept-alive connection, else a new one."""
    response = client.request("GET", "/user/alice") if client else request("GET", *address, "/user/alice")
    if response.status != 200:
        raise RuntimeError(f"GET {address} failed: {response.reason()}")
    return response.latency_ms


def measure(edge_address, direct_address, count, keep_alive):
    with KeepAliveClient(*edge_address) as edge_client, KeepAliveClient(*direct_address) as direct_client:
        edge, direct = [], []
        for _round in range(count):
            edge.append(timed_get(edge_address, edge_client if keep_alive else None))
            direct.append(timed_get(direct_address, direct_client if keep_alive else None))
    return edge, direct


def report(title, edge, direct):
    print(title)
    print(f"  edge   {summary(edge)}")
    print(f"  direct {summary(direct)}")
    median_edge, median_direct = median(edge), median(direct)
    p95_edge, p95_direct = percentile(edge, 95), percentile(direct, 95)
    print(f"  added by the edge: median {median_edge - median_direct:.2f} ms, p95 {p95_edge - p95_direct:.2f} ms; "
          f"ratio median {median_edge / median_direct:.2f}x, p95 {p95_edge / p95_direct:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per path and mode")
    args = parser.parse_args()

    with running_plane() as plane:
        edge = ("127.0.0.1", plane.edge.listen_port)
        direct = plane.backends[0].endpoint

        measure(edge, direct, 20, keep_alive=False)  # warm-up: connection pools and caches
        report(f"new connection per request, {args.requests} requests each",
               *measure(edge, direct, args.requests, keep_alive=False))
        report(f"one kept-alive connection, {args.requests} requests each",
               *measure(edge, direct, args.requests, keep_alive=True))


if __name__ == "__main__":
    main()
