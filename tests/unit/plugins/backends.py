# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real HTTP server on 127.0.0.1 that plays a set of backends behind a load balancer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        request = dict(method=self.command, path=self.path, headers=dict(self.headers),
                       body=self.rfile.read(length) if length else b'')
        self.server.requests.append(request)
        status, content_type, body = self.server.responder(request)
        try:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (timeout tests)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


class BackendServer:
    """Serves responder(request) -> (status, content type, body) until stop()."""

    def __init__(self, responder):
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.server.daemon_threads = True
        self.server.responder = responder
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return 'http://127.0.0.1:{0}'.format(self.server.server_address[1])

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
