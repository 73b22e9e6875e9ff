"""The discovery service as a real process: its REST protocol, and a real Envoy following it."""

import os
import subprocess
import sys
import threading
import time

import pytest

from harness import SDS_DIR
from harness.envoy import start_edge
from harness.processes import wait_until
from harness.sds import EndpointFile, SdsProcess
from usersvc_sds.xds import EDS_TYPE_URL

HOLD_SECONDS = 2.0


@pytest.fixture
def endpoint_file(tmp_path):
    endpoints = EndpointFile(tmp_path / "endpoints.json")
    endpoints.write({"usersvc": [("127.0.0.21", 8080), ("127.0.0.22", 8080)]})
    return endpoints


@pytest.fixture
def sds(processes, endpoint_file):
    # "absent" is served but has no endpoints in the file.
    return SdsProcess(processes, endpoint_file, hold_seconds=HOLD_SECONDS, services=("usersvc", "absent"))


def discovery_request(names=("usersvc",), version=""):
    return {"version_info": version, "node": {"id": "test", "cluster": "edge-envoy"},
            "resource_names": list(names), "type_url": EDS_TYPE_URL}


def addresses(response):
    (assignment,) = response["resources"]
    return sorted((lb["endpoint"]["address"]["socket_address"]["address"],
                   lb["endpoint"]["address"]["socket_address"]["port_value"])
                  for group in assignment["endpoints"] for lb in group["lb_endpoints"])


def test_answers_a_discovery_request_with_cluster_load_assignments(sds):
    response = sds.call("POST", "/v3/discovery:endpoints", discovery_request())
    assert response.status == 200
    body = response.json()
    assert body["type_url"] == EDS_TYPE_URL and body["version_info"]
    (assignment,) = body["resources"]
    assert assignment["@type"] == EDS_TYPE_URL
    assert assignment["cluster_name"] == "usersvc"
    assert addresses(body) == [("127.0.0.21", 8080), ("127.0.0.22", 8080)]


def test_current_client_is_held_then_gets_304(sds):
    version = sds.call("POST", "/v3/discovery:endpoints", discovery_request()).json()["version_info"]
    started = time.monotonic()
    response = sds.call("POST", "/v3/discovery:endpoints", discovery_request(version=version))
    assert response.status == 304 and response.body == b""
    assert time.monotonic() - started >= HOLD_SECONDS * 0.9


def test_held_request_is_answered_as_soon_as_endpoints_change(sds, endpoint_file):
    version = sds.call("POST", "/v3/discovery:endpoints", discovery_request()).json()["version_info"]
    timer = threading.Timer(0.3, endpoint_file.write, args=({"usersvc": [("127.0.0.23", 8080)]},))
    timer.start()
    started = time.monotonic()
    response = sds.call("POST", "/v3/discovery:endpoints", discovery_request(version=version))
    elapsed = time.monotonic() - started
    timer.join()
    assert response.status == 200
    assert response.json()["version_info"] != version
    assert addresses(response.json()) == [("127.0.0.23", 8080)]
    assert elapsed < HOLD_SECONDS


def test_stale_client_version_is_answered_at_once(sds):
    started = time.monotonic()
    response = sds.call("POST", "/v3/discovery:endpoints", discovery_request(version="not-the-current-one"))
    assert response.status == 200
    assert time.monotonic() - started < HOLD_SECONDS / 2


@pytest.mark.parametrize("body, status", [
    ("{broken", 400),
    ({"resource_names": ["usersvc"], "type_url": "type.googleapis.com/envoy.config.cluster.v3.Cluster"}, 400),
    ({"resource_names": ["Not_A_Service"]}, 400),
    ({"resource_names": []}, 400),
])
def test_bad_discovery_requests_are_400(sds, body, status):
    response = sds.call("POST", "/v3/discovery:endpoints", body)
    assert response.status == status
    assert response.json()["error"]


def test_unknown_paths_are_404(sds):
    assert sds.call("POST", "/v2/discovery:endpoints", discovery_request()).status == 404
    assert sds.call("GET", "/v1/registration/Bad_Name").status == 404
    assert sds.call("GET", "/elsewhere").status == 404


def test_services_outside_the_allow_list_are_404(sds):
    for answer in (sds.call("POST", "/v3/discovery:endpoints", discovery_request(names=("usersvc", "payments"))),
                   sds.call("GET", "/v1/registration/payments")):
        assert answer.status == 404
        assert answer.json()["error"] == ("unknown service 'payments': this discovery service serves absent, usersvc "
                                          "(its SDS_SERVICES)")
    # Nothing was started for the refused name: health lists no error about it.
    assert sds.call("GET", "/healthz").json() == {"ok": True, "errors": {}}


def test_a_bad_allow_list_stops_the_start_with_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "usersvc_sds", "--endpoints-file", str(tmp_path / "e.json"),
                             "--services", "usersvc,Bad_Name"], env=dict(os.environ, PYTHONPATH=str(SDS_DIR)),
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "SDS_SERVICES must list Kubernetes Service names" in result.stderr and "Bad_Name" in result.stderr


def test_v1_registration_view(sds):
    response = sds.call("GET", "/v1/registration/usersvc")
    assert response.status == 200
    assert response.json() == {"hosts": [{"ip_address": "127.0.0.21", "port": 8080, "tags": {}},
                                         {"ip_address": "127.0.0.22", "port": 8080, "tags": {}}]}
    assert sds.call("GET", "/v1/registration/absent").json() == {"hosts": []}


def test_source_errors_fail_health_but_keep_the_last_endpoints(sds, endpoint_file):
    assert sds.call("GET", "/v1/registration/usersvc").status == 200
    assert sds.call("GET", "/healthz").json() == {"ok": True, "errors": {}}
    endpoint_file.path.write_text("{not json")
    health = wait_until(lambda: _failing(sds.call("GET", "/healthz")), 5, what="/healthz to fail")
    assert "endpoint file" in health["errors"]["usersvc"]
    assert len(sds.call("GET", "/v1/registration/usersvc").json()["hosts"]) == 2
    body = sds.call("POST", "/v3/discovery:endpoints", discovery_request()).json()
    assert addresses(body) == [("127.0.0.21", 8080), ("127.0.0.22", 8080)]
    endpoint_file.write({"usersvc": [("127.0.0.21", 8080)]})
    wait_until(lambda: sds.call("GET", "/healthz").status == 200, 5, what="/healthz to recover")


def test_never_synced_service_is_503_not_an_empty_list(processes, tmp_path):
    sds = SdsProcess(processes, EndpointFile(tmp_path / "missing.json"), hold_seconds=HOLD_SECONDS)
    response = sds.call("POST", "/v3/discovery:endpoints", discovery_request())
    assert response.status == 503
    assert "missing.json" in response.json()["error"]
    assert sds.call("GET", "/v1/registration/usersvc").status == 503
    assert sds.call("GET", "/healthz").status == 503


def test_envoy_follows_endpoint_changes(processes, sds, endpoint_file):
    edge = start_edge(processes, edge_envoy_sds_host="127.0.0.1", edge_envoy_sds_port=sds.port)
    expect_hosts(edge, {("127.0.0.21", 8080), ("127.0.0.22", 8080)})

    endpoint_file.write({"usersvc": [("127.0.0.21", 8080), ("127.0.0.22", 8080), ("127.0.0.23", 9090)]})
    expect_hosts(edge, {("127.0.0.21", 8080), ("127.0.0.22", 8080), ("127.0.0.23", 9090)})

    endpoint_file.write({"usersvc": [("127.0.0.23", 9090)]})
    expect_hosts(edge, {("127.0.0.23", 9090)})

    endpoint_file.write({"usersvc": []})
    expect_hosts(edge, set())
    # Envoy acknowledged every version it was sent.
    assert edge.stat("cluster.usersvc.update_rejected") == 0
    assert edge.stat("cluster.usersvc.update_success") >= 4


def expect_hosts(edge, wanted):
    # Long-polling makes this quick; the limit is far above the expected tens of milliseconds.
    wait_until(lambda: set(edge.cluster_hosts("usersvc")) == wanted, 5, what=f"edge hosts {sorted(wanted)}")


def _failing(response):
    return response.json() if response.status == 503 else None
