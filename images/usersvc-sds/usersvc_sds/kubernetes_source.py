"""Endpoints from the EndpointSlices of a Service, watched through the Kubernetes API.

Needs only get, list and watch on endpointslices (discovery.k8s.io) in its own namespace.
"""

import logging
import threading
import urllib.parse

from .endpointslices import ResourceExpired, SliceCache
from .kubernetes_api import ApiError
from .sources import EndpointSource

LOG = logging.getLogger(__name__)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
WATCH_SECONDS = 240
# Bookmarks arrive about once a minute, so a silent stream this long is a dead stream.
READ_TIMEOUT_SECONDS = WATCH_SECONDS + 60
MAX_BACKOFF_SECONDS = 30.0


class KubernetesEndpointSource(EndpointSource):
    def __init__(self, store, api, namespace, port_name):
        self._store = store
        self._api = api
        self._path = f"/apis/discovery.k8s.io/v1/namespaces/{urllib.parse.quote(namespace, safe='')}/endpointslices"
        self._port_name = port_name
        self._watchers = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def track(self, service):
        with self._lock:
            if service not in self._watchers:
                thread = threading.Thread(target=self._follow, args=(service,), name=f"watch-{service}", daemon=True)
                self._watchers[service] = thread
                thread.start()

    def close(self):
        self._stop.set()

    def _follow(self, service):
        selector = {"labelSelector": f"{SERVICE_NAME_LABEL}={service}"}
        cache = SliceCache(self._port_name)
        backoff = 0.5
        while not self._stop.is_set():
            try:
                if cache.resource_version is None:
                    cache.reset(self._api.get(self._path, selector))
                    self._store.update(service, cache.endpoints())
                self._watch(service, selector, cache)
                backoff = 0.5
            except ResourceExpired:
                LOG.info("watch of %s expired; listing again", service)
                cache.resource_version = None
            except (ApiError, OSError, ValueError, RuntimeError) as exc:
                LOG.error("endpointslices of %s: %s (serving last known endpoints)", service, exc)
                self._store.fail(service, str(exc))
                cache.resource_version = None
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _watch(self, service, selector, cache):
        params = dict(selector, resourceVersion=cache.resource_version, allowWatchBookmarks="true",
                      timeoutSeconds=str(WATCH_SECONDS))
        for event in self._api.watch(self._path, params, timeout=READ_TIMEOUT_SECONDS):
            if cache.apply(event):
                self._store.update(service, cache.endpoints())
            if self._stop.is_set():
                return
