"""HTTP front of the discovery service: EDS over REST with long-polling, v1 view, health."""

import json
import logging
import re
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import xds
from .limits import Limits
from .overflow import OverflowResponder

LOG = logging.getLogger(__name__)
# Envoy's DiscoveryRequest carries its node description, including every built-in extension
# (over 100 KiB with Envoy 1.40).
MAX_BODY_BYTES = 4 * 1024 * 1024
# Kubernetes Service names are DNS-1035 labels; anything else cannot have EndpointSlices.
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
REGISTRATION_PATH = re.compile(r"^/v1/registration/([^/]+)$")
# A connection that sends nothing (between requests, or in the middle of one) for this long is closed,
# so idle and slow clients give their thread back.
IDLE_TIMEOUT_SECONDS = 10.0


class Unavailable(Exception):
    pass


class UnknownService(Exception):
    """A name outside the services this discovery service was started for."""


class Overloaded(Exception):
    """The client holds as many long polls as it may."""


class DiscoveryService:
    """Answers requests from the store, asking the source to follow every service named."""

    def __init__(self, store, source, services=("usersvc",), hold_seconds=20.0, first_sync_seconds=5.0,
                 limits=None):
        self.store = store
        self.source = source
        self.limits = limits or Limits()
        # Only these are ever watched: any other name would start one more watch on the API server
        # for as long as the process lives, for anyone who can reach this port.
        self.services = frozenset(services)
        self.hold_seconds = hold_seconds
        self.first_sync_seconds = first_sync_seconds

    def check_known(self, names):
        unknown = sorted(set(names) - self.services)
        if unknown:
            raise UnknownService(f"unknown service {unknown[0]!r}: this discovery service serves "
                                 f"{', '.join(sorted(self.services))} (its SDS_SERVICES)")

    def endpoints(self, service):
        """Known endpoints of ``service``; waits briefly for a first sync, else raises Unavailable."""
        self.check_known([service])
        self.source.track(service)
        deadline = time.monotonic() + self.first_sync_seconds
        while True:
            generation = self.store.generation
            state = self.store.state(service)
            if state.endpoints is not None:
                return state.endpoints
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Unavailable(f"no endpoints known for {service!r}: {state.error or 'not synced yet'}")
            self.store.wait_for_change(generation, remaining)

    def resources(self, names):
        return [xds.cluster_load_assignment(name, self.endpoints(name)) for name in names]

    def fetch(self, client_version, names, client="local"):
        """Return the DiscoveryResponse, or None (304) when the client stays current for the hold time.

        Holding counts against the long polls ``client`` may have; past them, Overloaded.
        """
        # All names at once, before waiting on any: an unknown one is a 404 straight away.
        self.check_known(names)
        deadline = time.monotonic() + self.hold_seconds
        held = False
        try:
            while True:
                generation = self.store.generation
                resources = self.resources(names)
                version = xds.resources_version(resources)
                if version != client_version:
                    return xds.discovery_response(version, resources)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if not held:
                    if not self.limits.hold(client):
                        raise Overloaded(f"{client} holds {self.limits.bounds.long_polls_per_client} long polls "
                                         "already (the bound per client)")
                    held = True
                # Long-poll: answer as soon as something changes instead of on Envoy's next poll.
                self.store.wait_for_change(generation, remaining)
        finally:
            if held:
                self.limits.release(client)

    def health(self):
        """(ok, {service: why}): any source error, and any watch that is stalled."""
        errors = self.store.errors()
        for service, stall in self.source.stalls().items():
            errors[service] = f"{stall}; {errors[service]}" if service in errors else stall
        return (not errors), errors

    def liveness(self):
        """(ok, {service: why}): only what a restart would cure, a stalled or ended watch.

        An API server that is down is not among it: a new process could not list either.
        """
        stalls = self.source.stalls()
        return (not stalls), stalls

    def probe(self, path):
        """(status, phrase, payload) for a probe path, None for any other path. Cheap: nothing waits."""
        if path == "/readyz":
            # Serving is enough: the edge keeps its last endpoints when an answer is 503, and taking
            # the only discovery pod out of its Service would cut the edge off from later changes.
            return _status(True, {})
        if path == "/livez":
            return _status(*self.liveness())
        if path == "/healthz":
            return _status(*self.health())
        return None


def _status(ok, errors):
    status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
    return status.value, status.phrase, {"ok": ok, "errors": errors}


def _check_service_names(names):
    if not names:
        raise xds.BadRequest("resource_names must name at least one service")
    for name in names:
        if not SERVICE_NAME.match(name):
            raise xds.BadRequest(f"invalid service name {name!r}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "usersvc-sds"
    discovery: DiscoveryService = None  # set on the subclass made by make_server
    # Socket timeout: StreamRequestHandler applies it to every read and write of the connection.
    timeout = IDLE_TIMEOUT_SECONDS

    def do_POST(self):  # noqa: N802  # name fixed by http.server
        if self.path.split("?", 1)[0] != "/v3/discovery:endpoints":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        try:
            version, names = xds.parse_discovery_request(self._read_body())
            _check_service_names(names)
            response = self.discovery.fetch(version, names, client=self.client_address[0])
        except xds.BadRequest as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except (UnknownService, Unavailable) as exc:
            # Envoy keeps its current endpoints when a fetch fails.
            self._send_lookup_failure(exc)
            return
        except Overloaded as exc:
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"too busy: {exc}"}, ("Retry-After", "1"))
            return
        if response is None:
            self._send_empty(HTTPStatus.NOT_MODIFIED)
        else:
            self._send_json(HTTPStatus.OK, response)

    def do_GET(self):  # noqa: N802  # name fixed by http.server
        path = self.path.split("?", 1)[0]
        probe = self.discovery.probe(path)
        if probe is not None:
            self._send_json(HTTPStatus(probe[0]), probe[2])
            return
        match = REGISTRATION_PATH.match(path)
        if not match or not SERVICE_NAME.match(match.group(1)):
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        try:
            endpoints = self.discovery.endpoints(match.group(1))
        except (UnknownService, Unavailable) as exc:
            self._send_lookup_failure(exc)
            return
        self._send_json(HTTPStatus.OK, xds.registration(endpoints))

    def _read_body(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise xds.BadRequest("bad Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            # The unread body would be parsed as the next request.
            self.close_connection = True
            raise xds.BadRequest("body too large")
        return self.rfile.read(length)

    def _send_lookup_failure(self, exc):
        """404 for a service not served here, 503 while its endpoints are not known: the same on both APIs."""
        status = HTTPStatus.NOT_FOUND if isinstance(exc, UnknownService) else HTTPStatus.SERVICE_UNAVAILABLE
        self._send_json(status, {"error": str(exc)})

    def _send_json(self, status, payload, *headers):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_empty(self, status):
        self.send_response(status)
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # signature from http.server
        LOG.info("%s %s", self.address_string(), format % args)


class DiscoveryServer(ThreadingHTTPServer):
    """A thread per connection, within the bounds of ``discovery.limits``; past them, the overflow answers."""

    daemon_threads = True
    # The kernel's queue of connections not accepted yet: room for a burst, so none is dropped unseen.
    request_queue_size = 128

    def __init__(self, address, handler, limits, overflow):
        self.limits = limits
        self.overflow = overflow
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        refusal = self.limits.admit(client_address[0])
        if refusal is not None:
            self.overflow.refuse(request, refusal)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.limits.leave(client_address[0])
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.limits.leave(client_address[0])


def make_server(address, port, discovery):
    handler = type("BoundHandler", (Handler,), {"discovery": discovery})
    overflow = OverflowResponder(discovery.probe)
    overflow.start()
    return DiscoveryServer((address, port), handler, discovery.limits, overflow)
