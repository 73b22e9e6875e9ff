"""Round robin through the real edge, sidecars, usersvc and discovery service, without Kubernetes."""

import pytest

from harness.envoy import start_edge
from harness.plane import POD_ADDRESSES, DataPlane
from harness.processes import ProcessGroup
from toolkit.http import request


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("plane")
    with ProcessGroup(workdir / "processes") as processes:
        data_plane = DataPlane(processes, workdir / "endpoints.json")
        try:
            for name, fullname, password in (("alice", "Alice", "alicerules"), ("bob", "Bob", "bobrules")):
                created = data_plane.call("PUT", f"/user/{name}", {"fullname": fullname, "password": password})
                assert created.status == 200, created.body
            yield data_plane
        finally:
            data_plane.destroy()


def assert_cycle(names, members):
    """Every window of len(members) consecutive answers holds every member once: a perfect cycle."""
    size = len(members)
    for start in range(len(names) - size + 1):
        assert sorted(names[start:start + size]) == sorted(members), names


def test_twelve_requests_cycle_through_the_three_pods(plane):
    names = plane.resolvednames(12)
    assert_cycle(names, POD_ADDRESSES)
    assert names.count("127.0.0.11") == names.count("127.0.0.12") == names.count("127.0.0.13") == 4


def test_every_pod_reads_the_same_users(plane):
    uuids = {plane.call("GET", "/user/bob").json()["uuid"] for _request in range(3)}
    assert len(uuids) == 1


def test_edge_speaks_http2_to_the_sidecars(plane):
    for backend in plane.backends:
        assert backend.sidecar.stat("http.usersvc_sidecar.downstream_cx_http2_total") >= 1


def test_removed_pod_leaves_the_rotation_and_comes_back(plane):
    remaining = plane.backends[:2]
    plane.publish(remaining)
    try:
        plane.wait_for_rotation(remaining, timeout=5)
        names = plane.resolvednames(12)
        assert_cycle(names, [b.address for b in remaining])
    finally:
        plane.publish(plane.backends)
        plane.wait_for_rotation(plane.backends, timeout=10)
    assert_cycle(plane.resolvednames(12), POD_ADDRESSES)


def test_dead_sidecar_costs_no_failed_requests(plane):
    victim = plane.backends[1]
    victim.sidecar.process.stop()
    try:
        # Connect failures are retried on another pod, so the client never sees them.
        names = plane.resolvednames(12)
        assert victim.address not in names
        assert set(names) == {POD_ADDRESSES[0], POD_ADDRESSES[2]}
    finally:
        victim.start_sidecar()
        plane.wait_for_rotation(plane.backends, timeout=20)


def test_step2_edge_reaches_a_single_pod(plane):
    # Step 2 resolves one name to one address (a ClusterIP in Kubernetes), so round robin has one host.
    target = plane.backends[1]
    with ProcessGroup(plane.processes.log_dir / "step2") as processes:
        edge = start_edge(processes, name="edge-step2", edge_envoy_discovery="dns",
                          edge_envoy_upstream_service=target.address, edge_envoy_upstream_port=target.sidecar_port)
        names = [request("GET", "127.0.0.1", edge.listen_port, "/user/alice").json()["resolvedname"]
                 for _request in range(12)]
    assert names == [target.address] * 12
