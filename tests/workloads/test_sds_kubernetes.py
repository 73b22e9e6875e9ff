"""usersvc-sds reading EndpointSlices from a real Kubernetes API with a least-privilege ServiceAccount.

Runs only where a cluster answers (the local lab's kubeconfig, or $KUBECONFIG); nothing is faked.
"""

import os
import sys
from pathlib import Path

import pytest

from harness import SDS_DIR
from harness.processes import free_port, wait_until
from harness.slices import SliceNamespace
from toolkit.http import request
from toolkit.lab import kubeconfig


def _cluster_or_skip():
    path = kubeconfig()
    if not Path(path).is_file():
        pytest.skip(f"no kubeconfig at {path}: start the local lab cluster (make cluster) to run these tests")
    try:
        return SliceNamespace(path)
    except Exception as exc:  # pylint: disable=broad-except  # any failure means no usable cluster
        pytest.skip(f"Kubernetes API not usable: {exc}")
    return None


@pytest.fixture(scope="module")
def namespace():
    ns = _cluster_or_skip()
    yield ns
    ns.destroy()


def start_sds(processes, namespace, account_dir):
    port = free_port()
    host, api_port = namespace.server
    env = dict(os.environ, PYTHONPATH=str(SDS_DIR), KUBERNETES_SERVICE_HOST=host, KUBERNETES_SERVICE_PORT=api_port)
    env.pop("SDS_NAMESPACE", None)
    process = processes.start("usersvc-sds-k8s", [
        sys.executable, "-m", "usersvc_sds", "--bind", f"127.0.0.1:{port}", "--service-account-dir", account_dir,
    ], env=env)

    def get(path):
        process.ensure_alive()
        return request("GET", "127.0.0.1", port, path, timeout=10)

    wait_until(lambda: get("/healthz").answered, 20, what="usersvc-sds to listen")
    return get


def hosts(get):
    response = get("/v1/registration/usersvc")
    assert response.status == 200, response.body
    return sorted((h["ip_address"], h["port"]) for h in response.json()["hosts"])


def expect(get, wanted):
    wait_until(lambda: hosts(get) == sorted(wanted), 10, what=f"registration {sorted(wanted)}")


def test_follows_endpointslices_of_the_service(processes, tmp_path, namespace):
    namespace.put_slice("usersvc-a", [("10.244.99.1", True), ("10.244.99.2", False)],
                        ports=(("metrics", 9090), ("http", 80)))
    get = start_sds(processes, namespace, namespace.service_account_dir(tmp_path / "account"))
    expect(get, [("10.244.99.1", 80)])

    namespace.put_slice("usersvc-a", [("10.244.99.1", True), ("10.244.99.2", True)])
    expect(get, [("10.244.99.1", 80), ("10.244.99.2", 80)])

    namespace.put_slice("usersvc-b", [("10.244.99.3", True)])
    expect(get, [("10.244.99.1", 80), ("10.244.99.2", 80), ("10.244.99.3", 80)])

    namespace.delete_slice("usersvc-a")
    expect(get, [("10.244.99.3", 80)])
    assert get("/healthz").json() == {"ok": True, "errors": {}}
    namespace.delete_slice("usersvc-b")
    expect(get, [])


def test_api_errors_are_surfaced_not_served_as_no_endpoints(processes, tmp_path, namespace):
    get = start_sds(processes, namespace, namespace.service_account_dir(tmp_path / "bad", token="not-a-token"))
    response = get("/v1/registration/usersvc")
    assert response.status == 503
    assert "401" in response.json()["error"]
    health = get("/healthz")
    assert health.status == 503
    assert "401" in health.json()["errors"]["usersvc"]
