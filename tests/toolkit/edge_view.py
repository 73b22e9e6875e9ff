"""What each edge Envoy itself thinks of its usersvc hosts: which are in rotation, read from its admin endpoint.

The admin endpoint listens on 127.0.0.1 inside the edge pod only; `kubectl port-forward` reaches it there and
offers it on a loopback port of this machine. EdgeView keeps one port-forward per edge pod open, so reading
the views during a fault costs one local HTTP request per pod.
"""

import json
import re
import subprocess
import threading
import time
import urllib.request

from .kube import KUBECTL

# Envoy's per-host flags that take a host out of the load balancer's rotation.
OUT_OF_ROTATION = ("failed_active_health_check", "failed_outlier_check", "failed_active_degraded_check",
                   "pending_dynamic_removal")
FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")


def _discard(stream):
    for dummy in stream:
        pass


def in_rotation(host_status):
    """Whether Envoy balances over this host: no failed check, not on its way out, healthy as discovered."""
    health = host_status.get("health_status", {})
    if any(health.get(flag) for flag in OUT_OF_ROTATION):
        return False
    return health.get("eds_health_status", "HEALTHY") in ("HEALTHY", "DEGRADED", "UNKNOWN")


def hosts_in_rotation(clusters_json, cluster):
    """{host IP: in rotation?} of one cluster of an admin /clusters?format=json answer."""
    for status in clusters_json.get("cluster_statuses", []):
        if status.get("name") == cluster:
            return {host["address"]["socket_address"]["address"]: in_rotation(host)
                    for host in status.get("host_statuses", [])}
    return {}


class EdgeView:
    """Port-forwards to the admin port of each named edge pod; views() reads them all."""

    def __init__(self, kubeconfig, namespace, pods, admin_port=8001, cluster="usersvc", timeout=30.0):
        self.cluster = cluster
        self.ports = {}
        self._forwards = []
        try:
            for pod in pods:
                self.ports[pod] = self._forward(kubeconfig, namespace, pod, admin_port, timeout)
        except Exception:
            self.close()
            raise

    def _forward(self, kubeconfig, namespace, pod, admin_port, timeout):
        forward = subprocess.Popen(  # pylint: disable=consider-using-with  # kept open until close()
            [KUBECTL, "--kubeconfig", kubeconfig, "--namespace", namespace, "port-forward", "--address", "127.0.0.1",
             f"pod/{pod}", f":{admin_port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._forwards.append(forward)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = forward.stdout.readline()
            match = FORWARDING.search(line)
            if match:
                # kubectl writes a line per connection: read them, or its pipe fills and it stalls.
                threading.Thread(target=_discard, args=(forward.stdout,), daemon=True).start()
                return int(match.group(1))
            if not line and forward.poll() is not None:
                break
        raise RuntimeError(f"kubectl port-forward to the admin port of {namespace}/{pod} did not start")

    def views(self, timeout=2.0):
        """{edge pod: {usersvc host IP: in rotation?}}; a pod whose admin does not answer maps to None."""
        views = {}
        for pod, port in self.ports.items():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/clusters?format=json", timeout=timeout) as answer:
                    views[pod] = hosts_in_rotation(json.load(answer), self.cluster)
            except (OSError, ValueError):
                views[pod] = None
        return views

    def close(self):
        for forward in self._forwards:
            forward.terminate()
        for forward in self._forwards:
            try:
                forward.wait(10)
            except subprocess.TimeoutExpired:
                forward.kill()
        self._forwards = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def out_of_rotation_everywhere(views, addresses):
    """Every edge that answers balances over none of ``addresses`` (absent or flagged), and one answers."""
    answering = [view for view in views.values() if view is not None]
    return bool(answering) and all(not view.get(address, False) for view in answering for address in addresses)
