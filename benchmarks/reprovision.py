"""Figures of the three-node lab when nodes go, each under the tutorial's curl loop through a node left alone.

Needs the three-node lab with the mesh deployed (make three-node-lab). Each part prints its figures against
the targets (none is asserted here; molecule/three-node asserts the failure and data targets):

  postgres    postgres moved as a drain moves it (its node cordoned, its pod evicted): the window in which
              reads are refused with 503, --moves times
  reprovision playbooks/reprovision.yml of one node that does not run postgres: wall time, failed requests
  loss        a node that does not run postgres lost without warning (docker kill, then rm): time until no edge
              balances over its pods any more, failed requests; then reprovision.yml brings it back

    .venv/bin/python benchmarks/reprovision.py [--parts postgres,reprovision,loss] [--moves 3]
"""

import argparse
import sys
import time
from pathlib import Path

import _paths  # noqa: F401  # pylint: disable=unused-import  # puts tests/ on sys.path
from toolkit import three_node
from toolkit.curl_loop import CurlLoop, window
from toolkit.kube import Cluster
from toolkit.lab import EDGE_NODE_PORT, kubeconfig
from toolkit.stats import median

DB_REFUSAL = "HTTP 503: database unavailable"
DETECTION_TARGET_S = 5.0
# Reads answer again this long before a postgres move counts as over.
SETTLED_S = 2.0


def client_for(avoid):
    """The address of a node not in ``avoid``, for the curl loop."""
    return three_node.NODES[sorted(set(three_node.NODES) - set(avoid))[0]]


def wait_for_answers(loop, count=5, timeout=30):
    deadline = time.monotonic() + timeout
    while len(loop.answers) < count:
        if time.monotonic() > deadline:
            sys.exit("the curl loop got no answers: is the mesh deployed on the three-node lab?")
        time.sleep(0.05)


def postgres_moves(cluster, moves):
    windows = []
    for number in range(1, moves + 1):
        client = client_for({three_node.postgres_node(cluster)})
        with CurlLoop(client, EDGE_NODE_PORT) as loop:
            wait_for_answers(loop)
            old, new = three_node.move_postgres(cluster)
            # Over once reads have answered for SETTLED_S without a failure.
            time.sleep(SETTLED_S)
            while loop.failures() and time.time() - loop.failures()[-1][0] < SETTLED_S:
                time.sleep(0.1)
        sent, failed, reasons = loop.tally()
        refused = [failure for failure in loop.failures() if failure[1].reason() == DB_REFUSAL]
        windows.append(window(refused))
        print(f"postgres move {number}: {old} -> {new}, 503 window {windows[-1]:.1f} s; {sent} sent, {failed} failed: "
              f"{reasons or '-'}", flush=True)
    print(f"postgres move: 503 window median {median(windows):.1f} s, max {max(windows):.1f} s over {moves} moves "
          "(target: only 503s, reported)")


def reprovision(cluster):
    node = sorted(set(three_node.NODES) - {three_node.postgres_node(cluster)})[-1]
    client = client_for({node, three_node.postgres_node(cluster)})
    with CurlLoop(client, EDGE_NODE_PORT) as loop:
        wait_for_answers(loop)
        result, seconds = three_node.reprovision(node)
    if result.returncode != 0:
        sys.exit(f"reprovision.yml failed:\n{result.stdout[-3000:]}")
    sent, failed, reasons = loop.tally()
    print(f"reprovision of {node}: wall time {seconds:.0f} s; GET through {client}: {sent} sent, {failed} failed "
          f"(target 0): {reasons or '-'}; slowest answer {loop.max_latency_ms():.0f} ms")


def loss(cluster):
    node = sorted(set(three_node.NODES) - {three_node.postgres_node(cluster)})[0]
    client = client_for({node})
    with CurlLoop(client, EDGE_NODE_PORT) as loop:
        wait_for_answers(loop)
        figures = three_node.lose_under_traffic(cluster, node, loop, liveness_s=10 * DETECTION_TARGET_S)
        result, seconds = three_node.reprovision(node)
    if result.returncode != 0:
        sys.exit(f"reprovision.yml failed:\n{result.stdout[-3000:]}")
    detected = f"{figures.detected_s:.2f} s" if figures.detected_s is not None else "not within 50 s"
    print(f"{node} lost: its pods out of the edge's rotation after {detected} (target < {DETECTION_TARGET_S:.0f} s); "
          f"GET through {client}: {figures.sent} sent, {figures.failed} failed (target 0): {figures.reasons or '-'}; "
          f"slowest answer {figures.slowest_ms:.0f} ms")
    sent, failed, reasons = loop.tally()
    print(f"reprovision of the lost {node}: wall time {seconds:.0f} s; GET over loss and reprovision: {sent} sent, "
          f"{failed} failed: {reasons or '-'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="postgres,reprovision,loss")
    parser.add_argument("--moves", type=int, default=3)
    args = parser.parse_args()
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = set(parts) - {"postgres", "reprovision", "loss"}
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(sorted(unknown))}: choose from postgres, reprovision, loss")
    if not Path(kubeconfig()).is_file():
        sys.exit(f"no kubeconfig at {kubeconfig()}: bring the three-node lab up first (make three-node-lab)")
    with Cluster() as cluster:
        if sorted(node.metadata.name for node in cluster.core.list_node().items) != sorted(three_node.NODES):
            sys.exit("the cluster's nodes are not node1..node3: bring the three-node lab up (make three-node-lab)")
        if "postgres" in parts:
            postgres_moves(cluster, args.moves)
        if "reprovision" in parts:
            reprovision(cluster)
        if "loss" in parts:
            loss(cluster)


if __name__ == "__main__":
    main()
