"""A stand-in for the Kubernetes API on loopback, for the faults a real API server shows only by chance.

It serves list and watch of the EndpointSlices of one namespace over TLS, checks the bearer token, and
on demand: cuts a watch stream in the middle of a chunk, sends events that cannot be read, answers 410
Gone (as a watch event or as the HTTP status of a new watch), fails every request, or holds lists until
released. The discovery service reaches it as it reaches the real one: KUBERNETES_SERVICE_HOST/PORT and
a service-account directory with token, ca.crt and namespace.
"""

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TOKEN = "stand-in-service-account-token"
SERVICE_LABEL = "kubernetes.io/service-name"
# What each fault sends into an open watch stream.
MALFORMED_EVENTS = {
    "not-json": b"this is not json\n",
    "not-an-object": b'["ADDED"]\n',
    "nameless": json.dumps({"type": "ADDED", "object": {"kind": "EndpointSlice", "metadata": {}}}).encode() + b"\n",
    "unknown-type": json.dumps({"type": "SURPRISE", "object": {"metadata": {"name": "x"}}}).encode() + b"\n",
    "error-500": json.dumps({"type": "ERROR", "object": {
        "kind": "Status", "code": 500, "message": "internal error"}}).encode() + b"\n",
}
EXPIRED_EVENT = json.dumps({"type": "ERROR", "object": {
    "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
    "message": "too old resource version"}}).encode() + b"\n"
FAULTS = ("cut", "expired-event", "end", *MALFORMED_EVENTS)


def _certificates(directory):
    """A CA and a server certificate for 127.0.0.1; returns (ca path, cert path, key path)."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, is_ca, san=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in API")]), ca_name, key.public_key(),
                 ca_key, False, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class KubeApiStandIn:
    def __init__(self, directory, namespace="sds-standin"):
        directory.mkdir(parents=True, exist_ok=True)
        self.namespace = namespace
        ca, cert, key = _certificates(directory)
        self.account_dir = directory / "account"
        self.account_dir.mkdir(exist_ok=True)
        (self.account_dir / "token").write_text(TOKEN)
        (self.account_dir / "ca.crt").write_bytes(ca.read_bytes())
        (self.account_dir / "namespace").write_text(namespace)

        self._cond = threading.Condition()
        self._slices = {}
        self._events = []  # (resourceVersion, type, object), oldest first
        self._resource_version = 1000
        self._faults = deque()
        self._gone = 0
        self._failing = False
        self._holding_lists = False
        self._closing = False
        self.lists = 0
        self.watches = 0
        self.open_watches = 0

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        handler = type("StandInHandler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # The handshake happens in the connection's thread, not in the accepting one.
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="kube-api-standin", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ what the tests do

    def environment(self):
        """What a pod finds in its environment to reach the API server."""
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port)}

    def put_slice(self, name, addresses, service="usersvc", port=80):
        obj = {
            "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": name, "namespace": self.namespace, "labels": {SERVICE_LABEL: service}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [address], "conditions": {"ready": True}} for address in addresses],
        }
        with self._cond:
            kind = "MODIFIED" if name in self._slices else "ADDED"
            self._record(kind, obj)

    def delete_slice(self, name):
        with self._cond:
            self._record("DELETED", self._slices[name])

    def inject(self, fault):
        """Send ``fault`` (one of FAULTS) into the open watch, or the next one."""
        assert fault in FAULTS, fault
        with self._cond:
            self._faults.append(fault)
            self._cond.notify_all()

    def answer_gone(self, watches=1):
        """Answer the next ``watches`` watch requests with HTTP 410 Gone."""
        with self._cond:
            self._gone += watches

    def set_failing(self, failing):
        """While failing, every request gets HTTP 503, as from an API server that is starting."""
        with self._cond:
            self._failing = failing

    def hold_lists(self, holding):
        """While holding, list requests wait without an answer."""
        with self._cond:
            self._holding_lists = holding
            self._cond.notify_all()

    def counts(self):
        with self._cond:
            return {"lists": self.lists, "watches": self.watches, "open_watches": self.open_watches}

    def close(self):
        with self._cond:
            self._closing = True
            self._holding_lists = False
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ what the handler uses

    def _record(self, kind, obj):
        self._resource_version += 1
        obj = json.loads(json.dumps(obj))
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        if kind == "DELETED":
            del self._slices[obj["metadata"]["name"]]
        else:
            self._slices[obj["metadata"]["name"]] = obj
        self._events.append((self._resource_version, kind, obj))
        self._cond.notify_all()

    def failing(self):
        with self._cond:
            return self._failing

    def list_slices(self, service):
        with self._cond:
            self.lists += 1
            self._cond.wait_for(lambda: not self._holding_lists)
            items = [s for s in self._slices.values() if s["metadata"]["labels"].get(SERVICE_LABEL) == service]
            return {"kind": "EndpointSliceList", "apiVersion": "discovery.k8s.io/v1",
                    "metadata": {"resourceVersion": str(self._resource_version)}, "items": items}

    def start_watch(self, since):
        """Position in the event log after ``since``, or None when this watch is to be answered 410."""
        with self._cond:
            self.watches += 1
            if self._gone > 0:
                self._gone -= 1
                return None
            self.open_watches += 1
            return next((i for i, (rv, _kind, _obj) in enumerate(self._events) if rv > since), len(self._events))

    def next_batch(self, position, deadline):
        """Wait for events past ``position``, a fault, closing or ``deadline``: (events, fault, position, last)."""
        with self._cond:
            self._cond.wait_for(lambda: (self._faults or len(self._events) > position or self._closing
                                         or time.monotonic() >= deadline),
                                timeout=max(0.0, deadline - time.monotonic()))
            events = self._events[position:]
            fault = self._faults.popleft() if self._faults else None
            last = self._closing or time.monotonic() >= deadline
            return events, fault, position + len(events), last

    def end_watch(self):
        with self._cond:
            self.open_watches -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: KubeApiStandIn = None  # set on the subclass

    def do_GET(self):  # noqa: N802  # name fixed by http.server
        api = self.api
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._status(401, "Unauthorized", "Unauthorized")
            return
        if url.path != f"/apis/discovery.k8s.io/v1/namespaces/{api.namespace}/endpointslices":
            self._status(404, "NotFound", f"no such path {url.path}")
            return
        if api.failing():
            self._status(503, "ServiceUnavailable", "the stand-in is failing on purpose")
            return
        selector = query.get("labelSelector", "")
        label, _sep, service = selector.partition("=")
        if label != SERVICE_LABEL or not service:
            self._status(400, "BadRequest", f"want a labelSelector on {SERVICE_LABEL}, got {selector!r}")
            return
        if query.get("watch") in ("1", "true"):
            self._watch(service, int(query.get("resourceVersion") or 0), float(query.get("timeoutSeconds") or 60))
        else:
            self._json(200, api.list_slices(service))

    def _watch(self, service, since, timeout):
        position = self.api.start_watch(since)
        if position is None:
            self._status(410, "Expired", f"too old resource version: {since}")
            return
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._stream(service, position, time.monotonic() + timeout)
        except OSError:
            pass  # the client went away
        finally:
            self.api.end_watch()

    def _stream(self, service, position, deadline):
        while True:
            events, fault, position, last = self.api.next_batch(position, deadline)
            for _rv, kind, obj in events:
                if obj["metadata"]["labels"].get(SERVICE_LABEL) == service:
                    self._chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
            if fault == "cut":
                # A chunk announced, half of it sent, then the connection is gone: what SIGKILL does.
                half = b'{"type": "MODIFIED", "object": {"metadata": {"na'
                self.wfile.write(b"%x\r\n" % (len(half) * 2) + half)
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault == "expired-event":
                self._chunk(EXPIRED_EVENT)
            elif fault in MALFORMED_EVENTS:
                self._chunk(MALFORMED_EVENTS[fault])
            # After a fault the stream ends: the client hangs up on it anyway, and a stream left open
            # would take the next fault meant for the client's new watch.
            if fault is not None or last:
                self.wfile.write(b"0\r\n\r\n")
                return

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _status(self, code, reason, message):
        self._json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason,
                          "code": code, "message": message})

    def _json(self, code, payload):
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # signature from http.server
        pass
