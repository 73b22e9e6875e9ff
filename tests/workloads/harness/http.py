"""A tiny HTTP/1.1 client over a fresh connection per request, like curl in the tutorial."""

import http.client
import json
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict

    def json(self):
        return json.loads(self.body)


def request(method, host, port, path, body=None, headers=None, timeout=10.0):
    """Send one request; ``body`` may be bytes, str or a JSON-able object."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Response(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
    finally:
        conn.close()
