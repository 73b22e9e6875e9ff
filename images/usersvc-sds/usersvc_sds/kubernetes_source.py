"""Endpoints from the EndpointSlices of a Service, watched through the Kubernetes API.

One supervised watcher thread per Service: list, then watch from the list's resourceVersion. Any
error (the API server gone, a stream cut in the middle of a chunk, an event it cannot read, 410 Gone)
is logged and followed by a fresh list and a new watch, after a backoff for anything but a first 410.
The last known endpoints stay in the store meanwhile; the error is in the store until the list works.
stalls() names a watcher that made no progress within the stall bound, or whose thread has ended.

Needs only get, list and watch on endpointslices (discovery.k8s.io) in its own namespace.
"""

import http.client
import logging
import threading
import time
import urllib.parse

from .endpointslices import ResourceExpired, SliceCache
from .kubernetes_api import ApiError
from .sources import EndpointSource
from .supervision import WatchProgress, backoff_delay

LOG = logging.getLogger(__name__)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
WATCH_SECONDS = 60
LIST_TIMEOUT_SECONDS = 30
# A watch that ends this early without a single event counts as a failure, so a server that closes
# every watch at once gets backoff instead of a tight loop of requests.
SHORTEST_WATCH_SECONDS = 1.0
# What the network and the API server do; anything else is a bug or a broken event, and gets a traceback.
EXPECTED_ERRORS = (ApiError, OSError, http.client.HTTPException, ValueError, RuntimeError)


def read_timeout(watch_seconds):
    """How long a watch may stay silent before it counts as dead: the server ends it after ``watch_seconds``."""
    return watch_seconds * 1.5


def stall_bound(watch_seconds):
    """Seconds without progress after which a watcher is frozen: longer than a silent watch can be."""
    return watch_seconds * 2


class Watcher:
    """One Service's watcher thread and its progress."""

    def __init__(self, service, target):
        self.service = service
        self.progress = WatchProgress()
        self.thread = threading.Thread(target=target, args=(self,), name=f"watch-{service}", daemon=True)


class KubernetesEndpointSource(EndpointSource):
    def __init__(self, store, api, namespace, port_name, watch_seconds=WATCH_SECONDS):
        self._store = store
        self._api = api
        self._path = f"/apis/discovery.k8s.io/v1/namespaces/{urllib.parse.quote(namespace, safe='')}/endpointslices"
        self._port_name = port_name
        self._watch_seconds = watch_seconds
        self.stall_seconds = stall_bound(watch_seconds)
        self._watchers = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def track(self, service):
        with self._lock:
            watcher = self._watchers.get(service)
            if watcher is not None and watcher.thread.is_alive():
                return
            if watcher is not None:
                # The loop catches every error, so this is a bug; still, never leave a Service unwatched.
                LOG.error("the watcher of %s had ended; starting a new one", service)
            watcher = Watcher(service, self._follow)
            self._watchers[service] = watcher
            watcher.thread.start()

    def stalls(self):
        with self._lock:
            watchers = list(self._watchers.values())
        result = {}
        for watcher in watchers:
            if not watcher.thread.is_alive() and not self._stop.is_set():
                result[watcher.service] = f"the watcher of {watcher.service} has ended (restarted on the next request)"
                continue
            idle = watcher.progress.stalled_for()
            if idle > self.stall_seconds:
                result[watcher.service] = (f"the watch of {watcher.service} made no progress for {idle:.0f} s "
                                           f"(bound {self.stall_seconds:.0f} s)")
        return result

    def close(self):
        self._stop.set()

    def _follow(self, watcher):
        service = watcher.service
        selector = {"labelSelector": f"{SERVICE_NAME_LABEL}={service}"}
        cache = SliceCache(self._port_name)
        failures = 0
        while not self._stop.is_set():
            watcher.progress.progressed()
            try:
                if cache.resource_version is None:
                    cache.reset(self._api.get(self._path, selector, timeout=LIST_TIMEOUT_SECONDS))
                    self._store.update(service, cache.endpoints())
                    watcher.progress.working()
                if self._watch(watcher, selector, cache):
                    failures = 0
                else:
                    raise ApiError(f"the watch ended within {SHORTEST_WATCH_SECONDS:g} s without an event")
            except ResourceExpired as exc:
                # The usual end of a long-lived watch: list again at once, unless it keeps happening.
                delay = backoff_delay(failures)
                failures += 1
                LOG.info("watch of %s expired (%s); listing again in %.1f s", service, _first_line(exc), delay)
                cache.resource_version = None
                self._stop.wait(delay)
            except Exception as exc:  # pylint: disable=broad-except  # supervised: no error may end the watcher
                failures += 1
                delay = backoff_delay(failures)
                down_for = watcher.progress.failed()
                cache.resource_version = None
                self._report(service, exc, delay, down_for)
                self._stop.wait(delay)

    def _watch(self, watcher, selector, cache):
        """Follow one watch until the server ends it; False when it ended at once without any event."""
        params = dict(selector, resourceVersion=cache.resource_version, allowWatchBookmarks="true",
                      timeoutSeconds=str(int(self._watch_seconds)))
        started = time.monotonic()
        events = 0
        for event in self._api.watch(self._path, params, timeout=read_timeout(self._watch_seconds)):
            if cache.apply(event):
                self._store.update(watcher.service, cache.endpoints())
            events += 1
            watcher.progress.working()
            if self._stop.is_set():
                break
        return events > 0 or time.monotonic() - started >= SHORTEST_WATCH_SECONDS

    def _report(self, service, exc, delay, down_for):
        message = (f"endpointslices of {service}: {type(exc).__name__}: {_first_line(exc)}; no working watch for "
                   f"{down_for:.0f} s, listing again in {delay:.1f} s (serving the last known endpoints)")
        if isinstance(exc, EXPECTED_ERRORS):
            LOG.error("%s", message)
        else:
            LOG.exception("%s", message)
        self._store.fail(service, message)


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else repr(exc)
