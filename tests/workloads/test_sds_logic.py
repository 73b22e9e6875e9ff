"""Discovery service logic without I/O: EndpointSlices, watch events, the store, EDS messages."""

import threading
import time

import pytest

from usersvc_sds import xds
from usersvc_sds.endpointslices import ResourceExpired, SliceCache, slice_endpoints
from usersvc_sds.file_source import parse_endpoint_file
from usersvc_sds.store import Endpoint, EndpointStore


def make_slice(name, endpoints, ports=(("http", 80),), resource_version="1"):
    return {
        "metadata": {"name": name, "resourceVersion": resource_version},
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"} for port_name, port in ports],
        "endpoints": [{"addresses": [address], "conditions": conditions} for address, conditions in endpoints],
    }


def test_only_ready_endpoints_on_the_named_port():
    endpoint_slice = make_slice("s1", [
        ("10.244.0.5", {"ready": True}),
        ("10.244.0.6", {"ready": False, "terminating": True}),
        ("10.244.0.7", {}),  # unknown readiness counts as ready, as the API documents
    ], ports=(("metrics", 9090), ("http", 80)))
    assert slice_endpoints(endpoint_slice, "http") == [Endpoint("10.244.0.5", 80), Endpoint("10.244.0.7", 80)]


def test_slice_without_the_named_port_or_endpoints_gives_nothing():
    assert slice_endpoints(make_slice("s1", [("10.244.0.5", {"ready": True})], ports=(("grpc", 81),)), "http") == []
    assert slice_endpoints({"metadata": {"name": "s"}, "ports": None, "endpoints": None}, "http") == []


def test_unnamed_port_matches_an_empty_port_name():
    endpoint_slice = make_slice("s1", [("10.244.0.5", {"ready": True})], ports=(("", 8080),))
    assert slice_endpoints(endpoint_slice, "") == [Endpoint("10.244.0.5", 8080)]


def test_cache_follows_list_then_watch_events():
    cache = SliceCache("http")
    cache.reset({"metadata": {"resourceVersion": "10"}, "items": [make_slice("a", [("10.0.0.1", {"ready": True})])]})
    assert cache.resource_version == "10"
    assert cache.endpoints() == [Endpoint("10.0.0.1", 80)]

    added = make_slice("b", [("10.0.0.2", {"ready": True})], resource_version="11")
    assert cache.apply({"type": "ADDED", "object": added})
    assert cache.endpoints() == [Endpoint("10.0.0.1", 80), Endpoint("10.0.0.2", 80)]
    assert cache.resource_version == "11"

    modified = make_slice("a", [("10.0.0.1", {"ready": False})], resource_version="12")
    assert cache.apply({"type": "MODIFIED", "object": modified})
    assert cache.endpoints() == [Endpoint("10.0.0.2", 80)]

    assert not cache.apply({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}})
    assert cache.resource_version == "15"

    assert cache.apply({"type": "DELETED", "object": make_slice("b", [], resource_version="16")})
    assert cache.endpoints() == []


def test_same_address_in_two_slices_is_served_once():
    cache = SliceCache("http")
    cache.reset({"metadata": {"resourceVersion": "1"}, "items": [
        make_slice("a", [("10.0.0.1", {"ready": True})]), make_slice("b", [("10.0.0.1", {"ready": True})])]})
    assert cache.endpoints() == [Endpoint("10.0.0.1", 80)]


def test_expired_watch_asks_for_a_relist_and_other_errors_raise():
    cache = SliceCache("http")
    with pytest.raises(ResourceExpired):
        cache.apply({"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}})
    with pytest.raises(RuntimeError, match="500"):
        cache.apply({"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "boom"}})


def test_store_keeps_endpoints_through_errors_and_reports_them():
    store = EndpointStore()
    assert store.state("usersvc").endpoints is None
    store.update("usersvc", [Endpoint("10.0.0.2", 80), Endpoint("10.0.0.1", 80), Endpoint("10.0.0.1", 80)])
    store.fail("usersvc", "API unreachable")
    state = store.state("usersvc")
    assert state.endpoints == (Endpoint("10.0.0.1", 80), Endpoint("10.0.0.2", 80))
    assert state.error == "API unreachable"
    assert store.errors() == {"usersvc": "API unreachable"}
    store.update("usersvc", [Endpoint("10.0.0.1", 80), Endpoint("10.0.0.2", 80)])
    assert store.errors() == {}


def test_store_wakes_waiters_only_on_real_changes():
    store = EndpointStore()
    store.update("usersvc", [Endpoint("10.0.0.1", 80)])
    generation = store.generation
    store.update("usersvc", [Endpoint("10.0.0.1", 80)])
    assert store.generation == generation
    timer = threading.Timer(0.1, store.update, args=("usersvc", [Endpoint("10.0.0.2", 80)]))
    timer.start()
    started = time.monotonic()
    assert store.wait_for_change(generation, timeout=5) > generation
    assert time.monotonic() - started < 2
    timer.join()
    assert store.wait_for_change(store.generation, timeout=0.05) == store.generation


def test_discovery_request_parsing():
    version, names = xds.parse_discovery_request(
        b'{"version_info": "v1", "resource_names": ["usersvc", "usersvc"], "node": {"id": "edge"},'
        b' "type_url": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"}')
    assert (version, names) == ("v1", ["usersvc"])
    assert xds.parse_discovery_request(b'{"resource_names": ["usersvc"]}') == ("", ["usersvc"])
    for bad in (b"nope", b"[]", b'{"type_url": "type.googleapis.com/envoy.config.cluster.v3.Cluster"}',
                b'{"resource_names": "usersvc"}', b'{"version_info": 3}'):
        with pytest.raises(xds.BadRequest):
            xds.parse_discovery_request(bad)


def test_assignment_version_depends_only_on_content():
    first = [xds.cluster_load_assignment("usersvc", [Endpoint("10.0.0.1", 80)])]
    again = [xds.cluster_load_assignment("usersvc", [Endpoint("10.0.0.1", 80)])]
    other = [xds.cluster_load_assignment("usersvc", [Endpoint("10.0.0.2", 80)])]
    assert xds.resources_version(first) == xds.resources_version(again) != xds.resources_version(other)
    assert first[0]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"] == {
        "address": "10.0.0.1", "port_value": 80}
    assert xds.cluster_load_assignment("usersvc", [])["endpoints"] == []


def test_registration_view_matches_the_tutorial():
    assert xds.registration([Endpoint("10.244.0.5", 80)]) == {
        "hosts": [{"ip_address": "10.244.0.5", "port": 80, "tags": {}}]}


def test_endpoint_file_parsing():
    assert parse_endpoint_file('{"usersvc": [{"address": "127.0.0.11", "port": 8080}], "other": []}') == {
        "usersvc": [Endpoint("127.0.0.11", 8080)], "other": []}
    for bad in ("[]", '{"usersvc": {}}', '{"usersvc": [{"address": "a", "port": 0}]}',
                '{"usersvc": [{"address": "a", "port": true}]}', '{"usersvc": [{"port": 80}]}', "{"):
        with pytest.raises(ValueError):
            parse_endpoint_file(bad)
