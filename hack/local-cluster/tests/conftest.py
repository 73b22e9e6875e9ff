"""Helpers for the checks of the running local lab cluster (kubectl through subprocess)."""

import json
import pathlib
import subprocess
import time
import uuid

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CLUSTER_DIR = HERE.parent


def lab_setting(name):
    """A value from versions.sh, so the tests follow the scripts instead of repeating them."""
    out = subprocess.run(
        ["bash", "-c", f'. "{CLUSTER_DIR}/versions.sh" && printf %s "${{{name}}}"'],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


KUBECONFIG = lab_setting("KUBECONFIG_PATH")
KUBECTL = "/usr/local/bin/kubectl"


def kubectl(*args, check=True, input=None, timeout=120):
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", KUBECONFIG, *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def kubectl_json(*args):
    return json.loads(kubectl(*args, "-o", "json").stdout)


def wait_until(what, predicate, timeout=120, interval=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def cluster_up():
    if not pathlib.Path(KUBECONFIG).exists():
        pytest.fail(f"no kubeconfig at {KUBECONFIG}: run `make cluster` first")
    kubectl("get", "--raw", "/readyz")


@pytest.fixture(scope="session")
def namespace(cluster_up):
    name = f"local-cluster-test-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    wait_until(
        "default ServiceAccount",
        lambda: kubectl("-n", name, "get", "sa", "default", check=False).returncode == 0,
    )
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def base_image(cluster_up):
    image = lab_setting("BASE_IMAGE")
    subprocess.run([str(CLUSTER_DIR / "import-image.sh"), image], check=True)
    return image
