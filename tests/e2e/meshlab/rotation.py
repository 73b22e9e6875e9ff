"""Is the edge balancing over exactly the Ready usersvc pods? The collection's round_robin_check logic.

Uses the pure functions of plugins/module_utils/round_robin.py (the module envoy_mesh.lab.round_robin_check
runs the same ones). Other traffic through the edge shifts the cycle, so only the set of backends, the
errors and ``ok`` are judged here, not a perfect cycle.

The NodePort reaches one edge pod per client (ClientIP affinity), so every Ready edge pod is also
asked straight at its own address: each keeps its own view of the endpoints.
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

from toolkit.lab import COLLECTIONS

from .edge import EDGE
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


def edge_urls(cluster, url):
    """``url`` (through the NodePort) and the same path at every Ready edge pod's own listener."""
    parts = urlsplit(url)
    urls = [url]
    for pod in sorted(cluster.ready_pods(EDGE), key=lambda pod: pod.metadata.name):
        port = next(port.container_port for container in pod.spec.containers for port in container.ports or []
                    if port.name == "http")
        urls.append(urlunsplit((parts.scheme, f"{pod.status.pod_ip}:{port}", parts.path, parts.query, "")))
    return urls


def wait_for_rotation(cluster, url, expected_count, timeout, what=None):
    """Wait until ``expected_count`` pods are Ready and every edge answers from exactly those.

    Returns the seconds from the call to the start of the round that passed: the edges balanced by
    then, and a round over every edge pod takes a while.
    """
    last = {}
    started = time.monotonic()

    def rotation_matches():
        last["attempt"] = time.monotonic()
        ips = cluster.ready_ips()
        last["ips"] = ips
        if len(ips) != expected_count:
            last["msg"] = f"{len(ips)} Ready pods, want {expected_count}"
            return False
        urls = edge_urls(cluster, url)
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            results = list(pool.map(lambda each: check_round(each, ips), urls))
        failing = [f"{each}: {result['msg']}" for each, result in zip(urls, results) if not result["passed"]]
        last["msg"] = "; ".join(failing)
        return not failing

    poll(rotation_matches, timeout, interval=0.05, what=what or f"every edge to balance over {expected_count} pods",
         describe=lambda: f"{last.get('msg')} (Ready: {last.get('ips')}; pods: {cluster.describe()}; "
                          f"edge pods: {cluster.describe(EDGE)})")
    return last["attempt"] - started
