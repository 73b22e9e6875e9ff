"""The discovery service under a few hundred idle and slow connections on loopback, with a real edge Envoy.

Past its bounds (the defaults the role deploys: 256 connections, 16 per client address, 4 held long polls
per client) a connection gets a quick 503, a probe its real answer, and the edge, a client of its own,
keeps following endpoint changes through its long poll. Figures are printed (-s); the bounds on time are
liveness timeouts, far above the figures.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.envoy import start_edge
from harness.flood import Flood
from harness.processes import wait_until
from harness.sds import EndpointFile, SdsProcess
from usersvc_sds.limits import Bounds
from usersvc_sds.server import IDLE_TIMEOUT_SECONDS
from usersvc_sds.xds import EDS_TYPE_URL

BOUNDS = Bounds()
IDLE_SOURCE = "127.0.1.1"  # one client with far more idle connections than its share
SLOW_SOURCES = [f"127.0.2.{n}" for n in range(1, 16)]  # fifteen clients, each filling its share slowly
ENDPOINT_SETS = ([("127.0.0.21", 8080), ("127.0.0.22", 8080)],
                 [("127.0.0.21", 8080), ("127.0.0.22", 8080), ("127.0.0.23", 8080)],
                 [("127.0.0.24", 8080)])
# Liveness bound of an answer past the bounds, which waits at most 1 s for a request line (figures printed):
# far below the 20 s a held long poll takes.
QUICK_SECONDS = 5.0
EDGE_FOLLOWS_SECONDS = 5.0
HOLD_SECONDS = 5.0  # of the long-poll test: refused polls must be answered well before it


def discovery_request(version=""):
    return {"version_info": version, "node": {"id": "test", "cluster": "test"}, "resource_names": ["usersvc"],
            "type_url": EDS_TYPE_URL}


@dataclass
class Answer:
    status: int
    retry_after: str | None
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


def call_from(source, port, method, path, body=None, timeout=10.0):
    """One request on a new connection from the loopback address ``source``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    payload = json.dumps(body) if body is not None else None
    started = time.monotonic()
    try:
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, response.getheader("Retry-After"), data, time.monotonic() - started)
    finally:
        connection.close()


def process_status(pid, field):
    """A number from /proc/<pid>/status, such as Threads or VmRSS (kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for pid {pid}")


def thread_count(pid):
    return process_status(pid, "Threads")


@pytest.fixture
def plane(processes, tmp_path):
    endpoints = EndpointFile(tmp_path / "endpoints.json")
    endpoints.write({"usersvc": ENDPOINT_SETS[0]})
    sds = SdsProcess(processes, endpoints)  # the deployed hold (20 s) and bounds
    edge = start_edge(processes, edge_envoy_sds_host="127.0.0.1", edge_envoy_sds_port=sds.port)
    wait_until(lambda: set(edge.cluster_hosts("usersvc")) == set(ENDPOINT_SETS[0]), EDGE_FOLLOWS_SECONDS,
               what="the edge's first endpoints")
    return endpoints, sds, edge


def follow(endpoints, edge, wanted):
    """Publish ``wanted`` and return the seconds until the edge has exactly those hosts."""
    started = time.monotonic()
    endpoints.write({"usersvc": wanted})
    wait_until(lambda: set(edge.cluster_hosts("usersvc")) == set(wanted), EDGE_FOLLOWS_SECONDS, interval=0.01,
               what=f"the edge to follow to {sorted(wanted)}")
    return time.monotonic() - started


def test_hundreds_of_idle_and_slow_connections_leave_the_edge_following(plane):
    endpoints, sds, edge = plane
    idle = Flood(sds.port, [IDLE_SOURCE], 200, slow=False)
    slow = Flood(sds.port, SLOW_SOURCES, BOUNDS.connections_per_client, slow=True)
    try:
        # Past the bound, idle connections are answered once the overflow's 1 s wait for a request line is over;
        # the slow ones, opened after them, past the total bound, a moment later.
        wait_until(lambda: len(idle.snapshot()[0]) == len(idle.connections) - BOUNDS.connections_per_client,
                   QUICK_SECONDS * 2, what="the idle connections past the bound per client to be answered")
        wait_until(lambda: slow.snapshot()[0], QUICK_SECONDS * 2,
                   what="slow connections past the total bound to be answered")
        idle_answered, idle_held = idle.snapshot()
        slow_answered, slow_held = slow.snapshot()
        refused = idle_answered + slow_answered
        print(f"\n{len(idle.connections)} idle from one address: {len(idle_held)} held, {len(idle_answered)} answered; "
              f"{len(slow.connections)} slow from {len(SLOW_SOURCES)} addresses: {len(slow_held)} held, "
              f"{len(slow_answered)} answered; slowest refusal {max(c.answered_after for c in refused):.3f} s")
        assert len(idle_held) == BOUNDS.connections_per_client
        assert all(c.status == 503 and b"too busy" in c.answer for c in refused), {c.answer[:120] for c in refused}
        assert max(c.answered_after for c in refused) < QUICK_SECONDS
        # The slow ones filled the room of clients that hold connections: all but the share kept for new clients.
        assert len(idle_held) + len(slow_held) + 1 >= BOUNDS.connections - BOUNDS.connections_per_client
        assert slow_answered, "the total bound was reached"
        threads = thread_count(sds.process.pid)
        print(f"usersvc-sds threads: {threads} (bound {BOUNDS.connections} connections), "
              f"resident memory {process_status(sds.process.pid, 'VmRSS') / 1024:.0f} MiB")
        assert threads <= BOUNDS.connections + 8

        # The edge's long poll is still answered: it follows every change.
        lags = [follow(endpoints, edge, wanted) for wanted in ENDPOINT_SETS[1:] + ENDPOINT_SETS[:1]]
        print("edge follows endpoint changes under the flood: " + ", ".join(f"{lag * 1000:.0f} ms" for lag in lags))

        # A client past its bound gets a quick 503; a probe from it, its real answer.
        refused_call = call_from(IDLE_SOURCE, sds.port, "POST", "/v3/discovery:endpoints", discovery_request())
        assert refused_call.status == 503 and refused_call.retry_after == "1", refused_call.body
        assert refused_call.seconds < QUICK_SECONDS
        for probe in ("/readyz", "/livez", "/healthz"):
            answer = call_from(IDLE_SOURCE, sds.port, "GET", probe)
            assert answer.status == 200 and answer.json()["ok"] is True, (probe, answer.body)
        # A new client, say a new edge pod, gets in: the last share of the total is kept for it.
        fresh = call_from("127.0.3.1", sds.port, "POST", "/v3/discovery:endpoints", discovery_request())
        assert fresh.status == 200, fresh.body

        # Idle connections give their thread back after the idle timeout.
        wait_until(lambda: all(c.closed_after is not None for c in idle_held), IDLE_TIMEOUT_SECONDS + 10,
                   what="the server to close the held idle connections")
        print(f"held idle connections closed after {max(c.closed_after for c in idle_held):.1f} s "
              f"(idle timeout {IDLE_TIMEOUT_SECONDS:g} s)")
    finally:
        idle.close()
        slow.close()
    # Once the flood has gone, everything is as before.
    wait_until(lambda: thread_count(sds.process.pid) < 16, 15, what="the flood's threads to end")
    follow(endpoints, edge, ENDPOINT_SETS[1])
    assert edge.stat("cluster.usersvc.update_rejected") == 0
    sds.process.ensure_alive()


def test_long_polls_past_the_bound_per_client_get_a_quick_503(processes, tmp_path):
    endpoints = EndpointFile(tmp_path / "endpoints.json")
    endpoints.write({"usersvc": ENDPOINT_SETS[0]})
    sds = SdsProcess(processes, endpoints, hold_seconds=HOLD_SECONDS)
    version = call_from("127.0.4.1", sds.port, "POST", "/v3/discovery:endpoints",
                        discovery_request()).json()["version_info"]
    results = []

    def poll():
        results.append(call_from("127.0.4.1", sds.port, "POST", "/v3/discovery:endpoints", discovery_request(version)))

    threads = [threading.Thread(target=poll) for _number in range(BOUNDS.long_polls_per_client + 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(answer.status for answer in results)
    assert statuses == [304] * BOUNDS.long_polls_per_client + [503] * 2, statuses
    # The refused ones are answered at once, the held ones after the hold.
    print(f"\nrefused long polls answered after {max(a.seconds for a in results if a.status == 503):.3f} s, "
          f"held ones after {min(a.seconds for a in results if a.status == 304):.2f} s (hold {HOLD_SECONDS:g} s)")
    assert all(answer.seconds < HOLD_SECONDS / 2 for answer in results if answer.status == 503)
    assert all(answer.seconds >= HOLD_SECONDS * 0.9 for answer in results if answer.status == 304)
    # Another client has a share of its own.
    other = call_from("127.0.4.2", sds.port, "POST", "/v3/discovery:endpoints", discovery_request("old"))
    assert other.status == 200
