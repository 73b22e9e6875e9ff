# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which peer a node copies each of its missing images from, instead of building it.

An image reference carries a content tag (the hash of its sources, wheels and base image), so an
image that a peer holds under the same reference is the image the node would build. Each copy is
one archive saved on a peer, carried through the controller and loaded on the node: the fewer
peers, the fewer archives. Pure functions (stdlib only, Python 3.6 syntax).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def image_sources(missing, holdings):
    """Map peer -> the references of ``missing`` to copy from it; references no peer holds are left out.

    ``holdings`` maps each peer to the references its Docker holds; its order is the order of
    preference. Greedy: the peer that holds most of what is still missing goes first (the first
    such peer on a tie), until no peer holds any of the rest. The references of each peer keep the
    order of ``missing``.
    """
    if not isinstance(missing, (list, tuple)) or not isinstance(holdings, dict):
        raise TypeError('image_sources takes a list of image references and a dict of peer -> references, '
                        'not %s and %s' % (type(missing).__name__, type(holdings).__name__))
    held = dict((peer, set(refs or [])) for peer, refs in holdings.items())
    rest = list(dict.fromkeys(missing))
    sources = {}
    while rest:
        best, best_count = None, 0
        for peer in holdings:
            if peer in sources:
                continue
            count = sum(1 for ref in rest if ref in held[peer])
            if count > best_count:
                best, best_count = peer, count
        if best is None:
            break
        sources[best] = [ref for ref in rest if ref in held[best]]
        rest = [ref for ref in rest if ref not in held[best]]
    return sources
