"""Bounded keep-alive load: a few client processes send a fixed number of GET requests, then stop.

Each client keeps one HTTP/1.1 connection per address and sends request i to address i modulo their
number, so a list of several addresses is a client-side round robin. Used by benchmarks/load.py and
tests/e2e/test_load.py; both only print the figures (no timed assertion).
"""

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .http import KeepAliveClient
from .stats import median, percentile

PATH = "/user/alice"
# Requests per client before each measured run: opens the connections and warms the workers.
WARM_UP = 50


@dataclass
class LoadResult:
    """What one or more runs against one target gave."""

    name: str
    latencies: list = field(default_factory=list)  # ms, answered requests only
    seconds: float = 0.0  # from the first send to the last answer
    failures: dict = field(default_factory=dict)  # reason -> count

    @property
    def failed(self):
        return sum(self.failures.values())

    @property
    def requests(self):
        return len(self.latencies) + self.failed

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def median(self):
        return median(self.latencies) if self.latencies else float("nan")

    def percentile(self, pct):
        return percentile(self.latencies, pct)

    def add(self, other):
        self.latencies += other.latencies
        self.seconds += other.seconds
        for reason, count in other.failures.items():
            self.failures[reason] = self.failures.get(reason, 0) + count

    def describe(self):
        if not self.latencies:
            return f"{self.name:<8} all {self.requests} requests failed: {self.failures}"
        return (f"{self.name:<8} {self.requests} requests ({self.failed} failed) in {self.seconds:.2f} s = "
                f"{self.rate:6.0f} req/s; latency ms p50 {self.median:.2f} p90 {self.percentile(90):.2f} "
                f"p99 {self.percentile(99):.2f} max {max(self.latencies):.2f}")


def client(addresses, path, count, start_at):
    """One client's share: (latencies, failures by reason, first send, last answer), wall clock."""
    latencies, failures = [], {}
    connections = [KeepAliveClient(host, port, timeout=10) for host, port in addresses]
    try:
        time.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        for number in range(count):
            response = connections[number % len(connections)].request("GET", path)
            if response.ok:
                latencies.append(response.latency_ms)
            else:
                failures[response.reason()] = failures.get(response.reason(), 0) + 1
        return latencies, failures, started, time.time()
    finally:
        for connection in connections:
            connection.close()


class LoadRunner:
    """A pool of client processes, reused across runs so that process start-up is not measured."""

    def __init__(self, clients=4, path=PATH):
        self.clients = clients
        self.path = path
        self._pool = ProcessPoolExecutor(max_workers=clients)

    def close(self):
        self._pool.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def run(self, name, addresses, requests):
        """Send `requests` GETs over all clients at once; the LoadResult of that run."""
        start_at = time.time() + 0.5
        shares = [requests // self.clients + (1 if i < requests % self.clients else 0) for i in range(self.clients)]
        results = list(self._pool.map(client, [addresses] * self.clients, [self.path] * self.clients, shares,
                                      [start_at] * self.clients))
        result = LoadResult(name)
        for latencies, failures, dummy_started, dummy_ended in results:
            result.add(LoadResult(name, latencies, failures=failures))
        result.seconds = max(r[3] for r in results) - min(r[2] for r in results)
        return result

    def measure(self, targets, requests, rounds):
        """Alternate the targets (name -> addresses) for `rounds` rounds; name -> summed LoadResult.

        Alternating spreads slow drifts of a shared machine over every target instead of one.
        """
        for addresses in targets.values():
            self.run("warm-up", addresses, WARM_UP * self.clients)
        totals = {name: LoadResult(name) for name in targets}
        for dummy_round in range(rounds):
            for name, addresses in targets.items():
                totals[name].add(self.run(name, addresses, requests))
        return totals


def summary(totals, edge="edge", baselines=("direct", "spread")):
    """Lines comparing the edge with each baseline present: median difference and throughput ratio."""
    lines = [result.describe() for result in totals.values()]
    for baseline in baselines:
        if baseline in totals and totals[baseline].latencies and totals[edge].latencies:
            lines.append(f"{edge} vs {baseline}: median {totals[edge].median - totals[baseline].median:+.2f} ms, "
                         f"throughput ratio {totals[edge].rate / totals[baseline].rate:.2f}")
    return lines
