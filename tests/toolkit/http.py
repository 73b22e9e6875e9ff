"""HTTP/1.1 as the checks need it: every call gives a Response, also when no answer came.

request() sends one request on a new connection, like curl in the tutorial; KeepAliveClient reuses one
connection across requests and opens a new one after any failure. Neither raises on a network error: the
Response then has ``status`` None and the ``error``, so a stream of requests can count its failures and a
wait can simply try again.
"""

import http.client
import json
import time
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int | None  # None when no HTTP answer arrived
    body: bytes
    latency_ms: float  # from sending (connecting, on a new connection) to the whole body read
    error: str | None = None  # why no answer arrived
    headers: dict = field(default_factory=dict)  # lower-case names

    @property
    def answered(self):
        return self.status is not None

    def json(self):
        """The body parsed as JSON; a ValueError that shows what came instead when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            got = self.error if not self.answered else f"HTTP {self.status} {self.body[:200]!r}"
            raise ValueError(f"not a JSON answer: {got}") from exc

    def json_or_none(self):
        try:
            return self.json()
        except ValueError:
            return None

    @property
    def ok(self):
        """HTTP 200 with a JSON object saying ``"ok": true``, as every usersvc success does."""
        data = self.json_or_none() if self.status == 200 else None
        return isinstance(data, dict) and data.get("ok") is True

    def reason(self):
        """A short label to group failures by: the connection error, or the status and the error text."""
        if not self.answered:
            return self.error
        data = self.json_or_none()
        detail = data.get("error") if isinstance(data, dict) else self.body[:160].decode("utf-8", "replace")
        return f"HTTP {self.status}: {detail}"


def encode(body, headers):
    """``body`` as sent: bytes and str as they are, anything else as JSON with its Content-Type."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return body, headers


class KeepAliveClient:
    """One connection to host:port, reused across requests and reopened after any failure."""

    def __init__(self, host, port, timeout=10.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self._conn = None

    def request(self, method, path, body=None, headers=None):
        """Send one request; ``body`` may be bytes, str or a JSON-able object."""
        body, headers = encode(body, headers)
        started = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
            if response.will_close:
                self.close()
            return Response(response.status, data, (time.perf_counter() - started) * 1000,
                            headers={name.lower(): value for name, value in response.getheaders()})
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Response(None, b"", (time.perf_counter() - started) * 1000, error=f"{type(exc).__name__}: {exc}")

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def request(method, host, port, path, body=None, headers=None, timeout=10.0):
    """One request on a new connection, closed afterwards."""
    with KeepAliveClient(host, port, timeout=timeout) as client:
        return client.request(method, path, body=body, headers=headers)
