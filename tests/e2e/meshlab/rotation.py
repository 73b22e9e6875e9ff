"""Is the edge balancing over exactly the Ready usersvc pods? The collection's round_robin_check logic.

Uses the pure functions of plugins/module_utils/round_robin.py (the module envoy_mesh.lab.round_robin_check
runs the same ones). Other traffic through the edge shifts the cycle, so only the set of backends, the
errors and ``ok`` are judged here, not a perfect cycle.
"""

import sys
import time

from toolkit.lab import COLLECTIONS

from .waiting import poll

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

# pylint: disable=wrong-import-position  # the collection is importable once its path is on sys.path
from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin  # noqa: E402

REQUESTS_PER_BACKEND = 4


def check_round(url, expected_backends, timeout=2.0):
    """One round of sequential GETs; the analyse_round result (``passed``, ``msg``, ``backends``...)."""
    opener = round_robin.reusable_opener(validate_certs=False)
    requests = max(1, len(expected_backends)) * REQUESTS_PER_BACKEND
    answers = [round_robin.fetch_once(opener, url, time.monotonic, timeout=timeout, use_proxy=False)
               for dummy in range(requests)]
    return round_robin.analyse_round(answers, round_robin.DEFAULT_FIELD, expected_backends=expected_backends,
                                     mode="balanced", tolerance=float(requests), require_ok=True)


def wait_for_rotation(cluster, url, expected_count, timeout):
    """Wait until ``expected_count`` pods are Ready and the edge answers from exactly those; seconds waited."""
    last = {}

    def rotation_matches():
        ips = cluster.ready_ips()
        last["ips"] = ips
        if len(ips) != expected_count:
            last["msg"] = f"{len(ips)} Ready pods, want {expected_count}"
            return False
        result = check_round(url, ips)
        last["msg"] = result["msg"]
        return result["passed"]

    return poll(rotation_matches, timeout, interval=0.05, what=f"the edge to balance over {expected_count} pods",
                describe=lambda: f"{last.get('msg')} (Ready: {last.get('ips')}; pods: {cluster.describe()})")
