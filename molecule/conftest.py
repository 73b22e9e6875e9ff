"""Fixtures shared by the scenarios' testinfra tests: the lab cluster as kubectl sees it."""

import json

import pytest

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
def round_robin_check(host):
    """Runs the collection's round_robin_check module on the host and returns its result.

    A failed check raises testinfra's AnsibleException, whose ``result`` is the module's result.
    """

    def run(**params):
        return host.ansible("envoy_mesh.lab.round_robin_check", json.dumps(params), check=False)

    return run
