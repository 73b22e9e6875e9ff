"""Shared set-up of the loopback benchmarks: the data plane of the workload tests, with alice stored."""

import contextlib
import tempfile
from pathlib import Path

import _paths  # noqa: F401  # pylint: disable=unused-import  # puts the harness on sys.path
from harness.plane import DataPlane
from harness.processes import ProcessGroup


@contextlib.contextmanager
def running_plane():
    with tempfile.TemporaryDirectory(prefix="envoy-mesh-bench-") as workdir, \
            ProcessGroup(Path(workdir) / "processes") as processes:
        plane = DataPlane(processes, Path(workdir) / "endpoints.json")
        try:
            created = plane.call("PUT", "/user/alice", {"fullname": "Alice", "password": "alicerules"})
            if created.status != 200:
                raise RuntimeError(f"PUT through the edge failed: {created.status} {created.body!r}")
            yield plane
        finally:
            plane.destroy()
