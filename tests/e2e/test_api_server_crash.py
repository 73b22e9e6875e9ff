"""The Kubernetes API server killed with SIGKILL and started again, under a steady stream through the edge.

Requests never need the API server, so none may fail meanwhile. The discovery service loses its watch
(the stream is cut mid-chunk); it must come back on its own, so that a scale of usersvc right after the
restart reaches the edge as it did before the crash. The discovery pod must neither be restarted nor
leave its Service for it. The figures are printed beside the same scale measured before the crash; the
edge's part is bounded by a liveness timeout of ten times its 2 s target, never by a timed assertion.
"""

import threading
import time

import pytest

from meshlab.apiserver import LocalApiServer, unavailable_reason
from meshlab.rotation import wait_for_rotation
from meshlab.traffic import SteadyStream
from meshlab.waiting import poll

REPLICAS = 3
SCALED = 4
DOWN_SECONDS = 10  # long enough for the discovery service's retries to back off; far below the node grace period
EDGE_TARGET_S = 2.0
EDGE_LIVENESS_S = 10 * EDGE_TARGET_S
SETTLE_TIMEOUT = 120
TAIL_SECONDS = 1.0
SDS = "service=usersvc-sds"


@pytest.fixture(scope="module")
def api_server(target):
    reason = unavailable_reason(target.kubeconfig)
    if reason:
        pytest.skip(reason)
    return LocalApiServer()


@pytest.fixture(scope="module", autouse=True)
def three_replicas_at_the_end(cluster):
    yield
    # Leave the lab as the site playbook made it, even after a failure.
    poll(lambda: attempt(lambda: scale(cluster, REPLICAS)), SETTLE_TIMEOUT, what="the API to take a scale")
    poll(lambda: cluster.rolled_out("usersvc", REPLICAS), SETTLE_TIMEOUT, what="usersvc back at 3 replicas",
         describe=cluster.describe)


def attempt(predicate):
    """``predicate()``, or False when it raised: right after a start the API server may still refuse calls."""
    try:
        return predicate()
    except Exception:  # pylint: disable=broad-except  # retried by the caller until its deadline
        return False


def scale(cluster, replicas):
    cluster.scale("usersvc", replicas)
    return True


def scale_reaching_the_edge(cluster, target, replicas):
    """Scale usersvc; (seconds until the pods are rolled out, then until the edge balances over exactly them)."""
    started = time.monotonic()
    poll(lambda: attempt(lambda: scale(cluster, replicas)), SETTLE_TIMEOUT, interval=0.05,
         what=f"the API to take a scale to {replicas}")
    poll(lambda: attempt(lambda: cluster.rolled_out("usersvc", replicas)), SETTLE_TIMEOUT, interval=0.05,
         what=f"usersvc rolled out at {replicas}", describe=cluster.describe)
    settle = time.monotonic() - started
    lag = wait_for_rotation(cluster, f"{target.edge_url}/user/alice", replicas, EDGE_LIVENESS_S)
    return settle, lag


def discovery_pod(cluster):
    (pod,) = cluster.ready_pods(SDS)
    container = pod.status.container_statuses[0]
    port = pod.spec.containers[0].ports[0].container_port
    return pod.metadata.name, container.restart_count, port


def discovery_healthy(cluster, name, port):
    """/healthz of the discovery pod through the API server's proxy: 200 once its watch works again."""
    path = f"/api/v1/namespaces/{cluster.namespace}/pods/{name}:{port}/proxy/healthz"
    return cluster.kubectl("get", "--raw", path, namespaced=False, timeout=10).returncode == 0


class Stopwatch(threading.Thread):
    """Times from now until ``predicate()`` holds (or ``timeout`` passes), in the background."""

    def __init__(self, predicate, timeout):
        super().__init__(name="stopwatch", daemon=True)
        self.predicate = predicate
        self.timeout = timeout
        self.seconds = None
        self.start()

    def run(self):
        started = time.monotonic()
        while time.monotonic() - started < self.timeout:
            if attempt(self.predicate):
                self.seconds = time.monotonic() - started
                return
            time.sleep(0.2)


def test_api_server_crash_fails_no_request_and_a_scale_right_after_reaches_the_edge(
        cluster, target, figures, healthy_mesh, api_server):
    healthy_mesh()
    url = f"{target.edge_url}/user/alice"
    wait_for_rotation(cluster, url, REPLICAS, SETTLE_TIMEOUT)
    before = scale_reaching_the_edge(cluster, target, SCALED)
    cluster.scale("usersvc", REPLICAS)
    poll(lambda: cluster.rolled_out("usersvc", REPLICAS), SETTLE_TIMEOUT, what="usersvc back at 3 replicas",
         describe=cluster.describe)
    wait_for_rotation(cluster, url, REPLICAS, SETTLE_TIMEOUT)
    sds_name, sds_restarts, sds_port = discovery_pod(cluster)
    assert discovery_healthy(cluster, sds_name, sds_port), "the discovery service is not healthy before the crash"

    with SteadyStream(target.edge_host, target.node_port, "/user/alice", interval=0.01, max_requests=200_000,
                      max_seconds=900) as stream:
        poll(lambda: len(stream.answers) >= 5, 10, interval=0.01, what="the first answers of the stream")
        killed_pid = api_server.kill()
        time.sleep(DOWN_SECONDS)
        start_seconds = api_server.start()
        watch_back = Stopwatch(lambda: discovery_healthy(cluster, sds_name, sds_port), EDGE_LIVENESS_S)
        after = scale_reaching_the_edge(cluster, target, SCALED)
        watch_back.join(EDGE_LIVENESS_S + 15)
        time.sleep(TAIL_SECONDS)
    sent, failed, reasons = stream.tally()

    rows = [("before the crash", before), ("right after restart", after)]
    figures(f"API server killed with SIGKILL (pid {killed_pid}) under a steady stream through :{target.node_port}", [
        f"down {DOWN_SECONDS} s, then up.sh to /readyz {start_seconds:.1f} s; requests sent {sent}, failed {failed}"
        + (f": {reasons}" if reasons else ""),
        "discovery watch back (/healthz 200) "
        + (f"{watch_back.seconds:.1f} s" if watch_back.seconds is not None else f"not within {EDGE_LIVENESS_S:g} s")
        + " after the API server answered",
        f"scale {REPLICAS} -> {SCALED}          pods rolled out   edge lag (target < {EDGE_TARGET_S:g} s)   total",
        *(f"  {label:<22}{settle:>8.2f} s {lag:>14.2f} s {settle + lag:>17.2f} s" for label, (settle, lag) in rows),
    ])
    assert failed == 0, f"{failed} of {sent} requests failed while the API server was down or starting: {reasons}"
    assert watch_back.seconds is not None, f"the discovery service's /healthz was not 200 within {EDGE_LIVENESS_S:g} s"
    name, restarts, _port = discovery_pod(cluster)
    assert (name, restarts) == (sds_name, sds_restarts), (
        f"the discovery pod was replaced or restarted: {sds_name} ({sds_restarts} restarts) -> {name} ({restarts})")
