"""How long an endpoint change takes to reach the edge's routing.

Runs the loopback data plane (postgres, three usersvc pods with sidecars, the discovery service on an
endpoint file, the step-3 edge), then removes and re-adds one pod repeatedly. For each change it
records, from the moment the endpoint file is replaced:
  applied: the edge's admin /clusters shows the new endpoint set;
  routed:  requests through the edge follow it (the re-added pod answers; the removed one stops).
Prints median and p95. The file source polls every 20 ms; a Kubernetes watch has no polling delay.

    .venv/bin/python benchmarks/propagation.py [--changes 20]
"""

import argparse
import time

import _paths  # noqa: F401  # pylint: disable=unused-import  # puts tests/ on sys.path
from _plane import running_plane
from toolkit.http import request
from toolkit.stats import summary


def wait_applied(plane, wanted, deadline):
    while time.perf_counter() < deadline:
        if set(plane.edge.cluster_hosts("usersvc")) == wanted:
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError(f"edge never showed {sorted(wanted)}")


def resolvedname(plane):
    response = request("GET", "127.0.0.1", plane.edge.listen_port, "/user/alice")
    return response.json()["resolvedname"] if response.status == 200 else None


def wait_routed_to(plane, address, deadline):
    while time.perf_counter() < deadline:
        if resolvedname(plane) == address:
            return time.perf_counter()
    raise TimeoutError(f"{address} never answered through the edge")


def wait_routed_away(plane, address, deadline, streak=6):
    """Time of the first of ``streak`` consecutive answers that avoid ``address``."""
    first_clean = None
    clean = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        if resolvedname(plane) == address:
            first_clean, clean = None, 0
            continue
        first_clean = first_clean or started
        clean += 1
        if clean == streak:
            return first_clean
    raise TimeoutError(f"{address} kept answering through the edge")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20, help="number of endpoint changes (half removals)")
    args = parser.parse_args()

    with running_plane() as plane:
        moving = plane.backends[2]
        applied = {"remove": [], "add": []}
        routed = {"remove": [], "add": []}
        for change in range(args.changes):
            kind = "remove" if change % 2 == 0 else "add"
            backends = plane.backends[:2] if kind == "remove" else plane.backends
            wanted = {b.endpoint for b in backends}
            time.sleep(0.2)  # let the previous change settle so each one is measured alone
            started = time.perf_counter()
            plane.publish(backends)
            deadline = started + 10
            applied_at = wait_applied(plane, wanted, deadline)
            if kind == "remove":
                routed_at = wait_routed_away(plane, moving.address, deadline)
            else:
                routed_at = wait_routed_to(plane, moving.address, deadline)
            applied[kind].append((applied_at - started) * 1000)
            routed[kind].append((max(routed_at, applied_at) - started) * 1000)

        print(f"endpoint change propagation over {args.changes} changes (file source, REST long-poll EDS)")
        for label, figures in (("applied", applied), ("routed", routed)):
            for kind in ("remove", "add"):
                print(f"  {label:8s} {kind:7s} {summary(figures[kind])}")
            print(f"  {label:8s} {'all':7s} {summary(figures['remove'] + figures['add'])}")


if __name__ == "__main__":
    main()
