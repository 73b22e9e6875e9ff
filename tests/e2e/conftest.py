"""Fixtures of the end-to-end suite: the deployed mesh under test and a board of measured figures.

The mesh is chosen with MESH_NAMESPACE, MESH_EDGE_NODE_PORT and KUBECONFIG (see meshlab/target.py).
Figures are printed at the end of the run, also without -s.
"""

import pytest

from meshlab.kube import Cluster
from meshlab.target import MeshTarget

FIGURES = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "rebuild: tears the mesh down and rebuilds it (minutes)")


def pytest_collection_modifyitems(items):
    # Rebuilding replaces every pod, so it runs after the checks of the running mesh.
    items.sort(key=lambda item: item.get_closest_marker("rebuild") is not None)


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
        cluster = Cluster(target)
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
