"""How long an EndpointSlice change takes to reach the discovery service's EDS answers.

Needs a cluster (the local lab's kubeconfig, or $KUBECONFIG). In a throwaway namespace it runs
usersvc-sds with a ServiceAccount that may only read EndpointSlices, holds an EDS long-poll open
at the current version, replaces the EndpointSlice, and records the time until the long-poll
answers with the new endpoints. Together with propagation.py (discovery service -> edge routing)
this covers the whole path from the API server to the edge.

    .venv/bin/python benchmarks/propagation_kubernetes.py [--changes 20]
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import _paths  # noqa: F401  # pylint: disable=unused-import  # puts tests/ on sys.path
from harness import SDS_DIR
from harness.processes import ProcessGroup, free_port, wait_until
from harness.slices import SliceNamespace
from toolkit.http import request
from toolkit.lab import kubeconfig
from toolkit.stats import summary

EDS_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"


def eds(port, version):
    return request("POST", "127.0.0.1", port, "/v3/discovery:endpoints",
                   {"version_info": version, "resource_names": ["usersvc"], "type_url": EDS_TYPE_URL}, timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    path = kubeconfig()
    if not Path(path).is_file():
        sys.exit(f"no kubeconfig at {path}: start the local lab cluster first (make cluster)")

    namespace = SliceNamespace(path)
    try:
        with tempfile.TemporaryDirectory(prefix="sds-bench-") as workdir, ProcessGroup(Path(workdir)) as processes:
            namespace.put_slice("usersvc-bench", [("10.244.99.1", True)])
            port = free_port()
            host, api_port = namespace.server
            env = dict(os.environ, PYTHONPATH=str(SDS_DIR), KUBERNETES_SERVICE_HOST=host,
                       KUBERNETES_SERVICE_PORT=api_port)
            processes.start("usersvc-sds", [
                sys.executable, "-m", "usersvc_sds", "--bind", f"127.0.0.1:{port}",
                "--service-account-dir", namespace.service_account_dir(Path(workdir) / "account"),
            ], env=env)
            version = wait_until(lambda: eds(port, "").json()["version_info"], 20, what="first EDS answer")
            figures = []
            for change in range(args.changes):
                ready = change % 2 == 0
                pending = _HeldPoll(port, version)
                time.sleep(0.2)  # the poll is now held by the server
                started = time.perf_counter()
                namespace.put_slice("usersvc-bench", [("10.244.99.1", True), ("10.244.99.2", ready)])
                version = pending.result()
                figures.append((pending.answered - started) * 1000)
            print(f"EndpointSlice write -> EDS long-poll answered, {args.changes} changes: {summary(figures)}")
    finally:
        namespace.destroy()


class _HeldPoll:
    """An EDS request at the current version, answered by the server only when the endpoints change."""

    def __init__(self, port, version):
        self.answered = None
        self._version = None
        self._thread = threading.Thread(target=self._run, args=(port, version))
        self._thread.start()

    def _run(self, port, version):
        response = eds(port, version)
        self.answered = time.perf_counter()
        if response.status != 200:
            raise RuntimeError(f"EDS answered {response.status}")
        self._version = response.json()["version_info"]

    def result(self):
        self._thread.join(30)
        if self._version is None:
            raise RuntimeError("the held EDS request was not answered with a change")
        return self._version


if __name__ == "__main__":
    main()
