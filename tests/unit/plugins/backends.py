# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real HTTP(S) server on 127.0.0.1 that plays a set of backends behind a load balancer.

It records every request it receives (method, path, headers with lower-case names, body
and the common name of a verified client certificate), so tests can see what was sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import itertools
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def json_reply(name, **extra):
    """An answer like the user service's: 200, JSON with ok and resolvedname."""
    payload = dict(ok=True, msg='user health check OK', hostname='usersvc-' + name, resolvedname=name)
    payload.update(extra)
    return 200, 'application/json', json.dumps(payload).encode('utf-8')


def cycling(names):
    """Responder that answers from each backend in turn, like Envoy's round robin."""
    names = itertools.cycle(names)
    return lambda request: json_reply(next(names))


def fixed(status, content_type, body):
    """Responder that always gives the same answer."""
    return lambda request: (status, content_type, body)


def basic_auth(username, password, then, challenge=True):
    """Responder that hands requests with these Basic credentials to then, and answers 401 otherwise.

    With challenge, the 401 asks for credentials (WWW-Authenticate), as most servers do.
    """
    expected = 'Basic ' + base64.b64encode('{0}:{1}'.format(username, password).encode()).decode()

    def responder(request):
        if request['headers'].get('authorization') == expected:
            return then(request)
        headers = {'WWW-Authenticate': 'Basic realm="edge"'} if challenge else {}
        return 401, 'application/json', b'{"ok": false, "error": "unauthorized"}', headers
    return responder


def client_common_name(connection):
    """Common name of the verified client certificate of a TLS connection, or None."""
    getpeercert = getattr(connection, 'getpeercert', None)
    subject = (getpeercert() or {}).get('subject', ()) if getpeercert else ()
    names = [value for rdn in subject for key, value in rdn if key == 'commonName']
    return names[0] if names else None


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        request = dict(method=self.command, path=self.path,
                       headers=dict((k.lower(), v) for k, v in self.headers.items()),
                       body=self.rfile.read(length) if length else b'',
                       client_cn=client_common_name(self.connection))
        self.server.requests.append(request)
        reply = self.server.responder(request)
        status, content_type, body = reply[:3]
        extra_headers = reply[3] if len(reply) > 3 else {}
        try:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (timeout tests)

    do_GET = do_HEAD = do_OPTIONS = do_PUT = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


class BackendServer:
    """Serves responder(request) -> (status, content type, body[, headers]) until stop().

    With tls (an ssl.SSLContext for the server side) it speaks HTTPS.
    """

    def __init__(self, responder, tls=None):
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.server.daemon_threads = True
        self.scheme = 'https' if tls else 'http'
        if tls:
            # Handshakes happen on accept; socketserver drops connections whose handshake fails.
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.responder = responder
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return '{0}://127.0.0.1:{1}'.format(self.scheme, self.server.server_address[1])

    @property
    def requests(self):
        return self.server.requests

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def closed_port_url(path='/user/alice'):
    """URL of a loopback port nothing listens on."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:{0}{1}'.format(port, path)
