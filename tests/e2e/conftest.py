"""Fixtures of the end-to-end suite: the deployed mesh under test and a board of measured figures.

The mesh is chosen with MESH_NAMESPACE, MESH_EDGE_NODE_PORT and KUBECONFIG (see tests/toolkit/target.py).
Figures are printed at the end of the run, also without -s.
"""

import pytest

from meshlab.waiting import WaitTimeout, poll
from toolkit.kube import Cluster
from toolkit.target import MeshTarget

FIGURES = {}
DEPLOYMENTS = ("postgres", "usersvc-sds", "usersvc", "edge-envoy")
# How long a test waits for a mesh it finds unsettled before it gives up.
HEALTH_TIMEOUT = 90


def pytest_configure(config):
    config.addinivalue_line("markers", "rebuild: tears the mesh down and rebuilds it (minutes)")


# Read-only checks first, then faults, then what replaces data or the whole mesh.
FILE_ORDER = ("test_security", "test_load", "test_faults", "test_data_safety", "test_secrets_in_output", "test_rebuild")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.stem
        return FILE_ORDER.index(name) if name in FILE_ORDER else len(FILE_ORDER)

    items.sort(key=rank)


def pytest_terminal_summary(terminalreporter):
    for title, lines in FIGURES.items():
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def figures():
    """figures(title, lines): put a block of measured figures into the end-of-run summary."""

    def record(title, lines):
        FIGURES[title] = list(lines)

    return record


@pytest.fixture(scope="session")
def target():
    return MeshTarget.from_env()


@pytest.fixture(scope="session")
def cluster(target):
    try:
        cluster = Cluster(target.namespace, target.kubeconfig)
        deployment = cluster.deployment("edge-envoy")
    except Exception as exc:  # pylint: disable=broad-except  # any failure here means: no mesh to test
        pytest.fail(f"no deployed mesh in namespace {target.namespace} (kubeconfig {target.kubeconfig}): {exc}. "
                    "Run site.yml first, or set MESH_NAMESPACE, MESH_EDGE_NODE_PORT and KUBECONFIG.")
    ports = [p.node_port for p in cluster.core.read_namespaced_service("edge-envoy", target.namespace).spec.ports]
    if target.node_port not in ports:
        pytest.fail(f"edge-envoy in {target.namespace} has NodePorts {ports}, not MESH_EDGE_NODE_PORT="
                    f"{target.node_port}")
    assert deployment.spec.replicas >= 1
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def healthy_mesh(cluster):
    """healthy_mesh(): wait until every Deployment is rolled out, or fail.

    Once the mesh failed to recover, later tests fail at once with the same reason instead of each
    waiting out the timeout again.
    """
    broken = []

    def check():
        if broken:
            pytest.fail(f"the mesh has not recovered since an earlier test: {broken[0]}")
        for name in DEPLOYMENTS:
            try:
                poll(lambda n=name: cluster.rolled_out(n), HEALTH_TIMEOUT, interval=0.5, what=f"{name} to be rolled out",
                     describe=lambda n=name: cluster.describe(f"service={n}"))
            except WaitTimeout as exc:
                broken.append(str(exc))
                raise

    return check
