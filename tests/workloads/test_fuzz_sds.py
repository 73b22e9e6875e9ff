"""Bad input at volume against the real discovery service: malformed DiscoveryRequests and raw bytes.

Every malformed request must get a 400 with a JSON ``error``; well-formed ones a DiscoveryResponse for
exactly the names asked for. The process must keep serving its real client afterwards.
"""

import json
import re
import socket

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from harness.processes import ProcessGroup
from harness.sds import EndpointFile, SdsProcess

EDS_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
ENDPOINTS = [("127.0.0.21", 8080), ("127.0.0.22", 8080)]
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def sds(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz-sds")
    endpoints = EndpointFile(workdir / "endpoints.json")
    endpoints.write({"usersvc": ENDPOINTS})
    with ProcessGroup(workdir / "processes") as processes:
        # A short hold: a request that is current must not stall the run.
        yield SdsProcess(processes, endpoints, hold_seconds=0.2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
names = st.one_of(st.sampled_from(["usersvc", "Usersvc", "", "-a", "a-", "a" * 63, "a" * 64, "../usersvc",
                                   "usersvc\n", "users vc", "usérsvc"]),
                  st.from_regex(SERVICE_NAME, fullmatch=True), st.text(max_size=12))
fields = {
    "version_info": st.text(max_size=20) | json_values, "versionInfo": st.text(max_size=20) | json_values,
    "resource_names": st.lists(names, max_size=4) | json_values,
    "resourceNames": st.lists(names, max_size=4) | json_values,
    "type_url": st.sampled_from([EDS_TYPE_URL, "", "type.googleapis.com/envoy.config.cluster.v3.Cluster"]) | json_values,
    "typeUrl": st.sampled_from([EDS_TYPE_URL]) | json_values,
    "node": json_values,
}
requests = st.fixed_dictionaries({}, optional=fields)
# Close to what Envoy sends, so the well-formed branch gets its share of examples.
envoy_like = st.fixed_dictionaries(
    {"version_info": st.text(max_size=20), "node": st.fixed_dictionaries({"id": st.text(max_size=8)}),
     "resource_names": st.lists(st.from_regex(SERVICE_NAME, fullmatch=True) | names, min_size=1, max_size=4)},
    optional={"type_url": st.just(EDS_TYPE_URL)})
bodies = st.one_of(
    envoy_like.map(lambda r: json.dumps(r).encode()),
    requests.map(lambda r: json.dumps(r).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=512),
    requests.map(lambda r: json.dumps(r).encode()[:-1]),
)


def expected_names(body):
    """The sorted names a well-formed DiscoveryRequest asks for, or None when it is malformed."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(request, dict):
        return None
    if (request.get("type_url") or request.get("typeUrl") or EDS_TYPE_URL) != EDS_TYPE_URL:
        return None
    version = request.get("version_info", request.get("versionInfo", ""))
    wanted = request.get("resource_names", request.get("resourceNames", []))
    if not isinstance(version, str) or not isinstance(wanted, list) or not all(isinstance(n, str) for n in wanted):
        return None
    if not wanted or not all(SERVICE_NAME.match(n) for n in wanted):
        return None
    return sorted(set(wanted))


def assert_still_serving(sds):
    sds.process.ensure_alive()
    response = sds.call("POST", "/v3/discovery:endpoints",
                        {"node": {"id": "edge", "cluster": "edge"}, "resource_names": ["usersvc"]})
    assert response.status == 200
    (assignment,) = response.json()["resources"]
    assert len(assignment["endpoints"][0]["lb_endpoints"]) == len(ENDPOINTS)


@SETTINGS
@given(body=bodies)
def test_discovery_requests_are_answered_exactly_or_refused(sds, body):
    response = sds.call("POST", "/v3/discovery:endpoints", body)
    wanted = expected_names(body)
    event("malformed" if wanted is None else "well-formed")
    if wanted is None:
        assert response.status == 400, (response.status, response.body)
        assert isinstance(response.json()["error"], str)
    elif wanted != ["usersvc"]:
        # Well-formed, but names a Service outside the allow-list (only usersvc here).
        assert response.status == 404, (response.status, response.body)
        assert "unknown service" in response.json()["error"]
    else:
        assert response.status == 200, (response.status, response.body)
        answer = response.json()
        assert answer["type_url"] == EDS_TYPE_URL and answer["version_info"]
        assert [r["cluster_name"] for r in answer["resources"]] == wanted
    assert_still_serving(sds)


RAW = [
    b"POST /v3/discovery:endpoints HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}",
    b"POST /v3/discovery:endpoints HTTP/1.1\r\nContent-Length: -5\r\n\r\n{}",
    b"POST /v3/discovery:endpoints HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n{}",
    b"POST /v3/discovery:endpoints HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}",
    b"POST /v3/discovery:endpoints HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /v1/registration/usersvc HTTP/9.9\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # an HTTP/2 preface
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
]


@settings(max_examples=40, deadline=None)
@given(raw=st.sampled_from(RAW) | st.binary(min_size=1, max_size=2048))
def test_garbage_on_the_socket_gets_an_error_or_a_close_and_harms_nothing(sds, raw):
    with socket.create_connection(("127.0.0.1", sds.port), timeout=5) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            answer = b""
    if answer:
        status = error_status(answer)
        assert status is not None and 400 <= status < 600, answer[:200]
    assert_still_serving(sds)


def error_status(answer):
    if answer.startswith(b"HTTP/1."):
        return int(answer.split(b" ", 2)[1])
    # Without an HTTP/1.x request line, http.server answers with a bare HTML page, as for HTTP/0.9.
    match = re.search(rb"Error code: (\d{3})", answer)
    return int(match.group(1)) if match else None
