"""The discovery service as a real process, fed by an endpoint file the test rewrites."""

import json
import os
import sys

from toolkit.http import request

from . import SDS_DIR
from .processes import free_port, wait_until


class EndpointFile:
    def __init__(self, path):
        self.path = path

    def write(self, services):
        """``services``: {name: [(address, port), ...]}; replaced atomically like a ConfigMap update."""
        data = {name: [{"address": a, "port": p} for a, p in endpoints] for name, endpoints in services.items()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


class SdsProcess:
    def __init__(self, processes, endpoint_file, hold_seconds=20.0, services=("usersvc",)):
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(SDS_DIR), PYTHONDONTWRITEBYTECODE="1")
        self.process = processes.start("usersvc-sds", [
            sys.executable, "-m", "usersvc_sds", "--bind", f"127.0.0.1:{self.port}",
            "--endpoints-file", endpoint_file.path, "--hold", str(hold_seconds), "--services", ",".join(services),
        ], env=env)
        wait_until(self._up, 20, what="usersvc-sds /healthz")

    def _up(self):
        self.process.ensure_alive()
        return request("GET", "127.0.0.1", self.port, "/healthz", timeout=2).answered

    def call(self, method, path, body=None, timeout=30.0):
        return request(method, "127.0.0.1", self.port, path, body=body, timeout=timeout)
