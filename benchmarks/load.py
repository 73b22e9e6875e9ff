"""Bounded load on the deployed mesh: through the edge NodePort, and straight to one usersvc pod.

A few concurrent clients (processes, each with one kept-alive HTTP/1.1 connection) send GET /user/alice
first through the edge Envoy (127.0.0.1:<NodePort>), then to one usersvc pod's sidecar (<pod IP>:80),
alternating rounds. Prints throughput and latency percentiles of both and the edge/direct ratios;
asserts nothing. Traffic stays on loopback and the lab's own pod network.

    .venv/bin/python benchmarks/load.py [--requests 3000] [--clients 4] [--rounds 2]

MESH_NAMESPACE, MESH_EDGE_NODE_PORT and KUBECONFIG choose the mesh (default: the tutorial's).
"""

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

# pylint: disable=wrong-import-position  # the path above makes the suite's helpers importable
from meshlab.http import KeepAliveClient  # noqa: E402
from meshlab.kube import Cluster  # noqa: E402
from meshlab.target import MeshTarget  # noqa: E402

PATH = "/user/alice"
WARM_UP = 50


def client(host, port, count, start_at):
    """One client's share: (latencies in ms, failed count, first send, last answer) on the wall clock."""
    latencies, failed = [], 0
    with KeepAliveClient(host, port, timeout=10) as conn:
        time.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        for dummy in range(count):
            answer = conn.request("GET", PATH)
            if answer.ok:
                latencies.append(answer.latency_ms)
            else:
                failed += 1
        return latencies, failed, started, time.time()


def run(pool, host, port, requests, clients):
    """All clients at once; (latencies, failed, seconds from the first send to the last answer)."""
    start_at = time.time() + 0.5
    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    results = list(pool.map(client, [host] * clients, [port] * clients, shares, [start_at] * clients))
    latencies = [value for result in results for value in result[0]]
    seconds = max(r[3] for r in results) - min(r[2] for r in results)
    return latencies, sum(r[1] for r in results), seconds


def percentile(ordered, fraction):
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def describe(name, latencies, failed, seconds):
    ordered = sorted(latencies)
    total = len(latencies) + failed
    if not ordered:
        print(f"  {name:<7} all {total} requests failed")
        return 0.0, float("nan")
    print(f"  {name:<7} {total} requests ({failed} failed) in {seconds:.2f} s = {total / seconds:7.0f} req/s; "
          f"latency ms p50 {percentile(ordered, 0.5):.2f} p90 {percentile(ordered, 0.9):.2f} "
          f"p99 {percentile(ordered, 0.99):.2f} max {ordered[-1]:.2f}")
    return total / seconds, statistics.median(ordered)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per target and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=2, help="alternating edge/direct rounds")
    args = parser.parse_args()

    target = MeshTarget.from_env()
    cluster = Cluster(target)
    try:
        pods = sorted(cluster.ready_pods("service=usersvc"), key=lambda p: p.metadata.name)
    finally:
        cluster.close()
    if not pods:
        raise SystemExit(f"no Ready usersvc pod in namespace {target.namespace}")
    pod = pods[0]
    targets = {"edge": (target.edge_host, target.node_port), "direct": (pod.status.pod_ip, 80)}
    print(f"namespace {target.namespace}: edge {target.edge_url}, direct {pod.metadata.name} "
          f"{pod.status.pod_ip}:80; {args.clients} clients, {args.requests} requests per target and round")

    for name, (host, port) in targets.items():
        with KeepAliveClient(host, port, timeout=10) as probe:
            answer = probe.request("GET", PATH)
        if not answer.ok:
            raise SystemExit(f"GET {PATH} via {name} {host}:{port} fails ({answer.reason()}): is the mesh up?")

    totals = {name: ([], 0, 0.0) for name in targets}
    with ProcessPoolExecutor(max_workers=args.clients) as pool:
        for host, port in targets.values():
            run(pool, host, port, WARM_UP * args.clients, args.clients)
        for round_ in range(1, args.rounds + 1):
            print(f"round {round_}")
            for name, (host, port) in targets.items():
                latencies, failed, seconds = run(pool, host, port, args.requests, args.clients)
                describe(name, latencies, failed, seconds)
                kept = totals[name]
                totals[name] = (kept[0] + latencies, kept[1] + failed, kept[2] + seconds)
    print("all rounds")
    edge_rate, edge_median = describe("edge", *totals["edge"])
    direct_rate, direct_median = describe("direct", *totals["direct"])
    print(f"edge overhead at the median: {edge_median - direct_median:+.2f} ms (target < 1 ms); "
          f"throughput edge/direct: {edge_rate / direct_rate:.2f} (target within 20%: 0.80-1.20)")


if __name__ == "__main__":
    main()
