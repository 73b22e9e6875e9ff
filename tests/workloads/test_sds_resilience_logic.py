"""The discovery service's supervision and bounds without I/O: backoff, progress, limits, strict events."""

import threading

import pytest

from usersvc_sds import kubernetes_source
from usersvc_sds.endpointslices import ResourceExpired, SliceCache
from usersvc_sds.kubernetes_source import KubernetesEndpointSource
from usersvc_sds.limits import Bounds, Limits
from usersvc_sds.overflow import http_response, request_target
from usersvc_sds.server import DiscoveryService, Overloaded
from usersvc_sds.sources import EndpointSource
from usersvc_sds.store import Endpoint, EndpointStore
from usersvc_sds.supervision import MAX_BACKOFF_SECONDS, WatchProgress, backoff_delay


def test_backoff_doubles_up_to_the_cap_with_jitter_below_each_step():
    assert backoff_delay(0) == 0.0
    assert [backoff_delay(n, rand=lambda: 1.0) for n in range(1, 8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [backoff_delay(n, rand=lambda: 0.0) for n in (1, 5)] == [0.125, 2.0]
    # However long an outage lasts, a retry is never further away than the cap.
    assert backoff_delay(10_000) <= MAX_BACKOFF_SECONDS


def test_progress_tells_a_failing_watch_from_a_frozen_one():
    now = [100.0]
    progress = WatchProgress(clock=lambda: now[0])
    now[0] = 103.0
    assert progress.stalled_for() == 3.0
    assert progress.failed() == 0.0  # the first failure: the watch worked until now
    now[0] = 110.0
    assert progress.failed() == 7.0  # still no working watch, 7 s after it broke
    assert progress.stalled_for() == 0.0  # but retrying is progress
    progress.working()
    now[0] = 111.0
    assert progress.failed() == 0.0


def test_limits_per_client_and_in_total_with_room_for_new_clients():
    limits = Limits(Bounds(connections=8, connections_per_client=3, long_polls_per_client=2))
    assert [limits.admit("10.0.0.1") for _number in range(3)] == [None, None, None]
    assert "3 connections (the bound per client)" in limits.admit("10.0.0.1")
    assert limits.admit("10.0.0.2") is None and limits.admit("10.0.0.2") is None
    # 5 open: clients that hold some may fill up to 8 - 3; the last 3 are for clients that hold none.
    assert "5 connections open" in limits.admit("10.0.0.2")
    assert [limits.admit(f"10.0.1.{n}") for n in range(3)] == [None, None, None]
    assert "8 connections open" in limits.admit("10.0.2.1")
    limits.leave("10.0.0.1")
    assert limits.admit("10.0.2.1") is None
    assert limits.counts() == (8, 0)
    for client in ["10.0.0.1"] * 2 + ["10.0.0.2"] * 2 + [f"10.0.1.{n}" for n in range(3)] + ["10.0.2.1"]:
        limits.leave(client)
    assert limits.counts() == (0, 0)
    assert limits.hold("edge") and limits.hold("edge") and not limits.hold("edge")
    assert limits.hold("other")
    limits.release("edge")
    assert limits.hold("edge")


@pytest.mark.parametrize("bounds, problem", [
    (Bounds(0, 1, 1), "max connections must be at least 1, got 0"),
    (Bounds(10, 6, 1), "max connections (10) must be at least twice the max connections per client (6)"),
    (Bounds(10, 2, 3), "max long polls per client (3) cannot exceed the max connections per client (2)"),
])
def test_unusable_bounds_are_named(bounds, problem):
    assert any(problem in p for p in bounds.problems()), bounds.problems()


def test_default_bounds_are_usable():
    assert not Bounds().problems()


def test_a_client_past_its_long_polls_is_refused_at_once_and_others_are_held():
    store = EndpointStore()
    store.update("usersvc", [Endpoint("10.0.0.1", 80)])

    class Static(EndpointSource):
        def track(self, service):
            pass

        def close(self):
            pass

    discovery = DiscoveryService(store, Static(), hold_seconds=0.3,
                                 limits=Limits(Bounds(connections=8, connections_per_client=2, long_polls_per_client=1)))
    current = discovery.fetch("", ["usersvc"], client="edge")["version_info"]
    results = []
    held = threading.Thread(target=lambda: results.append(discovery.fetch(current, ["usersvc"], client="edge")))
    held.start()
    try:
        # Wait until the first long poll is really held.
        for _attempt in range(100):
            if discovery.limits.counts()[1] == 1:
                break
            threading.Event().wait(0.01)
        with pytest.raises(Overloaded, match="edge holds 1 long polls"):
            discovery.fetch(current, ["usersvc"], client="edge")
        # Another client has its own share; a stale version is answered without holding anything.
        assert discovery.fetch(current, ["usersvc"], client="other") is None
        assert discovery.fetch("stale", ["usersvc"], client="edge")["version_info"] == current
    finally:
        held.join()
    assert results == [None]
    assert discovery.limits.counts() == (0, 0)


@pytest.mark.parametrize("event", [
    "not a dict",
    ["ADDED"],
    {"type": "ADDED"},
    {"type": "ADDED", "object": "slice"},
    {"type": "ADDED", "object": {"metadata": {}}},
    {"type": "MODIFIED", "object": {"metadata": {"name": ""}}},
    {"type": "DELETED", "object": {"metadata": None}},
    {"type": "SURPRISE", "object": {"metadata": {"name": "a"}}},
    {"object": {"metadata": {"name": "a"}}},
])
def test_events_it_cannot_read_raise_value_error_so_the_watcher_lists_again(event):
    cache = SliceCache("http")
    cache.reset({"metadata": {"resourceVersion": "1"}, "items": []})
    with pytest.raises(ValueError):
        cache.apply(event)


def test_a_bookmark_needs_no_name_and_410_still_means_list_again():
    cache = SliceCache("http")
    assert not cache.apply({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "9"}}})
    assert cache.resource_version == "9"
    with pytest.raises(ResourceExpired):
        cache.apply({"type": "ERROR", "object": {"code": 410, "message": "too old"}})


def test_request_line_of_an_overflowing_connection():
    assert request_target(b"GET /livez?x=1 HTTP/1.1\r\nHost: a\r\n") == ("GET", "/livez")
    assert request_target(b"GET /readyz HTTP/1.1\n") == ("GET", "/readyz")
    assert request_target(b"GET /readyz HTT") is None
    assert request_target(b"\x16\x03\x01 binary\n") == ("", "")
    response = http_response(503, "Service Unavailable", {"error": "too busy"}, ("Retry-After: 1",))
    head, body = response.split(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 503 Service Unavailable"
    assert b"Retry-After: 1" in head and b"Connection: close" in head
    assert b"Content-Length: %d" % len(body) in head and body == b'{"error": "too busy"}'


class DyingOnceApi:
    """A list that ends the watcher thread the first time (as only a bug could), then works."""

    def __init__(self):
        self.lists = 0
        self.watching = threading.Event()

    def get(self, _path, _params, timeout):
        self.lists += 1
        if self.lists == 1:
            raise SystemExit("a BaseException no supervision catches")
        return {"metadata": {"resourceVersion": "5"}, "items": []}

    def watch(self, _path, _params, timeout):
        self.watching.set()
        threading.Event().wait(0.2)
        return iter(())


# The thread is meant to die here; pytest would warn about its unhandled SystemExit.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_watcher_is_reported_and_started_again_by_the_next_request(monkeypatch):
    monkeypatch.setattr(kubernetes_source, "SHORTEST_WATCH_SECONDS", 0.1)
    store = EndpointStore()
    api = DyingOnceApi()
    source = KubernetesEndpointSource(store, api, "ns", "http")
    try:
        source.track("usersvc")
        for _attempt in range(200):
            if source.stalls():
                break
            threading.Event().wait(0.01)
        assert "has ended" in source.stalls()["usersvc"]
        source.track("usersvc")
        assert api.watching.wait(5), "the new watcher lists and watches"
        assert source.stalls() == {}
        assert store.state("usersvc").endpoints == ()
    finally:
        source.close()
