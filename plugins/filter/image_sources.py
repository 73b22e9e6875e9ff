# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: image_sources
short_description: The peers a node copies its missing images from, instead of building them
version_added: 0.1.0
description:
  - Takes the image references a node lacks and, for each peer, the references its Docker holds, and
    returns the peers to copy from with the references each one gives.
  - Image references carry a content tag, so a peer's image under the same reference is the image the
    node would build.
  - Fewest peers first. The peer that holds most of what is still missing is chosen first (on a tie,
    the first one in O(holdings)), until no peer holds any of the rest. References no peer holds are
    left out of the result; the node builds those.
author:
  - envoy_mesh.lab maintainers (@envoy-mesh-lab)
positional: holdings
options:
  _input:
    description: Image references the node lacks.
    type: list
    elements: str
    required: true
  holdings:
    description: Peer name to the image references its Docker holds, in the order of preference.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Choose the peers to copy the missing images from
  ansible.builtin.set_fact:
    sources: "{{ ['envoy-mesh/envoy:1a2b', 'envoy-mesh/probe:3c4d'] | envoy_mesh.lab.image_sources(holdings) }}"
  vars:
    holdings:
      node1: [envoy-mesh/envoy:1a2b]
      node3: [envoy-mesh/envoy:1a2b, envoy-mesh/probe:3c4d]
  # {"node3": ["envoy-mesh/envoy:1a2b", "envoy-mesh/probe:3c4d"]}
"""

RETURN = r"""
_value:
  description: Peer name to the references to copy from it, in the order of the input.
  type: dict
"""

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils.image_sources import image_sources


class FilterModule(object):
    """The image_sources filter."""

    def filters(self):
        return {'image_sources': image_sources}
