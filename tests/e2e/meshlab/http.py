"""A keep-alive HTTP/1.1 client that never raises: each request gives an Answer, errors included."""

import http.client
import json
import time
from dataclasses import dataclass


@dataclass
class Answer:
    status: int | None  # None when no HTTP answer arrived
    body: bytes
    error: str | None
    latency_ms: float

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def ok(self):
        data = self.json() if self.status == 200 else None
        return isinstance(data, dict) and data.get("ok") is True

    def reason(self):
        """A short label to group failures by: the status and the error text, or the connection error."""
        if self.error:
            return self.error
        data = self.json()
        detail = data.get("error") if isinstance(data, dict) else self.body[:60].decode("utf-8", "replace")
        return f"HTTP {self.status}: {detail}"


class KeepAliveClient:
    """One connection, reused across requests and reopened after any failure."""

    def __init__(self, host, port, timeout=5.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self._conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
            if response.will_close:
                self.close()
            return Answer(response.status, data, None, (time.perf_counter() - started) * 1000)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Answer(None, b"", f"{type(exc).__name__}: {exc}", (time.perf_counter() - started) * 1000)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
