"""Fixtures shared by the scenarios' testinfra tests: the lab cluster as kubectl sees it."""

import json

import pytest
import testinfra

NAMESPACE = "envoy-tutorial"


class Kube:
    """kubectl on the node under test, returning parsed JSON."""

    def __init__(self, host):
        self.host = host

    def get(self, *args, namespace=NAMESPACE):
        command = ["kubectl", "--namespace", namespace, "get", *args, "--output", "json"]
        result = self.host.run_expect([0], " ".join(command))
        return json.loads(result.stdout)

    def items(self, *args, namespace=NAMESPACE):
        return self.get(*args, namespace=namespace)["items"]

    def ready_pods(self, selector):
        return [
            pod
            for pod in self.items("pods", "--selector", selector)
            if "deletionTimestamp" not in pod["metadata"]
            and any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
        ]


@pytest.fixture(scope="module")
def kube(host):
    return Kube(host)


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
