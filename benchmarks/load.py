"""Bounded load on the deployed mesh: through the edge, straight to one usersvc pod, and spread over every pod.

A few concurrent clients (processes, each with kept-alive HTTP/1.1 connections) send GET /user/alice:
  edge    through the edge Envoy (127.0.0.1:<NodePort>), which balances over every usersvc pod;
  direct  to one usersvc pod's sidecar (<pod IP>:80): the issue's baseline;
  spread  to every pod's sidecar in turn, balanced by the clients themselves: the same spreading
          as the edge without the edge hop, so edge vs spread is the cost of the hop alone.
Targets alternate for a few rounds. Prints throughput and latency percentiles and the edge's ratios;
asserts nothing. Traffic stays on loopback and the lab's own pod network.

    .venv/bin/python benchmarks/load.py [--requests 3000] [--clients 4] [--rounds 2] [--cpu]

--cpu (on the lab node itself only): one more run per target, printing the CPU time each part of the
lab spent per request (edge Envoy, sidecars, gunicorn, postgres, containerd, the clients), from /proc.

MESH_NAMESPACE, MESH_EDGE_NODE_PORT and KUBECONFIG choose the mesh (default: the tutorial's).
"""

import argparse

import _cpu
import _paths  # noqa: F401  # pylint: disable=unused-import  # puts tests/ on sys.path
from toolkit.http import KeepAliveClient
from toolkit.kube import Cluster
from toolkit.lab import USERSVC
from toolkit.load import PATH, LoadRunner, summary
from toolkit.target import MeshTarget


def print_cpu(runner, name, addresses, requests, pod_names):
    """One more run against a target, with the CPU each part of the lab spent on it."""
    before = _cpu.snapshot()
    result = runner.run(name, addresses, requests)
    parts = _cpu.breakdown(before, _cpu.snapshot(), pod_names)
    total = sum(parts.values())
    print(f"CPU, {name}: {result.requests} requests in {result.seconds:.2f} s used {total:.2f} CPU s = "
          f"{total / result.requests * 1000:.2f} ms per request")
    for part, seconds in parts.most_common(8):
        print(f"  {part:<28} {seconds / result.requests * 1000:6.3f} ms per request")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per target and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over the targets, alternating")
    parser.add_argument("--cpu", action="store_true", help="CPU per request by part of the lab (on the node only)")
    args = parser.parse_args()

    target = MeshTarget.from_env()
    with Cluster(target.namespace, target.kubeconfig) as cluster:
        pods = sorted(cluster.ready_pods(USERSVC), key=lambda p: p.metadata.name)
        # Pod UID -> its `service` label, so that the CPU of every usersvc pod adds up under one name.
        pod_names = {pod.metadata.uid: (pod.metadata.labels or {}).get("service", pod.metadata.name)
                     for pod in cluster.pods("")}
    if not pods:
        raise SystemExit(f"no Ready usersvc pod in namespace {target.namespace}")
    targets = {
        "edge": [(target.edge_host, target.node_port)],
        "direct": [(pods[0].status.pod_ip, 80)],
        "spread": [(pod.status.pod_ip, 80) for pod in pods],
    }
    print(f"namespace {target.namespace}: edge {target.edge_url}, direct {pods[0].metadata.name} "
          f"{pods[0].status.pod_ip}:80, spread over {len(pods)} pods; {args.clients} clients, "
          f"{args.requests} requests per target and round, {args.rounds} rounds")

    for name, addresses in targets.items():
        for host, port in addresses:
            with KeepAliveClient(host, port, timeout=10) as probe:
                response = probe.request("GET", PATH)
            if not response.ok:
                raise SystemExit(f"GET {PATH} via {name} {host}:{port} fails ({response.reason()}): is the mesh up?")

    with LoadRunner(clients=args.clients) as runner:
        totals = runner.measure(targets, args.requests, args.rounds)
        for line in summary(totals):
            print(line)
        if args.cpu:
            for name, addresses in targets.items():
                print_cpu(runner, name, addresses, args.requests, pod_names)
    print("targets: edge vs direct median < +1 ms, throughput ratio >= 0.80")


if __name__ == "__main__":
    main()
