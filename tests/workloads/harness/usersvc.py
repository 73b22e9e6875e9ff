"""usersvc as the real gunicorn process, configured only through its environment."""

import os

from toolkit.http import request
from toolkit.lab import VENV_BIN

from . import USERSVC_DIR
from .processes import free_port, wait_until


class UsersvcProcess:
    def __init__(self, processes, db_env, address="127.0.0.1", port=None, pod_ip=None, pod_name=None,
                 name="usersvc"):
        self.address = address
        self.port = port or free_port(address)
        env = dict(os.environ)
        env.update(db_env)
        env.update({"USERSVC_BIND": f"{address}:{self.port}", "PYTHONPATH": str(USERSVC_DIR),
                    "PYTHONDONTWRITEBYTECODE": "1"})
        if pod_ip:
            env["POD_IP"] = pod_ip
        if pod_name:
            env["POD_NAME"] = pod_name
        self.process = processes.start(
            name, [VENV_BIN / "gunicorn", "--config", USERSVC_DIR / "gunicorn.conf.py"], env=env, cwd=USERSVC_DIR)
        wait_until(self._healthy, 30, what=f"{name} health on {address}:{self.port}")

    def _healthy(self):
        self.process.ensure_alive()
        return request("GET", self.address, self.port, "/user/health", timeout=2).status == 200

    def call(self, method, path, body=None, headers=None):
        return request(method, self.address, self.port, path, body=body, headers=headers)
