"""Endpoints from a JSON file, for running the discovery service without Kubernetes.

The file maps service names to endpoints::

    {"usersvc": [{"address": "127.0.0.11", "port": 8080}, ...]}

It is the whole truth: a service missing from the file has no endpoints. Replace the file
atomically (write elsewhere, then rename) so a half-written file is never read.
"""

import json
import logging
import threading

from .sources import EndpointSource
from .store import Endpoint

LOG = logging.getLogger(__name__)


def parse_endpoint_file(text):
    """Return {service: [Endpoint]} or raise ValueError."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("endpoint file must hold a JSON object")
    result = {}
    for service, entries in data.items():
        if not isinstance(entries, list):
            raise ValueError(f"endpoints of {service!r} must be a list")
        result[service] = [_endpoint(service, entry) for entry in entries]
    return result


def _endpoint(service, entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
        raise ValueError(f"bad endpoint for {service!r}: {entry!r}")
    port = entry.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError(f"bad port for {service!r}: {entry!r}")
    return Endpoint(entry["address"], port)


class FileEndpointSource(EndpointSource):
    def __init__(self, store, path, interval=0.02):
        self._store = store
        self._path = path
        self._interval = interval
        self._tracked = set()
        self._lock = threading.Lock()
        self._last_text = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="file-source", daemon=True)
        self._thread.start()

    def track(self, service):
        with self._lock:
            if service in self._tracked:
                return
            self._tracked.add(service)
            # Force a publish for the new service on the next poll.
            self._last_text = None
        self._poll()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        # Polling because the standard library has no inotify; the file is tiny.
        while not self._stop.wait(self._interval):
            self._poll()

    def _poll(self):
        with self._lock:
            tracked = sorted(self._tracked)
            try:
                with open(self._path, encoding="utf-8") as handle:
                    text = handle.read()
                if text == self._last_text:
                    return
                services = parse_endpoint_file(text)
            except (OSError, ValueError) as exc:
                message = f"cannot use endpoint file {self._path}: {exc}"
                self._last_text = None
                for service in tracked:
                    if self._store.state(service).error != message:
                        LOG.error("%s", message)
                        self._store.fail(service, message)
                return
            self._last_text = text
            for service in tracked:
                self._store.update(service, services.get(service, []))
