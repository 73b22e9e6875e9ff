"""Run one fault against the mesh under a steady stream of requests and measure how it recovers."""

import time
from dataclasses import dataclass, field

from .rotation import wait_for_rotation
from .traffic import SteadyStream
from .waiting import poll

# Requests keep flowing this long after recovery, so late failures are counted too.
TAIL_SECONDS = 1.0


@dataclass
class FaultFigures:
    name: str
    sent: int
    failed: int
    settle_s: float  # fault started -> the cluster reached the wanted state
    rotation_lag_s: float  # that state -> the edge balances over exactly the Ready pods
    reasons: dict = field(default_factory=dict)

    @property
    def total_s(self):
        return self.settle_s + self.rotation_lag_s


def run_fault(cluster, target, name, action, settled, expected_backends, gone=None, timeout=180.0, interval=0.01):
    """``action()`` starts the fault; ``settled()`` tells when the cluster is where it should end up.

    ``gone()``, when given, tells when the replaced pods have exited: requests keep flowing until then,
    so the whole shutdown of the old pods is under load.
    """
    with SteadyStream(target.edge_host, target.node_port, "/user/alice", interval=interval,
                      max_seconds=2 * timeout + 30) as stream:
        # A few answers before the fault show the stream works at all.
        poll(lambda: len(stream.answers) >= 5, 10, interval=0.01, what="the first answers of the stream")
        action()
        settle = poll(settled, timeout, interval=0.05, what=f"{name} to settle", describe=cluster.describe)
        lag = wait_for_rotation(cluster, f"{target.edge_url}/user/alice", expected_backends, timeout)
        if gone is not None:
            poll(gone, timeout, interval=0.1, what=f"the pods replaced by {name} to exit", describe=cluster.describe)
        time.sleep(TAIL_SECONDS)
    sent, failed, reasons = stream.tally()
    return FaultFigures(name, sent, failed, round(settle, 2), round(lag, 2), reasons)


def format_table(rows):
    """The fault figures as an aligned text table."""
    header = ("fault", "sent", "failed", "settle s", "edge lag s", "total s", "failures")
    lines = [header] + [
        (r.name, str(r.sent), str(r.failed), f"{r.settle_s:.2f}", f"{r.rotation_lag_s:.2f}", f"{r.total_s:.2f}",
         "; ".join(f"{count}x {reason}" for reason, count in sorted(r.reasons.items(), key=lambda i: -i[1]))[:120]
         or "-")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1] for line in lines)
