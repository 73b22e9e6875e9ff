"""Tear the mesh down and build it again, twice in a row: each run must converge.

Slow (minutes), marked ``rebuild``; deselect it with ``-m "not rebuild"``. It replaces every pod and
the data of the namespace under test.
"""

import pytest

from meshlab.playbooks import run_playbook
from meshlab.rotation import wait_for_rotation
from meshlab.waiting import poll
from toolkit.http import KeepAliveClient
from toolkit.lab import REPO

ROUNDS = 2
REPLICAS = 3


def volumes_of_other_namespaces(cluster):
    """{volume: namespace} of the lab's PersistentVolumes claimed from other namespaces (other copies)."""
    volumes = cluster.core.list_persistent_volume(label_selector="app.kubernetes.io/part-of=envoy-mesh-lab").items
    return {pv.metadata.name: pv.spec.claim_ref.namespace for pv in volumes
            if pv.spec.claim_ref is not None and pv.spec.claim_ref.namespace != cluster.namespace}


def removed_from_live_namespaces(cluster, before):
    """Volumes of ``before`` that are gone although their namespace is still there."""
    live = {ns.metadata.name for ns in cluster.core.list_namespace().items if ns.status.phase == "Active"}
    after = volumes_of_other_namespaces(cluster)
    return sorted(name for name, namespace in before.items() if namespace in live and name not in after)


@pytest.mark.rebuild
def test_teardown_then_site_converges_twice(cluster, target, figures):
    others = volumes_of_other_namespaces(cluster)
    rows = []
    for round_ in range(1, ROUNDS + 1):
        teardown = run_playbook(target, REPO / "playbooks" / "teardown.yml", timeout=600)
        assert teardown.returncode == 0, f"teardown {round_}:\n{teardown.tail()}"
        assert not [ns for ns in cluster.core.list_namespace().items if ns.metadata.name == cluster.namespace]
        # Tearing one copy down leaves the volumes of other copies alone.
        assert not removed_from_live_namespaces(cluster, others), "teardown removed other namespaces' volumes"
        site = run_playbook(target, REPO / "site.yml", timeout=1500)
        assert site.returncode == 0, f"site {round_}:\n{site.tail()}"
        with KeepAliveClient(target.edge_host, target.node_port, timeout=15) as edge:
            poll(lambda e=edge: e.request("GET", "/user/alice").ok, 60, what="alice through the edge")
        wait_for_rotation(cluster, f"{target.edge_url}/user/alice", REPLICAS, 60)
        rows.append(f"round {round_}: teardown {teardown.seconds:.0f} s, site {site.seconds:.0f} s")
        figures(f"teardown + site x{ROUNDS} in namespace {target.namespace}", rows)
