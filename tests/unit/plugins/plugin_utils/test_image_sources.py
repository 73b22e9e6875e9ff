# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which peers a node copies its missing images from."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils.image_sources import image_sources

ENVOY, PROBE, USERSVC = 'envoy-mesh/envoy:1a', 'envoy-mesh/probe:2b', 'envoy-mesh/usersvc:3c'


def test_one_peer_that_holds_everything_gives_everything():
    assert image_sources([ENVOY, PROBE], {'node1': [ENVOY], 'node3': [PROBE, ENVOY, USERSVC]}) == \
        {'node3': [ENVOY, PROBE]}


def test_a_tie_goes_to_the_first_peer():
    assert image_sources([ENVOY], {'node2': [ENVOY], 'node3': [ENVOY]}) == {'node2': [ENVOY]}


def test_what_no_single_peer_holds_comes_from_several():
    assert image_sources([ENVOY, PROBE, USERSVC], {'node1': [ENVOY], 'node2': [PROBE, USERSVC]}) == \
        {'node2': [PROBE, USERSVC], 'node1': [ENVOY]}


def test_what_no_peer_holds_is_left_to_build():
    assert image_sources([ENVOY, PROBE], {'node1': [ENVOY], 'node2': []}) == {'node1': [ENVOY]}
    assert image_sources([ENVOY], {}) == {}
    assert image_sources([], {'node1': [ENVOY]}) == {}


def test_same_tag_only():
    # Another content tag is another image: building it again is the only way to get this one.
    assert image_sources([ENVOY], {'node1': ['envoy-mesh/envoy:ffff']}) == {}


def test_a_reference_listed_twice_is_copied_once():
    assert image_sources([ENVOY, ENVOY], {'node1': [ENVOY]}) == {'node1': [ENVOY]}


def test_a_peer_without_a_listing_holds_nothing():
    assert image_sources([ENVOY], {'node1': None, 'node2': [ENVOY]}) == {'node2': [ENVOY]}


@pytest.mark.parametrize('missing, holdings', [('envoy', {}), ([ENVOY], [ENVOY])])
def test_wrong_types_are_refused_with_what_was_given(missing, holdings):
    with pytest.raises(TypeError, match='takes a list of image references and a dict'):
        image_sources(missing, holdings)
