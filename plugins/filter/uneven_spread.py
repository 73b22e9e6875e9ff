# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: uneven_spread
short_description: Deployments whose pods are not spread over the nodes as their constraint asks
version_added: 0.1.0
description:
  - Takes Deployment objects, as M(kubernetes.core.k8s_info) returns them, and returns those with a
    topology spread constraint on C(kubernetes.io/hostname) whose pods differ, from one node that
    takes pods to another, by more than the constraint's C(maxSkew).
  - A node takes pods when it is Ready, not cordoned, and has no C(NoSchedule) or C(NoExecute) taint.
  - Pods that are terminating are not counted. A pod counts for a Deployment when it is in its
    namespace and carries every label of its C(spec.selector.matchLabels).
  - The scheduler only places new pods, so after a node comes back from reprovisioning the pods that
    crowded onto the other nodes stay there until their Deployment is rolled.
author:
  - envoy_mesh.lab maintainers (@envoy-mesh-lab)
positional: pods, nodes
options:
  _input:
    description: Deployment objects.
    type: list
    elements: dict
    required: true
  pods:
    description: Pod objects of the Deployments' namespaces.
    type: list
    elements: dict
    required: true
  nodes:
    description: Node objects of the cluster.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Find the Deployments whose pods are not spread over the nodes
  ansible.builtin.set_fact:
    uneven: "{{ deployments.resources | envoy_mesh.lab.uneven_spread(pods.resources, nodes.resources) }}"
  # [{"namespace": "envoy-tutorial", "name": "usersvc", "pods_per_node": {"node1": 0, "node2": 2, "node3": 1}}]
"""

RETURN = r"""
_value:
  description: The uneven Deployments, in the order given.
  type: list
  elements: dict
  contains:
    namespace:
      description: Namespace of the Deployment.
      type: str
    name:
      description: Name of the Deployment.
      type: str
    pods_per_node:
      description: Number of its pods on each node that takes pods.
      type: dict
"""

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils.spread import uneven_spread


class FilterModule(object):
    """The uneven_spread filter."""

    def filters(self):
        return {'uneven_spread': uneven_spread}
