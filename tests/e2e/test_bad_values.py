"""Bad values for a lab fail before anything is applied, and the failure names the real reason.

Each case runs site.yml as a new user would, for a second lab beside the deployed one: the run must
fail, say why in its message, and leave no trace: no namespace, no PersistentVolume, no data
directory. The rescue of a rollout reports the error of the task that failed, not a rollout timeout
it never waited for.
"""

import uuid
from pathlib import Path

import pytest

from meshlab.playbooks import run_playbook
from toolkit.kube import Cluster
from toolkit.lab import REPO

SITE = REPO / "site.yml"
# Where the postgres role puts the data directory of a lab's local volume (roles/postgres defaults).
VOLUMES = Path("/var/lib/envoy-mesh-lab/volumes")


def new_namespace_name():
    return f"e2e-second-{uuid.uuid4().hex[:8]}"


def left_behind(cluster, namespace):
    """What a failed run for ``namespace`` applied: the names of whatever exists of it."""
    # kind/name: a name such as "-lab" given alone would be read as kubectl's flags.
    found = []
    if cluster.kubectl("get", f"namespace/{namespace}", namespaced=False).returncode == 0:
        found.append(f"namespace {namespace}")
    if cluster.kubectl("get", f"persistentvolume/{namespace}-postgres", namespaced=False).returncode == 0:
        found.append(f"PersistentVolume {namespace}-postgres")
    if (VOLUMES / f"{namespace}-postgres").exists():
        found.append(f"directory {VOLUMES / f'{namespace}-postgres'}")
    return found


def failed_site_run(target, *extra_vars):
    """site.yml with ``extra_vars`` (name=value) over the target's; the failed run's message."""
    args = [arg for pair in extra_vars for arg in ("--extra-vars", pair)]
    run = run_playbook(target, SITE, *args, timeout=600)
    assert run.returncode != 0, f"site.yml with {' '.join(extra_vars)} passed:\n{run.tail()}"
    # The message is printed folded over lines; one line reads as the user sees it.
    return " ".join(run.output.split()), run


@pytest.fixture
def second_namespace(cluster):
    name = new_namespace_name()
    yield name
    # Only if a failed check let something through: leave the cluster as it was.
    cluster.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false", namespaced=False)
    cluster.kubectl("delete", "persistentvolume", f"{name}-postgres", "--ignore-not-found", "--wait=false",
                    namespaced=False)


def test_a_second_lab_on_a_nodeport_taken_by_the_first_fails_naming_its_service(
        cluster, target, second_namespace, figures):
    message, run = failed_site_run(target, f"mesh_namespace={second_namespace}")
    assert (f"NodePort {target.node_port} is already held by Service {target.namespace}/edge-envoy"
            in message), run.tail()
    assert "did not finish its rollout" not in message
    assert left_behind(cluster, second_namespace) == []
    figures("bad values fail before anything is applied", [
        f"second lab on NodePort {target.node_port}: failed in {run.seconds:.0f} s, nothing applied"])


@pytest.mark.parametrize("port", [80, 32768])
def test_a_nodeport_outside_the_range_fails_naming_the_range(cluster, target, second_namespace, port):
    message, run = failed_site_run(target, f"mesh_namespace={second_namespace}", f"edge_envoy_node_port={port}",
                                   f"mesh_edge_base_url=http://127.0.0.1:{port}")
    assert (f"edge_envoy_node_port={port} is not in the cluster's NodePort range 30000-32767"
            in message), run.tail()
    assert left_behind(cluster, second_namespace) == []


def test_a_nodeport_range_given_as_an_option_is_the_one_checked(cluster, target, second_namespace):
    message, run = failed_site_run(target, f"mesh_namespace={second_namespace}", "edge_envoy_node_port_range=31000-31999",
                                   "edge_envoy_node_port=30900", "mesh_edge_base_url=http://127.0.0.1:30900")
    assert "edge_envoy_node_port=30900 is not in the cluster's NodePort range 31000-31999" in message, run.tail()
    assert left_behind(cluster, second_namespace) == []


@pytest.mark.parametrize("name", ["Envoy_Tutorial", "lab.two", "-lab", "x" * 64])
def test_a_namespace_that_is_not_a_dns_label_fails_before_anything_is_read_or_applied(cluster, target, name):
    message, run = failed_site_run(target, f"mesh_namespace={name}")
    assert f'Namespace "{name}" is not a DNS label' in message, run.tail()
    # The first check of the run: not even the API was asked.
    assert "Read the lab namespace through the API" not in run.output
    assert left_behind(cluster, name.lower()) == []


def test_a_base_url_on_another_port_than_the_edge_fails(cluster, target, second_namespace):
    message, run = failed_site_run(target, f"mesh_namespace={second_namespace}", "edge_envoy_node_port=30799")
    assert (f"mesh_edge_base_url {target.edge_url} does not use the edge's NodePort edge_envoy_node_port=30799"
            in message), run.tail()
    assert left_behind(cluster, second_namespace) == []


@pytest.fixture
def scratch_namespace(target):
    scratch = Cluster.in_new_namespace("e2e-rescue", target.kubeconfig)
    yield scratch
    scratch.delete_namespace()
    scratch.close()


def test_a_refused_object_is_reported_with_the_apis_reason_not_as_a_rollout_timeout(
        target, scratch_namespace, tmp_path):
    # The API refuses this Deployment (422), and no check before the apply looks at replica counts.
    playbook = tmp_path / "usersvc.yml"
    playbook.write_text(f"""
- name: Deploy a usersvc the API refuses
  hosts: localhost
  gather_facts: false
  roles:
    - role: envoy_mesh.lab.usersvc
      vars:
        usersvc_namespace: {scratch_namespace.namespace}
        usersvc_replicas: -1
        usersvc_wait_timeout: 30
""")
    run = run_playbook(target, playbook, timeout=300)
    message = " ".join(run.output.split())
    assert run.returncode != 0, run.tail()
    assert "(Unprocessable Entity)" in message, run.tail()
    assert 'Deployment.apps "usersvc" is invalid: spec.replicas: Invalid value: -1' in message, run.tail()
    assert "did not finish its rollout" not in message
