"""Run one fault against the mesh under steady streams of requests and measure how it recovers.

Two streams run through the edge NodePort during every fault: one keep-alive connection (a
connection that a stopping edge pod must close between two requests) and a new connection per
request, like the tutorial's curl loop (connections that kube-proxy must stop sending to a stopping
pod). Their failures are counted together, each reason marked with its stream.
"""

import time
from dataclasses import dataclass, field

from .rotation import wait_for_rotation
from .traffic import SteadyStream
from .waiting import poll

# Requests keep flowing this long after recovery, so late failures are counted too.
TAIL_SECONDS = 1.0
# The edge balances over exactly the Ready pods within this long after they reach their state...
EDGE_LAG_TARGET_S = 2.0
# ...and a test fails when it has not after ten times as long (a liveness bound, not a timing assertion).
EDGE_LAG_LIVENESS_S = 10 * EDGE_LAG_TARGET_S
# Seconds between requests: keep-alive, new connection each.
KEEP_ALIVE_INTERVAL = 0.01
NEW_CONNECTION_INTERVAL = 0.02


@dataclass
class FaultFigures:
    name: str
    sent: int
    failed: int
    settle_s: float  # fault started -> the cluster reached the wanted state
    rotation_lag_s: float  # that state -> every edge balances over exactly the Ready pods
    reasons: dict = field(default_factory=dict)

    @property
    def total_s(self):
        return self.settle_s + self.rotation_lag_s


def run_fault(cluster, target, name, action, settled, expected_backends, gone=None, timeout=180.0, interval=None,
              lag_timeout=EDGE_LAG_LIVENESS_S):
    """``action()`` starts the fault; ``settled()`` tells when the cluster is where it should end up.

    ``gone()``, when given, tells when the replaced pods have exited: requests keep flowing until then,
    so the whole shutdown of the old pods is under load. The edge must then balance over the
    ``expected_backends`` Ready pods within ``lag_timeout`` seconds. ``interval`` overrides the
    keep-alive stream's pace.
    """
    streams = [
        SteadyStream(target.edge_host, target.node_port, "/user/alice", interval=interval or KEEP_ALIVE_INTERVAL,
                     max_seconds=2 * timeout + 30),
        SteadyStream(target.edge_host, target.node_port, "/user/alice", interval=NEW_CONNECTION_INTERVAL,
                     max_seconds=2 * timeout + 30, fresh_connections=True),
    ]
    for stream in streams:
        stream.start()
    try:
        # A few answers before the fault show the streams work at all.
        poll(lambda: all(len(stream.answers) >= 5 for stream in streams), 10, interval=0.01,
             what="the first answers of the streams")
        action()
        settle = poll(settled, timeout, interval=0.05, what=f"{name} to settle", describe=cluster.describe)
        lag = wait_for_rotation(cluster, f"{target.edge_url}/user/alice", expected_backends, lag_timeout,
                                what=f"every edge to balance over {expected_backends} pods after {name} "
                                     f"(target < {EDGE_LAG_TARGET_S:g} s)")
        if gone is not None:
            poll(gone, timeout, interval=0.1, what=f"the pods replaced by {name} to exit", describe=cluster.describe)
        time.sleep(TAIL_SECONDS)
    finally:
        for stream in streams:
            stream.stop()
    sent, failed, reasons = tally(streams)
    return FaultFigures(name, sent, failed, round(settle, 2), round(lag, 2), reasons)


def tally(streams):
    """(sent, failed, {"<stream kind>: <reason>": count}) over every stream."""
    sent = failed = 0
    reasons = {}
    for stream in streams:
        stream_sent, stream_failed, stream_reasons = stream.tally()
        sent += stream_sent
        failed += stream_failed
        reasons.update({f"{stream.kind}: {reason}": count for reason, count in stream_reasons.items()})
    return sent, failed, reasons


def format_table(rows):
    """The fault figures as an aligned text table."""
    header = ("fault", "sent", "failed", "settle s", "edge lag s", "total s", "failures")
    lines = [header] + [
        (r.name, str(r.sent), str(r.failed), f"{r.settle_s:.2f}", f"{r.rotation_lag_s:.2f}", f"{r.total_s:.2f}",
         "; ".join(f"{count}x {reason}" for reason, count in sorted(r.reasons.items(), key=lambda i: -i[1]))[:160]
         or "-")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1] for line in lines)
