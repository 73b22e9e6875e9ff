"""A bounded load through the edge, compared with calling one usersvc pod directly.

Three targets, alternating: the edge NodePort; one pod's sidecar (the baseline the targets name);
every pod's sidecar in turn, balanced by the clients (the edge's spreading without the edge hop).
The figures go to the end-of-run summary; speed is not asserted (a shared 2-core machine is too
noisy for that), only that every request got its answer.
"""

from toolkit.lab import USERSVC
from toolkit.load import LoadRunner, summary

CLIENTS = 4
REQUESTS = 2000  # per target and round
ROUNDS = 2


def test_load_through_the_edge_and_direct(cluster, target, healthy_mesh, figures):
    healthy_mesh()
    pods = sorted(cluster.ready_pods(USERSVC), key=lambda pod: pod.metadata.name)
    assert pods, f"no Ready usersvc pod in namespace {target.namespace}"
    targets = {
        "edge": [(target.edge_host, target.node_port)],
        "direct": [(pods[0].status.pod_ip, 80)],
        "spread": [(pod.status.pod_ip, 80) for pod in pods],
    }

    with LoadRunner(clients=CLIENTS) as runner:
        totals = runner.measure(targets, REQUESTS, ROUNDS)

    figures(f"load: {CLIENTS} keep-alive clients, {REQUESTS} GET /user/alice per target and round, {ROUNDS} rounds "
            f"(spread: over the {len(pods)} pods, no edge)",
            summary(totals) + ["targets: edge vs direct median < +1 ms, throughput ratio >= 0.80"])
    failed = {name: result.failures for name, result in totals.items() if result.failed}
    assert not failed, f"requests failed under load: {failed}"
    assert all(result.requests == REQUESTS * ROUNDS for result in totals.values())
