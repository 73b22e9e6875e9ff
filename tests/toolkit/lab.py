"""The local lab's fixed facts: the one place the Python of the tests and benchmarks reads them from.

They are what hack/local-cluster and inventory/local set up; tests/unit/toolkit/test_lab.py checks that
those still say the same.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
# ansible.cfg's collections_path, where `make venv` links the checkout in as envoy_mesh.lab.
COLLECTIONS = REPO / ".venv" / "collections"

# Written by hack/local-cluster/up.sh (KUBECONFIG_PATH of versions.sh); $KUBECONFIG overrides it, see kubeconfig().
LAB_KUBECONFIG = "/var/lib/envoy-mesh-lab/kubeconfig"
# Where the lab's scripts write their logs (LOG_DIR of versions.sh); tests keep long outputs there too.
LAB_LOG_DIR = Path("/var/log/envoy-mesh-lab")
NAMESPACE = "envoy-tutorial"
EDGE_NODE_PORT = 30800
# NodePorts answer on loopback on the lab's single node.
EDGE_HOST = "127.0.0.1"
EDGE_URL = f"http://{EDGE_HOST}:{EDGE_NODE_PORT}"
# Every workload pod carries a `service` label named after its Deployment.
USERSVC = "service=usersvc"

# The kubelet's containerd on the lab node (inventory/local), which holds the images the node_images role
# built as <IMAGE_REPOSITORY>/<image>:<content tag>.
CONTAINERD_SOCKET = "/run/envoy-mesh-lab/containerd/containerd.sock"
IMAGE_REPOSITORY = "envoy-mesh"


def kubeconfig(environ=None):
    """The kubeconfig to use: $KUBECONFIG when it is set and not empty, else the lab's."""
    environ = os.environ if environ is None else environ
    return environ.get("KUBECONFIG") or LAB_KUBECONFIG
