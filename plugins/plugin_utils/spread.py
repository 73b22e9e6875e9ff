# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the pods of Deployments are spread over the nodes that take pods, from Kubernetes objects
as the API returns them (dicts).

After a node comes back from reprovisioning, a Deployment whose pods crowded onto the other nodes
meanwhile stays that way: the scheduler only places new pods. These functions find such
Deployments, so that they can be rolled. Pure functions (stdlib only, Python 3.6 syntax).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HOSTNAME = 'kubernetes.io/hostname'
# Taints that keep new pods off a node.
BLOCKING_EFFECTS = ('NoSchedule', 'NoExecute')


def takes_pods(node):
    """Whether a new pod may land on ``node``: Ready, not cordoned, no taint that keeps pods off."""
    spec = node.get('spec') or {}
    if spec.get('unschedulable'):
        return False
    if any(taint.get('effect') in BLOCKING_EFFECTS for taint in spec.get('taints') or []):
        return False
    conditions = (node.get('status') or {}).get('conditions') or []
    return any(condition.get('type') == 'Ready' and condition.get('status') == 'True' for condition in conditions)


def hostname_skew(deployment):
    """The maxSkew of the Deployment's spread over hostnames, or None when it is not spread over them."""
    constraints = deployment['spec']['template']['spec'].get('topologySpreadConstraints') or []
    for constraint in constraints:
        if constraint.get('topologyKey') == HOSTNAME:
            return int(constraint.get('maxSkew', 1))
    return None


def selects(deployment, pod):
    """Whether ``pod`` is in the Deployment's namespace and carries every label of its selector."""
    if pod['metadata'].get('namespace') != deployment['metadata'].get('namespace'):
        return False
    labels = pod['metadata'].get('labels') or {}
    wanted = (deployment['spec'].get('selector') or {}).get('matchLabels') or {}
    return all(labels.get(key) == value for key, value in wanted.items())


def pods_per_node(deployment, pods, node_names):
    """{node name: number of the Deployment's pods bound to it and not terminating}, for ``node_names``."""
    counts = dict((name, 0) for name in node_names)
    for pod in pods:
        node = (pod.get('spec') or {}).get('nodeName')
        if node in counts and not pod['metadata'].get('deletionTimestamp') and selects(deployment, pod):
            counts[node] += 1
    return counts


def uneven_spread(deployments, pods, nodes):
    """The Deployments spread over hostnames whose pods on the nodes that take pods differ by more than
    their maxSkew: a list of {namespace, name, pods_per_node}, in the order given."""
    node_names = [node['metadata']['name'] for node in nodes if takes_pods(node)]
    uneven = []
    for deployment in deployments:
        skew = hostname_skew(deployment)
        if skew is None or not node_names:
            continue
        counts = pods_per_node(deployment, pods, node_names)
        if max(counts.values()) - min(counts.values()) > skew:
            uneven.append(dict(namespace=deployment['metadata'].get('namespace'),
                               name=deployment['metadata']['name'], pods_per_node=counts))
    return uneven
