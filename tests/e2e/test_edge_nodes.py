"""The edge's pods and the nodes: with externalTrafficPolicy Local every node that takes pods needs an
edge pod, so too few pods for the nodes fail before anything changes, naming the fixes."""

from meshlab.playbooks import run_playbook
from toolkit.lab import REPO


def takes_pods(node):
    """Ready, schedulable, and no taint that keeps the edge's pods off."""
    ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
    blocked = any(taint.effect in ("NoSchedule", "NoExecute") for taint in node.spec.taints or [])
    return ready and not node.spec.unschedulable and not blocked


def test_too_few_edge_pods_for_the_nodes_fail_before_anything_changes(cluster, target, healthy_mesh):
    healthy_mesh()
    nodes = [node.metadata.name for node in cluster.core.list_node(_request_timeout=10).items if takes_pods(node)]
    before = cluster.deployment("edge-envoy")
    too_few = len(nodes) - 1
    run = run_playbook(target, REPO / "site.yml", "--tags", "edge_envoy",
                       "--extra-vars", f"edge_envoy_replicas={too_few}", timeout=300)
    assert run.returncode != 0, run.tail()
    output = " ".join(run.output.split())
    for words in (f"edge_envoy_replicas is {too_few}", f"Set edge_envoy_replicas={len(nodes)} or more",
                  "edge_envoy_external_traffic_policy=Cluster", "Nothing was changed"):
        assert words in output, f"{words!r} not in:\n{run.tail()}"
    after = cluster.deployment("edge-envoy")
    assert (after.metadata.generation, after.spec.replicas) == (before.metadata.generation, before.spec.replicas)
