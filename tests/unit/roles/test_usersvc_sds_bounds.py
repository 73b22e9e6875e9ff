# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection bounds of usersvc_sds that do not fit together fail the run before anything is applied.

The discovery service would refuse them at start, which would only show as a rollout that never ends.
The role runs alone with a kubeconfig that does not exist, so no cluster is ever reached.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

# The runner of the real ansible-playbook (a fixture) and the one-role play.
# pylint: disable-next=unused-import
from ansible_collections.envoy_mesh.lab.tests.unit.roles.test_renamed_options import (  # noqa: F401
    ansible_playbook, role_playbook)

MESSAGE = "do not fit"
APPLY_TASK = "Ensure the usersvc-sds objects are applied and available, or removed"


def run_role(ansible_playbook, tmp_path, *assignments):  # noqa: F811  # the imported fixture, passed on
    return ansible_playbook(role_playbook(tmp_path, "usersvc_sds"),
                            "usersvc_sds_kubeconfig=%s" % (tmp_path / "missing"), *assignments)


def test_the_default_bounds_get_to_the_cluster(ansible_playbook, tmp_path):  # noqa: F811
    result = run_role(ansible_playbook, tmp_path)
    assert result.returncode != 0, result.stdout
    assert MESSAGE not in result.stdout
    assert APPLY_TASK in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("assignments", [
    ("usersvc_sds_max_connections=20", "usersvc_sds_max_connections_per_client=16"),
    ("usersvc_sds_max_long_polls_per_client=17",),
    ("usersvc_sds_max_connections_per_client=0",),
    ("usersvc_sds_max_long_polls_per_client=0",),
])
def test_bounds_that_do_not_fit_stop_the_role_first(ansible_playbook, tmp_path, assignments):  # noqa: F811
    result = run_role(ansible_playbook, tmp_path, *assignments)
    assert result.returncode != 0, result.stdout
    assert MESSAGE in result.stdout and "Nothing was applied" in result.stdout, result.stdout[-3000:]
    assert APPLY_TASK not in result.stdout, "the role went on after the check"
