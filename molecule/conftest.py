"""Fixtures shared by the scenarios' testinfra tests: the lab cluster, the node's variables, the module.

The cluster comes from the shared test toolkit, tests/toolkit.
"""

import json
import sys
from pathlib import Path

import pytest
import testinfra

# pytest.ini, which puts tests/ on sys.path for the other runs, is not found here: molecule passes the
# inventory as a separate argument, which pytest takes for a path while it looks for its ini file.
TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# pylint: disable=wrong-import-position  # the toolkit is importable once tests/ is on sys.path
from toolkit.kube import Cluster  # noqa: E402
from toolkit.lab import NAMESPACE  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """The lab's namespace, through the kubeconfig that molecule's verifier exports (KUBECONFIG)."""
    with Cluster(NAMESPACE) as lab:
        yield lab


@pytest.fixture(scope="module")
def lab_vars(host):
    """The inventory variables of the node, as the playbooks saw them."""
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def round_robin_check():
    """Runs the collection's round_robin_check module on the controller, as mesh_validate does.

    Returns the module's result with ``failed`` set. The ansible CLI's JSON output is read
    directly because testinfra's own module runner loses the failed flag with ansible-core 2.19.
    """
    controller = testinfra.get_host("local://")

    def run(**params):
        command = controller.run(
            "ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=ansible.builtin.json "
            "ansible localhost --connection local --module-name envoy_mesh.lab.round_robin_check --args %s",
            json.dumps(params),
        )
        assert command.rc in (0, 2), command.stderr
        (play,) = json.loads(command.stdout)["plays"]
        (task,) = play["tasks"]
        result = task["hosts"]["localhost"]
        result["failed"] = bool(result.get("failed")) or command.rc != 0
        return result

    return run
