"""The three-node lab's fixed facts (hack/three-node-lab) and its reprovisioning playbook, for tests and benchmarks.

nodeN is the Vagrant machine (Docker container) envoy-mesh-nodeN at 10.253.8.(100+N); the edge's NodePort
answers on every node's address. reprovision() runs playbooks/reprovision.yml through the lab's plugin
inventory, as a user would; move_postgres() and lose_under_traffic() are the faults that the checks
(molecule/three-node) and the benchmark (benchmarks/reprovision.py) measure.
"""

import os
import re
import subprocess
import time
from dataclasses import dataclass

from .edge_view import EdgeView, out_of_rotation_everywhere
from .lab import EDGE_NODE_PORT, LAB_LOG_DIR, REPO, USERSVC, VENV_BIN

NODES = {"node1": "10.253.8.101", "node2": "10.253.8.102", "node3": "10.253.8.103"}
INVENTORY = REPO / "inventory" / "three-node" / "lab.vagrant.yml"
REPROVISION = REPO / "playbooks" / "reprovision.yml"
# The last reprovision.yml output, with the time of every task.
REPROVISION_LOG = LAB_LOG_DIR / "reprovision.log"
# Pods of each part of the mesh carry a `service` label named after its Deployment.
POSTGRES = "service=postgres"
EDGE = "service=edge-envoy"


def container(node):
    """The Docker container that is the machine of ``node``."""
    return f"envoy-mesh-{node}"


def edge_address(node):
    """(host, port) of the edge's NodePort on the address of ``node``."""
    return NODES[node], EDGE_NODE_PORT


def ansible_env():
    """Environment for ansible-playbook: the checkout's ansible.cfg, no colours (output is read as text)."""
    return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
                VAGRANT_CHECKPOINT_DISABLE="1")


def reprovision(*machines, timeout_per_machine=1800, extra_args=()):
    """Run playbooks/reprovision.yml for ``machines``; (CompletedProcess, wall seconds).

    Its output, with the time of every task, is also kept in REPROVISION_LOG: where a slow run spent
    its time can be read after the test.
    """
    started = time.monotonic()
    env = dict(ansible_env(), ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(REPROVISION),
         "--extra-vars", f"reprovision_machines={','.join(machines)}", *extra_args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_per_machine * len(machines),
        check=False)
    seconds = time.monotonic() - started
    if REPROVISION_LOG.parent.is_dir():
        REPROVISION_LOG.write_text(f"# reprovision.yml {' '.join(machines)}: exit {result.returncode} after "
                                   f"{seconds:.0f} s\n{result.stdout}\n{result.stderr}")
    return result, seconds


# ansible-playbook's default output: a banner per task, then a line per host ("changed: [node2 -> localhost]").
TASK_BANNER = re.compile(r"^TASK \[(?P<task>.+?)\] \**$")
HOST_RESULT = re.compile(r"^(?:ok|changed|skipping|failed|fatal): \[(?P<host>[^\]\s]+)(?: -> [^\]]+)?\]")


def task_hosts(output):
    """(task name, host) of every result line of ansible-playbook's output, in the order printed.

    Task names are templated once per play, so with `serial` the banner does not name the host of
    the round; each result line does.
    """
    seen = []
    task = None
    for line in output.splitlines():
        banner = TASK_BANNER.match(line)
        if banner:
            task = banner.group("task")
            continue
        result = HOST_RESULT.match(line)
        if result and task is not None:
            seen.append((task, result.group("host")))
    return seen


def one_after_another(output, nodes, tasks):
    """Whether the output shows ``tasks`` (names, in their order) run for each of ``nodes`` before any for the next."""
    seen = task_hosts(output)
    marks = []
    for node in nodes:
        for task in tasks:
            if (task, node) not in seen:
                return False
            marks.append(seen.index((task, node)))
    return marks == sorted(marks)


def nodes_of(pods):
    """Names of the nodes the given pods (objects of the Kubernetes client) are bound to."""
    return {pod.spec.node_name for pod in pods if pod.spec.node_name}


def kill(node):
    """Stop the machine of ``node`` dead, as a pulled VM: SIGKILL to its container, whose processes all die at once."""
    subprocess.run(["docker", "kill", container(node)], capture_output=True, text=True, timeout=60, check=True)


def remove(node):
    """Remove the machine of ``node`` with its volumes (what `docker rm -f` does after the kill), however it was left."""
    subprocess.run(["docker", "rm", "--force", "--volumes", container(node)], capture_output=True, text=True,
                   timeout=120, check=True)


def postgres_node(cluster):
    (pod,) = cluster.ready_pods(POSTGRES)
    return pod.spec.node_name


def move_postgres(cluster, timeout=180):
    """Move postgres off its node as a drain does: the node cordoned, the pod evicted; until it is Ready elsewhere."""
    node = postgres_node(cluster)
    cluster.kubectl("drain", node, "--pod-selector", POSTGRES, "--delete-emptydir-data", "--ignore-daemonsets",
                    f"--timeout={timeout}s", namespaced=False, check=True, timeout=timeout + 30)
    try:
        cluster.kubectl("wait", "pod", "--selector", POSTGRES, "--for=condition=Ready", f"--timeout={timeout}s",
                        check=True, timeout=timeout + 30)
    finally:
        cluster.kubectl("uncordon", node, namespaced=False, check=True)
    return node, postgres_node(cluster)


@dataclass
class LossFigures:
    node: str
    lost_ips: list
    detected_s: float | None  # the node gone -> no edge balances over its pods; None: not within the bound
    sent: int
    failed: int
    reasons: dict
    slowest_ms: float


def lose_under_traffic(cluster, node, loop, liveness_s, tail_s=3.0):
    """Take ``node`` away without warning while ``loop`` runs; how the edges that survive noticed.

    Watches, through their admin endpoints, until no surviving edge balances over the usersvc pods of
    ``node`` any more (or ``liveness_s`` passed), then lets the loop run ``tail_s`` longer.
    """
    lost_ips = sorted(pod.status.pod_ip for pod in cluster.ready_pods(USERSVC) if pod.spec.node_name == node)
    if not lost_ips:
        raise AssertionError(f"no usersvc pod on {node}: {cluster.describe()}")
    edges = [pod.metadata.name for pod in cluster.ready_pods(EDGE) if pod.spec.node_name != node]
    with EdgeView(cluster.kubeconfig, cluster.namespace, edges) as edge:
        if not all(view and all(view.get(ip) for ip in lost_ips) for view in edge.views().values()):
            raise AssertionError(f"before the loss, not every edge balances over {lost_ips}: {edge.views()}")
        # `docker rm -f` as two steps: the kill is the loss, and the clock starts there; removing the
        # node's files (its image stores) takes seconds more, during which the pods are long dead.
        lost_at = time.time()
        kill(node)
        detected_s = None
        while detected_s is None and time.time() - lost_at < liveness_s:
            if out_of_rotation_everywhere(edge.views(), lost_ips):
                detected_s = time.time() - lost_at
            else:
                time.sleep(0.05)
    remove(node)
    time.sleep(tail_s)
    sent, failed, reasons = loop.tally()
    return LossFigures(node, lost_ips, detected_s, sent, failed, reasons, loop.max_latency_ms())
