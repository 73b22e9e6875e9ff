"""HTTP front of the discovery service: EDS over REST with long-polling, v1 view, health."""

import json
import logging
import re
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import xds

LOG = logging.getLogger(__name__)
# Envoy's DiscoveryRequest carries its node description, including every built-in extension
# (over 100 KiB with Envoy 1.40).
MAX_BODY_BYTES = 4 * 1024 * 1024
# Kubernetes Service names are DNS-1035 labels; anything else cannot have EndpointSlices.
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
REGISTRATION_PATH = re.compile(r"^/v1/registration/([^/]+)$")


class Unavailable(Exception):
    pass


class UnknownService(Exception):
    """A name outside the services this discovery service was started for."""


class DiscoveryService:
    """Answers requests from the store, asking the source to follow every service named."""

    def __init__(self, store, source, services=("usersvc",), hold_seconds=20.0, first_sync_seconds=5.0):
        self.store = store
        self.source = source
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

    def fetch(self, client_version, names):
        """Return the DiscoveryResponse, or None (304) when the client stays current for the hold time."""
        # All names at once, before waiting on any: an unknown one is a 404 straight away.
        self.check_known(names)
        deadline = time.monotonic() + self.hold_seconds
        while True:
            generation = self.store.generation
            resources = self.resources(names)
            version = xds.resources_version(resources)
            if version != client_version:
                return xds.discovery_response(version, resources)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            # Long-poll: answer as soon as something changes instead of on Envoy's next poll.
            self.store.wait_for_change(generation, remaining)

    def health(self):
        errors = self.store.errors()
        return (not errors), errors


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

    def do_POST(self):  # noqa: N802  # name fixed by http.server
        if self.path.split("?", 1)[0] != "/v3/discovery:endpoints":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        try:
            version, names = xds.parse_discovery_request(self._read_body())
            _check_service_names(names)
            response = self.discovery.fetch(version, names)
        except xds.BadRequest as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except UnknownService as exc:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        except Unavailable as exc:
            # Envoy keeps its current endpoints when a fetch fails.
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
            return
        if response is None:
            self._send_empty(HTTPStatus.NOT_MODIFIED)
        else:
            self._send_json(HTTPStatus.OK, response)

    def do_GET(self):  # noqa: N802  # name fixed by http.server
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            healthy, errors = self.discovery.health()
            status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
            self._send_json(status, {"ok": healthy, "errors": errors})
            return
        match = REGISTRATION_PATH.match(path)
        if not match or not SERVICE_NAME.match(match.group(1)):
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        try:
            endpoints = self.discovery.endpoints(match.group(1))
        except UnknownService as exc:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        except Unavailable as exc:
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
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

    def _send_json(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_empty(self, status):
        self.send_response(status)
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # signature from http.server
        LOG.info("%s %s", self.address_string(), format % args)


def make_server(address, port, discovery):
    handler = type("BoundHandler", (Handler,), {"discovery": discovery})
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    return server
