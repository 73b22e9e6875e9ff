"""Thread-safe endpoint state shared by the endpoint sources and the HTTP layer."""

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Endpoint:
    address: str
    port: int


@dataclass(frozen=True)
class ServiceState:
    # None until the first successful sync: "unknown" must never look like "no endpoints".
    endpoints: tuple | None
    error: str | None


class EndpointStore:
    def __init__(self):
        self._cond = threading.Condition()
        self._endpoints = {}
        self._errors = {}
        self._generation = 0

    def update(self, service, endpoints):
        """Record a successful sync; wakes long-polls only when the set really changed."""
        endpoints = tuple(sorted(set(endpoints)))
        with self._cond:
            self._errors.pop(service, None)
            if self._endpoints.get(service) != endpoints:
                self._endpoints[service] = endpoints
                self._generation += 1
                self._cond.notify_all()

    def fail(self, service, error):
        """Record a sync error; the last known endpoints stay in place."""
        with self._cond:
            self._errors[service] = error
            # Wake waiters for a first sync so they can report the error instead of hanging.
            self._generation += 1
            self._cond.notify_all()

    def state(self, service):
        with self._cond:
            return ServiceState(self._endpoints.get(service), self._errors.get(service))

    def errors(self):
        with self._cond:
            return dict(self._errors)

    @property
    def generation(self):
        with self._cond:
            return self._generation

    def wait_for_change(self, generation, timeout):
        """Block until the generation moves past ``generation`` or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._generation == generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._generation
