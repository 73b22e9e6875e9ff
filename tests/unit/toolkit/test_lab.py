# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test toolkit's lab constants say what the lab's own sources say, so the two cannot drift apart.

tests/toolkit/lab.py is the one place the tests' Python reads the kubeconfig path, log directory, namespace,
NodePort and edge URL from; the cluster scripts, the inventory, the roles and the Makefile keep their own copies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess

import yaml

from ansible_collections.envoy_mesh.lab.tests.toolkit import lab


def read_yaml(*path):
    with open(os.path.join(str(lab.REPO), *path), encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def local_cluster_setting(name):
    """A value of hack/local-cluster/versions.sh, which every script of the local cluster sources."""
    script = '. hack/local-cluster/versions.sh && printf %s "${0}"'.format(name)
    return subprocess.run(["bash", "-c", script], cwd=str(lab.REPO), env={"PATH": os.environ["PATH"]},
                          capture_output=True, text=True, check=True).stdout


def test_the_kubeconfig_is_where_the_local_cluster_writes_it():
    assert lab.LAB_KUBECONFIG == local_cluster_setting("KUBECONFIG_PATH")


def test_the_log_directory_is_where_the_local_cluster_writes_its_logs():
    assert str(lab.LAB_LOG_DIR) == local_cluster_setting("LOG_DIR")


def test_the_playbooks_make_and_molecule_use_the_same_kubeconfig():
    with open(os.path.join(str(lab.REPO), "Makefile"), encoding="utf-8") as stream:
        make_default = re.search(r"^export KUBECONFIG \?= (\S+)$", stream.read(), re.MULTILINE)
    molecule = read_yaml(".config", "molecule", "config.yml")
    named = {
        "inventory/local mesh_kubeconfig": read_yaml("inventory", "local", "group_vars", "all.yml")["mesh_kubeconfig"],
        "Makefile": make_default.group(1) if make_default else None,
        "molecule ansible env": molecule.get("ansible", {}).get("env", {}).get("KUBECONFIG"),
        "molecule verifier env": molecule.get("verifier", {}).get("env", {}).get("KUBECONFIG"),
    }
    # A place may leave the kubeconfig to the default; one that names it names the lab's.
    assert {place: path for place, path in named.items() if path not in (None, lab.LAB_KUBECONFIG)} == {}


def test_kubeconfig_honours_the_environment_variable():
    assert lab.kubeconfig({"KUBECONFIG": "/elsewhere/config"}) == "/elsewhere/config"
    assert lab.kubeconfig({"KUBECONFIG": ""}) == lab.LAB_KUBECONFIG
    assert lab.kubeconfig({}) == lab.LAB_KUBECONFIG


def test_namespace_node_port_and_edge_url_are_what_the_roles_and_the_inventory_deploy():
    edge = read_yaml("roles", "edge_envoy", "defaults", "main.yml")
    inventory = read_yaml("inventory", "local", "group_vars", "all.yml")
    assert read_yaml("roles", "k8s_common", "defaults", "main.yml")["k8s_common_namespace"] == lab.NAMESPACE
    assert edge["edge_envoy_namespace"] == lab.NAMESPACE
    assert edge["edge_envoy_node_port"] == lab.EDGE_NODE_PORT
    assert inventory["mesh_edge_base_url"] == lab.EDGE_URL


def test_images_are_looked_for_where_the_node_images_role_puts_them():
    inventory = read_yaml("inventory", "local", "group_vars", "all.yml")
    assert inventory["node_images_containerd_socket"] == lab.CONTAINERD_SOCKET
    assert read_yaml("roles", "node_images", "defaults", "main.yml")["node_images_repository"] == lab.IMAGE_REPOSITORY
