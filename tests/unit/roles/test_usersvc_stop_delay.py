# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A negative stop delay of usersvc fails the run before anything is applied.

The role runs alone with a kubeconfig that does not exist, so no cluster is ever reached.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The runner of the real ansible-playbook (a fixture) and the one-role play.
# pylint: disable-next=unused-import
from ansible_collections.envoy_mesh.lab.tests.unit.roles.test_renamed_options import (  # noqa: F401
    ansible_playbook, role_playbook)

MESSAGE = "usersvc_stop_delay_seconds=-1 is negative"
APPLY_TASK = "Ensure the usersvc Deployment is applied and available"


def run_role(ansible_playbook, tmp_path, *assignments):  # noqa: F811  # the imported fixture, passed on
    return ansible_playbook(role_playbook(tmp_path, "usersvc"), "usersvc_kubeconfig=%s" % (tmp_path / "missing"),
                            *assignments)


def test_no_delay_gets_to_the_cluster(ansible_playbook, tmp_path):  # noqa: F811
    result = run_role(ansible_playbook, tmp_path, "usersvc_stop_delay_seconds=0")
    assert result.returncode != 0, result.stdout
    assert "is negative" not in result.stdout
    assert APPLY_TASK in result.stdout, result.stdout[-3000:]


def test_a_negative_delay_stops_the_role_first(ansible_playbook, tmp_path):  # noqa: F811
    result = run_role(ansible_playbook, tmp_path, "usersvc_stop_delay_seconds=-1")
    assert result.returncode != 0, result.stdout
    assert MESSAGE in result.stdout and "Nothing was applied" in result.stdout, result.stdout[-3000:]
    assert APPLY_TASK not in result.stdout, "the role went on after the check"
