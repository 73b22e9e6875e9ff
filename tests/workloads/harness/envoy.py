"""Render the Envoy templates the roles use and run the real Envoy binary on them."""

import json
import subprocess

import jinja2

from toolkit.http import request
from toolkit.lab import VENV_BIN

from . import EDGE_TEMPLATE, SIDECAR_TEMPLATE
from .processes import free_port, wait_until

ENVOY = VENV_BIN / "envoy"

# The contract defaults from docs/docsite/rst/architecture.rst.
SIDECAR_DEFAULTS = {
    "usersvc_sidecar_listen_address": "0.0.0.0",
    "usersvc_sidecar_listen_port": 80,
    "usersvc_app_address": "127.0.0.1",
    "usersvc_app_port": 5000,
    "usersvc_sidecar_admin_port": 8001,
}
EDGE_DEFAULTS = {
    "edge_envoy_discovery": "eds",
    "edge_envoy_listen_address": "0.0.0.0",
    "edge_envoy_listen_port": 80,
    "edge_envoy_admin_port": 8001,
    "edge_envoy_upstream_service": "usersvc",
    "edge_envoy_upstream_port": 80,
    "edge_envoy_sds_host": "usersvc-sds",
    "edge_envoy_sds_port": 5000,
    "edge_envoy_connect_timeout": "0.25s",
    "edge_envoy_health_check_path": "/user/health",
    "edge_envoy_access_log": False,
}


def ansible_bool(value):
    """What ansible.builtin.bool makes of a value (the templates use `| bool` on switches)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "on", "1", "true", "y", "t")


def render(template_path, variables):
    """Render like ansible.builtin.template does (trim_blocks on, lstrip_blocks off)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=False,
                             keep_trailing_newline=True, autoescape=False)
    env.filters["bool"] = ansible_bool
    return env.from_string(template_path.read_text()).render(**variables)


def render_sidecar(**overrides):
    return render(SIDECAR_TEMPLATE, {**SIDECAR_DEFAULTS, **overrides})


def render_edge(**overrides):
    return render(EDGE_TEMPLATE, {**EDGE_DEFAULTS, **overrides})


def validate(config_path):
    return subprocess.run([ENVOY, "--mode", "validate", "--config-path", config_path],
                          capture_output=True, text=True, check=False, timeout=60)


class EnvoyProcess:
    """One Envoy on a rendered config; the admin port must match the one rendered into it."""

    def __init__(self, processes, name, config_text, admin_port, listen_port=None):
        self.name = name
        self.admin_port = admin_port
        self.listen_port = listen_port
        self.config_path = processes.log_dir / f"{name}.yaml"
        self.config_path.write_text(config_text)
        self.process = processes.start(name, [
            ENVOY, "--config-path", self.config_path,
            # One worker makes round robin global, as the edge Deployment runs it.
            "--concurrency", "1",
            # Several Envoys on one host would otherwise clash on the hot-restart shared memory.
            "--use-dynamic-base-id",
            "--log-level", "warn",
        ])
        wait_until(self._ready, 30, what=f"{name} admin /ready")

    def _ready(self):
        self.process.ensure_alive()
        return self.admin("/ready").status == 200

    def admin(self, path):
        return request("GET", "127.0.0.1", self.admin_port, path, timeout=5)

    def cluster_hosts(self, cluster):
        """{(address, port): health_status dict} of ``cluster`` from the admin /clusters view."""
        data = json.loads(self.admin("/clusters?format=json").body)
        for status in data.get("cluster_statuses", []):
            if status["name"] == cluster:
                return {
                    (host["address"]["socket_address"]["address"], host["address"]["socket_address"]["port_value"]):
                        host.get("health_status", {})
                    for host in status.get("host_statuses", [])
                }
        return {}

    def healthy_hosts(self, cluster):
        return {addr for addr, health in self.cluster_hosts(cluster).items() if is_healthy(health)}

    def stat(self, name):
        body = self.admin(f"/stats?filter=^{name}$&format=json").json()
        for item in body.get("stats", []):
            if item.get("name") == name:
                return item.get("value")
        return None


def is_healthy(health_status):
    flags = [key for key, value in health_status.items() if value is True]
    return not flags and health_status.get("eds_health_status", "HEALTHY") == "HEALTHY"


def start_sidecar(processes, name, listen_address, listen_port, app_address, app_port):
    admin_port = free_port()
    config = render_sidecar(usersvc_sidecar_listen_address=listen_address, usersvc_sidecar_listen_port=listen_port,
                            usersvc_app_address=app_address, usersvc_app_port=app_port,
                            usersvc_sidecar_admin_port=admin_port)
    return EnvoyProcess(processes, name, config, admin_port, listen_port=listen_port)


def start_edge(processes, name="edge", **overrides):
    admin_port = free_port()
    listen_port = free_port()
    config = render_edge(edge_envoy_listen_address="127.0.0.1", edge_envoy_listen_port=listen_port,
                         edge_envoy_admin_port=admin_port, **overrides)
    return EnvoyProcess(processes, name, config, admin_port, listen_port=listen_port)
