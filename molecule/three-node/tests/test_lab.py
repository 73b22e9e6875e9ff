"""The three-node lab after site.yml: every node checked over SSH (testinfra, with the address, user
and key that the plugin inventory gives Ansible), the cluster through the API, the mesh through each
node's NodePort.
"""

import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import testinfra

REPO = Path(__file__).resolve().parents[3]
INVENTORY = REPO / "inventory" / "three-node" / "lab.vagrant.yml"
BIN = Path(sys.executable).parent
NAMESPACE = "envoy-tutorial"
NODES = {"node1": "10.253.8.101", "node2": "10.253.8.102", "node3": "10.253.8.103"}
IMAGES = ["usersvc", "usersvc-sds", "envoy", "postgres", "probe"]
SHARE = "/srv/envoy-mesh-share/envoy-tutorial-postgres"


def plain(value):
    """A value of `ansible-inventory --list` without the marker it puts on strings never templated."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.fixture(scope="module")
def hostvars():
    listing = subprocess.run(
        [BIN / "ansible-inventory", "-i", INVENTORY, "--list"], capture_output=True, text=True, check=True, timeout=120
    )
    return plain(json.loads(listing.stdout))["_meta"]["hostvars"]


@pytest.fixture(scope="module", params=sorted(NODES))
def node(request, hostvars, tmp_path_factory):
    """A node of the plugin inventory, reached over SSH as Ansible reaches it (sudo for root)."""
    name = request.param
    host_vars = hostvars[name]
    config = tmp_path_factory.mktemp(name) / "ssh_config"
    config.write_text(
        f"Host {name}\n  HostName {host_vars['ansible_host']}\n  Port {host_vars['ansible_port']}\n"
        f"  User {host_vars['ansible_user']}\n  IdentityFile {host_vars['ansible_ssh_private_key_file']}\n"
        "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    host = testinfra.get_host(f"ssh://{name}", ssh_config=str(config), sudo=True)
    assert host.check_output("hostname") == name
    return SimpleNamespace(name=name, host=host)


def kubectl(*args, check=True):
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, check=check, timeout=120)


def kubectl_json(*args):
    return json.loads(kubectl(*args, "--output", "json").stdout)


def ready(obj):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in obj["status"].get("conditions", []))


def usersvc_pods():
    pods = kubectl_json("--namespace", NAMESPACE, "get", "pods", "--selector", "service=usersvc")["items"]
    return [pod for pod in pods if "deletionTimestamp" not in pod["metadata"] and ready(pod)]


def fullname_of(user, within):
    """The user's fullname through the edge, asking until postgres answers (503 while it starts)."""
    deadline = time.monotonic() + within
    while True:
        answer = subprocess.run(
            ["curl", "-s", "--max-time", "5", f"http://{NODES['node1']}:30800/user/{user}"],
            capture_output=True, text=True, check=False,
        ).stdout
        try:
            return json.loads(answer)["fullname"]
        except (ValueError, KeyError):
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer about {user} within {within} s: {answer!r}") from None
        time.sleep(1)


@pytest.fixture(scope="module")
def pods():
    return kubectl_json("--namespace", NAMESPACE, "get", "pods")["items"]


# ---------------------------------------------------------------- every node, over SSH


def test_kubelet_is_healthy_and_the_node_ready(node):
    assert node.host.check_output("curl -sf http://127.0.0.1:10248/healthz") == "ok"
    assert ready(kubectl_json("get", "node", node.name))


def test_workload_images_are_in_the_nodes_docker_and_containerd(pods, node):
    in_docker = set(node.host.check_output("docker image ls --format '{{.Repository}}:{{.Tag}}' 'envoy-mesh/*'").split())
    in_containerd = {
        ref.removeprefix("docker.io/") for ref in node.host.check_output("ctr --namespace k8s.io images ls --quiet").split()
    }
    for image in IMAGES:
        assert any(ref.startswith(f"envoy-mesh/{image}:") for ref in in_docker), f"{image} not built on {node.name}"
    # What the pods of this node run is in this node's own runtime (imagePullPolicy Never).
    here = [pod for pod in pods if pod["spec"].get("nodeName") == node.name]
    assert here, f"no pod of {NAMESPACE} on {node.name}"
    for pod in here:
        for container in pod["spec"]["containers"]:
            assert container["image"] in in_containerd, (pod["metadata"]["name"], container["image"])


def test_one_usersvc_pod_runs_on_this_node(node):
    (pod,) = [pod for pod in usersvc_pods() if pod["spec"]["nodeName"] == node.name]
    address = pod["status"]["podIP"]
    # The pod sits on this node's bridge and answers there.
    assert "dev cni0" in node.host.check_output(f"ip route get {address}")
    assert node.host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' http://{address}/user/health") == "200"


def test_pod_routes_to_the_other_nodes_are_host_gw(node):
    cidrs = {item["metadata"]["name"]: item["spec"]["podCIDR"] for item in kubectl_json("get", "nodes")["items"]}
    routes = node.host.check_output("ip route show proto 77")
    for other, address in NODES.items():
        if other != node.name:
            assert f"{cidrs[other]} via {address} dev eth0" in routes, routes


def test_the_node_resolves_service_names_through_cluster_dns(node):
    cluster_ip = kubectl_json("--namespace", NAMESPACE, "get", "service", "usersvc")["spec"]["clusterIP"]
    answer = node.host.check_output(f"dig +short +time=2 +tries=2 @10.254.0.2 usersvc.{NAMESPACE}.svc.cluster.local")
    assert answer == cluster_ip


def test_postgres_data_is_on_the_share_every_node_mounts(node):
    assert node.host.file(f"{SHARE}/pgdata/PG_VERSION").exists


# ---------------------------------------------------------------- the cluster, from this machine


def test_the_schedulable_nodes_are_exactly_node1_to_node3():
    items = kubectl_json("get", "nodes")["items"]
    schedulable = sorted(item["metadata"]["name"] for item in items if not item["spec"].get("unschedulable"))
    assert schedulable == sorted(NODES)
    assert all(ready(item) for item in items)
    assert {item["status"]["addresses"][0]["address"] for item in items} == set(NODES.values())


def test_usersvc_pods_sit_on_three_different_nodes():
    pods = usersvc_pods()
    assert len(pods) == 3
    assert sorted(pod["spec"]["nodeName"] for pod in pods) == sorted(NODES)


@pytest.mark.parametrize("address", sorted(NODES.values()))
def test_twelve_requests_through_each_nodes_nodeport_cycle_over_the_three_nodes(address, round_robin_check):
    pods = usersvc_pods()
    result = round_robin_check(
        url=f"http://{address}:30800/user/alice",
        expected_backends=[pod["status"]["podIP"] for pod in pods],
        require_ok=True,
        use_proxy=False,
        wait_timeout=30,
    )
    assert result["failed"] is False, result["msg"]
    assert sorted(result["cycle"]) == sorted(pod["status"]["podIP"] for pod in pods)
    assert result["sequence"] == result["cycle"] * 4


def test_the_postgres_volume_is_bound_to_no_node():
    volume = kubectl_json("get", "pv", "envoy-tutorial-postgres")
    assert volume["spec"]["hostPath"] == {"path": SHARE, "type": "Directory"}
    assert "nodeAffinity" not in volume["spec"]


def test_postgres_keeps_its_data_when_moved_to_another_node():
    """What a lost postgres node means for the data: the pod starts elsewhere and finds it."""
    (pod,) = kubectl_json("--namespace", NAMESPACE, "get", "pods", "--selector", "service=postgres")["items"]
    old_node = pod["spec"]["nodeName"]
    kubectl("cordon", old_node)
    try:
        kubectl("--namespace", NAMESPACE, "delete", "pod", pod["metadata"]["name"], "--wait=true")
        kubectl("--namespace", NAMESPACE, "rollout", "status", "deployment/postgres", "--timeout=180s")
        kubectl("--namespace", NAMESPACE, "wait", "pod", "--selector", "service=postgres",
                "--for=condition=Ready", "--timeout=180s")
        (moved,) = kubectl_json("--namespace", NAMESPACE, "get", "pods", "--selector", "service=postgres")["items"]
        assert moved["spec"]["nodeName"] != old_node
        # usersvc reconnects to the new server; alice, written by site.yml, is still there.
        assert fullname_of("alice", within=60) == "Alice"
    finally:
        kubectl("uncordon", old_node)
