# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An option set under its old name fails the run before anything changes, naming its replacement.

Ansible ignores variables that nothing reads, so without the check a user's usersvc_variant or
edge_envoy_step would quietly deploy the defaults. These tests run the real ansible-playbook on the
site playbook and on the roles alone, with a kubeconfig that does not exist: a run that got past the
check would fail on the kubeconfig instead, so no cluster is ever reached.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import ansible
import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# The collections of the `ansible` package (kubernetes.core, ansible.utils) that the roles use are
# installed beside ansible-core.
DEPENDENCIES = os.path.dirname(os.path.realpath(ansible.__path__[0]))
KUBECONFIG_MESSAGE = "does not exist. On the local lab run `make cluster`"
RENAMES = [
    # old variable, its value, the message naming the replacement and the value to set
    ("usersvc_variant", "step1", "usersvc_variant was renamed to usersvc_sidecar", "usersvc_sidecar=false"),
    ("usersvc_variant", "usersvc2", "usersvc_variant was renamed to usersvc_sidecar", "usersvc_sidecar=true"),
    ("edge_envoy_step", "2", "edge_envoy_step was renamed to edge_envoy_discovery", "edge_envoy_discovery=dns"),
    ("edge_envoy_step", "3", "edge_envoy_step was renamed to edge_envoy_discovery", "edge_envoy_discovery=eds"),
]
ROLE_PLAY = """
- name: Run one role of the collection
  hosts: localhost
  gather_facts: false
  roles:
    - role: envoy_mesh.lab.{role}
"""


@pytest.fixture(scope="module")
def ansible_playbook(tmp_path_factory):
    """run(playbook, *extra_vars) -> CompletedProcess of ansible-playbook on a localhost inventory."""
    home = tmp_path_factory.mktemp("ansible")
    collections = home / "collections"
    (collections / "ansible_collections" / "envoy_mesh").mkdir(parents=True)
    (collections / "ansible_collections" / "envoy_mesh" / "lab").symlink_to(REPO)
    assert os.path.isdir(os.path.join(DEPENDENCIES, "ansible_collections", "kubernetes", "core")), (
        "kubernetes.core is not installed beside ansible-core in %s: install requirements.txt" % DEPENDENCIES)
    inventory = home / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: %s\n"
                         "  children:\n    nodes:\n      hosts:\n        localhost:\n" % sys.executable)
    config = home / "ansible.cfg"
    config.write_text("[defaults]\nretry_files_enabled = false\n")
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(collections), DEPENDENCIES]),
        ANSIBLE_HOME=str(home),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        KUBECONFIG=str(home / "missing-kubeconfig"),
    )

    def run(playbook, *extra_vars):
        argv = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), str(playbook),
                "-e", "mesh_kubeconfig=%s" % (home / "missing-kubeconfig")]
        for assignment in extra_vars:
            argv += ["-e", assignment]
        return subprocess.run(argv, env=env, cwd=str(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300, check=False)

    return run


def role_playbook(tmp_path, role):
    path = tmp_path / ("%s.yml" % role)
    path.write_text(ROLE_PLAY.format(role=role))
    return path


def test_site_without_old_names_gets_to_the_kubeconfig_check(ansible_playbook):
    # The runs below fail earlier than this one; that is what shows the old name stopped them.
    result = ansible_playbook(os.path.join(REPO, "site.yml"))
    assert result.returncode != 0, result.stdout
    assert KUBECONFIG_MESSAGE in result.stdout, result.stdout[-3000:]
    assert "was renamed" not in result.stdout


# One value per old name here; the role tests below try each value's replacement.
@pytest.mark.parametrize("old, value, message, replacement", RENAMES[::2])
def test_site_fails_on_an_old_name_before_the_cluster(ansible_playbook, old, value, message, replacement):
    result = ansible_playbook(os.path.join(REPO, "site.yml"), "%s=%s" % (old, value))
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout[-3000:]
    assert replacement in result.stdout, result.stdout[-3000:]
    assert KUBECONFIG_MESSAGE not in result.stdout, "the run reached the Kubernetes API check"


@pytest.mark.parametrize("role", ["usersvc", "edge_envoy"])
def test_role_alone_without_old_names_gets_to_the_cluster(ansible_playbook, tmp_path, role):
    result = ansible_playbook(role_playbook(tmp_path, role), "%s_kubeconfig=%s" % (role, tmp_path / "missing"))
    assert result.returncode != 0, result.stdout
    assert "was renamed" not in result.stdout
    # The first task after the check reads the namespace or renders the configuration.
    assert "TASK [envoy_mesh.lab.%s : Record the namespace state" % role in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("old, value, message, replacement", RENAMES)
def test_role_alone_fails_on_its_old_name_first(ansible_playbook, tmp_path, old, value, message, replacement):
    role = "usersvc" if old.startswith("usersvc_") else "edge_envoy"
    result = ansible_playbook(role_playbook(tmp_path, role), "%s=%s" % (old, value))
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout[-3000:]
    assert replacement in result.stdout, result.stdout[-3000:]
    assert "Record the namespace state" not in result.stdout, "the role went on after the old name"
