"""Nodes reprovisioned under traffic, and a node lost without warning (playbooks/reprovision.yml).

Runs after test_node_faults.py (file order), on a whole lab. One scene, two machines recreated: a node
that runs no postgres is lost without warning; then one run of reprovision.yml brings it back (a node
that is already gone cannot be drained) and reprovisions the postgres node, which is drained under
traffic. The tutorial's curl loop (GET /user/alice, a new connection each, never retried) runs through
the NodePort of the third node, left alone, and counts every answer that is not a 200. Targets: no failed
request, except that reads may be refused with 503 while postgres moves (that window is printed); no
user lost; the lost node's pods out of the edge's rotation within 5 s (printed; the liveness bound is ten
times that).
"""

import threading
import time

from toolkit import three_node
from toolkit.curl_loop import CurlLoop, window
from toolkit.http import request
from toolkit.lab import EDGE_NODE_PORT, USERSVC
from toolkit.three_node import postgres_node

DB_REFUSAL = "HTTP 503: database unavailable"
DETECTION_TARGET_S = 5.0
DETECTION_LIVENESS_S = 10 * DETECTION_TARGET_S
# The loop keeps going this long after the edge dropped the lost pods, for late failures.
TAIL_S = 3.0
USERS_BEFORE = 10
# Tasks of reprovision.yml that must run for one node before any of them runs for the next.
ONE_NODE = ("Evict the node's pods as their disruption budgets allow", "Destroy the machine", "Uncordon the node")


def check_reprovisioned(result):
    assert result.returncode == 0, f"reprovision.yml failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"


def fullname(host, name):
    answer = request("GET", host, EDGE_NODE_PORT, f"/user/{name}", timeout=10)
    return (answer.json_or_none() or {}).get("fullname") if answer.ok else answer.reason()


class Writers(threading.Thread):
    """PUTs a new user every ``interval`` seconds, each on a new connection, until stopped; keeps every answer."""

    def __init__(self, host, prefix, interval=0.2):
        super().__init__(name=f"writers-{prefix}", daemon=True)
        self.host = host
        self.prefix = prefix
        self.interval = interval
        self.results = []  # (name, Response)
        self._stop_event = threading.Event()

    def run(self):
        number = 0
        while not self._stop_event.is_set():
            name = f"{self.prefix}-{number}"
            body = {"fullname": f"Full {name}", "password": f"pw-{name}"}
            self.results.append((name, request("PUT", self.host, EDGE_NODE_PORT, f"/user/{name}", body, timeout=15)))
            number += 1
            self._stop_event.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self._stop_event.set()
        self.join(30)

    def stored(self):
        return [name for name, answer in self.results if answer.ok]

    def others(self):
        """Answers that are neither stored users nor the service's own refusal."""
        return [(name, answer.reason()) for name, answer in self.results
                if not answer.ok and answer.reason() != DB_REFUSAL]


def wait_for_answers(loop, count=5, timeout=30):
    deadline = time.monotonic() + timeout
    while len(loop.answers) < count:
        assert time.monotonic() < deadline, "the curl loop got no answers"
        time.sleep(0.05)


def test_a_lost_node_then_the_postgres_node_reprovisioned_under_traffic_fail_only_reads_with_503_and_lose_no_user(
        cluster, figures, round_robin_check):
    # Every node runs an edge pod and a usersvc pod (externalTrafficPolicy Local, the spread). The node
    # lost is one that runs no postgres; the client enters through the third node, left alone.
    database = postgres_node(cluster)
    lost_node, client_node = sorted(set(three_node.NODES) - {database})
    nodes = [lost_node, database]
    client = three_node.NODES[client_node]
    before = [f"before-{database}-{number}" for number in range(USERS_BEFORE)]
    for name in before:
        body = {"fullname": f"Full {name}", "password": f"pw-{name}"}
        answer = request("PUT", client, EDGE_NODE_PORT, f"/user/{name}", body, timeout=15)
        assert answer.ok, answer.reason()

    with CurlLoop(client, EDGE_NODE_PORT, max_seconds=3600) as loop:
        wait_for_answers(loop)
        loss = three_node.lose_under_traffic(cluster, lost_node, loop, DETECTION_LIVENESS_S, TAIL_S)
        # The writes start once the lost node is out of rotation: they are about the postgres move.
        with Writers(client, f"during-{database}") as writers:
            result, seconds = three_node.reprovision(*nodes)
    check_reprovisioned(result)

    sent, failed, reasons = loop.tally()
    refused = [failure for failure in loop.failures() if failure[1].reason() == DB_REFUSAL]
    detected = f"{loss.detected_s:.2f} s" if loss.detected_s is not None else f"not within {DETECTION_LIVENESS_S:.0f} s"
    figures(f"{lost_node} lost without warning (docker kill, then rm), curl loop through {client}", [
        f"its pods {', '.join(loss.lost_ips)} out of the edge's rotation after {detected} "
        f"(target < {DETECTION_TARGET_S:.0f} s)",
        f"GET /user/alice until then + {TAIL_S:.0f} s: {loss.sent} sent, {loss.failed} failed (target 0): "
        f"{loss.reasons or '-'}; slowest answer {loss.slowest_ms:.0f} ms",
    ])
    figures(f"reprovision.yml: {lost_node} (lost) back, then {database} (postgres) drained and recreated, one run", [
        f"wall time {seconds:.0f} s for 2 nodes (log: {three_node.REPROVISION_LOG}); postgres now on "
        f"{postgres_node(cluster)}",
        f"GET /user/alice over the whole test: {sent} sent, {failed} failed (target 0 but the database's 503): "
        f"{reasons or '-'}; slowest answer {loop.max_latency_ms():.0f} ms",
        f"503 window (reads refused while postgres moves): {window(refused):.1f} s ({len(refused)} requests)",
        f"PUT of new users: {len(writers.results)} sent, {len(writers.stored())} stored, "
        f"{len(writers.results) - len(writers.stored()) - len(writers.others())} refused with 503",
    ])
    assert loss.detected_s is not None, f"the edge kept {loss.lost_ips} in rotation for {DETECTION_LIVENESS_S:.0f} s"
    assert loss.failed == 0, f"{loss.failed} of {loss.sent} requests failed when {lost_node} was lost: {loss.reasons}"
    assert reasons.keys() <= {DB_REFUSAL}, f"requests failed other than with the database's 503: {reasons}"
    assert not writers.others(), writers.others()[:10]
    assert three_node.one_after_another(result.stdout, nodes, ONE_NODE), \
        f"not one node after another: {three_node.task_hosts(result.stdout)}"
    lost = {name: got for name in before + writers.stored() if (got := fullname(client, name)) != f"Full {name}"}
    assert not lost, f"{len(lost)} users lost: {dict(list(lost.items())[:10])}"

    # Each returned node got its edge pod back (edge_envoy's spread) and its usersvc pod (the spread roll):
    # round robin covers every pod through every node's NodePort (with Local, a node without an edge pod
    # would drop the requests).
    assert three_node.nodes_of(cluster.ready_pods(three_node.EDGE)) == set(three_node.NODES), cluster.describe(
        three_node.EDGE)
    pods = cluster.ready_pods(USERSVC)
    assert sorted(pod.spec.node_name for pod in pods) == sorted(three_node.NODES), cluster.describe()
    for address in three_node.NODES.values():
        check = round_robin_check(url=f"http://{address}:{EDGE_NODE_PORT}/user/alice",
                                  expected_backends=[pod.status.pod_ip for pod in pods], require_ok=True,
                                  use_proxy=False, wait_timeout=30)
        assert check["failed"] is False, check["msg"]
