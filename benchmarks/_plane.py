"""Shared set-up of the benchmarks: the loopback data plane from the workload tests."""

import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "workloads"))

# pylint: disable=wrong-import-position  # the path above makes the harness importable
from harness.plane import DataPlane  # noqa: E402
from harness.processes import ProcessGroup  # noqa: E402


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


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms):
    return (f"n={len(values_ms)} median={statistics.median(values_ms):.2f} ms "
            f"p95={percentile(values_ms, 0.95):.2f} ms max={max(values_ms):.2f} ms")
