"""The installed tarball deploys the mesh, as a user runs it: by FQCN, from a directory of their own.

`make dist`'s tarball is installed into an empty collections path beside copies of its dependencies;
a directory outside the checkout gets an ansible.cfg that names only that path and an inventory copied
from the installed collection's inventory/local. From there `envoy_mesh.lab.site` deploys a second mesh
beside the lab's own (namespace tarball-mesh, NodePort 30801), with the image sources of the installed
collection; the edge must then spread requests over every usersvc pod of that namespace, and
`envoy_mesh.lab.teardown` must remove the namespace and the postgres volume again. Needs the lab
cluster (`make cluster`) and Docker; run it under the machine lock.
"""

import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from collection import BIN, REPO, ansible_env, copy_dependencies, dist_tarball, install, run
from toolkit import lab
from toolkit.http import request
from toolkit.kube import Cluster

NAMESPACE = "tarball-mesh"
NODE_PORT = 30801
VOLUME = f"{NAMESPACE}-postgres"
REQUESTS = 12
EXTRA_VARS = [
    "-e", f"mesh_namespace={NAMESPACE}",
    "-e", f"edge_envoy_node_port={NODE_PORT}",
    "-e", f"mesh_edge_base_url=http://{lab.EDGE_HOST}:{NODE_PORT}",
    "-e", f"mesh_kubeconfig={lab.kubeconfig()}",
]

pytestmark = pytest.mark.skipif(not Path(lab.kubeconfig()).is_file(), reason="the lab cluster is not up: make cluster")


def recap(output):
    match = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def playbook(project, name):
    """ansible-playbook <name> by FQCN in the user's project directory; returns (result, seconds)."""
    started = time.monotonic()
    result = run([BIN / "ansible-playbook", "-i", "inventory", name, *EXTRA_VARS], cwd=project,
                 env=ansible_env(project, project / "collections"), check=False, timeout=1200)
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The user's project directory: collections/ with the installed tarball, inventory/ of its own."""
    root = Path(tempfile.mkdtemp(prefix="envoy-mesh-user-"))
    try:
        copy_dependencies(root / "collections")
        installed = install(dist_tarball(tmp_path_factory), root / "collections", root)
        assert not installed.is_symlink() and (installed / "images" / "usersvc" / "Dockerfile").is_file()
        shutil.copytree(installed / "inventory" / "local", root / "inventory")
        yield root
    finally:
        shutil.rmtree(root)


class Mesh:
    """The second mesh: the site run's result, and whether the teardown has run yet."""

    def __init__(self, project, site):
        self.project = project
        self.site = site
        self.torn_down = False

    def teardown(self):
        self.torn_down = True
        result, seconds = playbook(self.project, "envoy_mesh.lab.teardown")
        print(f"envoy_mesh.lab.teardown: {seconds:.0f} s, rc={result.returncode}")
        return result


@pytest.fixture(scope="module")
def mesh(project):
    """Deploys the second mesh; removes it again if test_teardown_removes_the_second_mesh did not."""
    with Cluster(NAMESPACE) as cluster:
        assert cluster.core.list_namespace(field_selector=f"metadata.name={NAMESPACE}").items == [], \
            f"namespace {NAMESPACE} exists already: kubectl delete namespace {NAMESPACE}"
    site, seconds = playbook(project, "envoy_mesh.lab.site")
    print(f"envoy_mesh.lab.site from the installed tarball: {seconds:.0f} s, rc={site.returncode}")
    deployed = Mesh(project, site)
    try:
        yield deployed
    finally:
        if not deployed.torn_down:
            deployed.teardown()


def test_site_deploys_from_the_installed_collection(mesh):
    output = mesh.site.stdout + mesh.site.stderr
    assert mesh.site.returncode == 0, output[-5000:]
    assert recap(mesh.site.stdout)["failed"] == 0
    # Roles, playbooks and image sources all came from the installed copy, never from the checkout.
    assert str(REPO) not in output


def test_edge_on_its_own_node_port_reaches_every_usersvc_pod(mesh):
    assert mesh.site.returncode == 0, "site failed: see test_site_deploys_from_the_installed_collection"
    with Cluster(NAMESPACE) as cluster:
        ips = cluster.ready_ips(lab.USERSVC)
    assert len(ips) >= 2, ips
    answers = [request("GET", lab.EDGE_HOST, NODE_PORT, "/user/alice") for _request in range(REQUESTS)]
    assert all(answer.ok for answer in answers), [answer.reason() for answer in answers if not answer.ok]
    backends = [answer.json()["resolvedname"] for answer in answers]
    print(f"{REQUESTS} requests through :{NODE_PORT}: {backends}")
    assert sorted(set(backends)) == ips
    assert all(backends.count(ip) == REQUESTS // len(ips) for ip in ips), backends


def test_teardown_removes_the_second_mesh(mesh):
    result = mesh.teardown()
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert recap(result.stdout)["failed"] == 0
    with Cluster(NAMESPACE) as cluster:
        assert cluster.core.list_namespace(field_selector=f"metadata.name={NAMESPACE}").items == []
        assert cluster.core.list_persistent_volume(field_selector=f"metadata.name={VOLUME}").items == []
    assert not request("GET", lab.EDGE_HOST, NODE_PORT, "/user/alice", timeout=3).answered
