"""A steady stream of requests through the edge, in a background thread that always stops by itself."""

import collections
import threading
import time

from toolkit.http import KeepAliveClient, request


class SteadyStream(threading.Thread):
    """GETs ``path`` every ``interval`` seconds until stopped, ``max_requests`` sent or ``max_seconds`` passed.

    By default the requests share one keep-alive connection (reopened after any failure); with
    ``fresh_connections`` each request opens and closes its own, like the tutorial's curl loop. Keeps
    every answer with its send time, so callers can split the stream at the moments of a fault.
    """

    def __init__(self, host, port, path, interval=0.01, max_requests=30_000, max_seconds=300.0, timeout=5.0,
                 fresh_connections=False):
        kind = "new-connection" if fresh_connections else "keep-alive"
        super().__init__(name=f"steady-stream-{kind}-{port}", daemon=True)
        self.kind = kind
        self.host = host
        self.port = port
        self.client = None if fresh_connections else KeepAliveClient(host, port, timeout=timeout)
        self.path = path
        self.interval = interval
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.timeout = timeout
        self.answers = []  # (monotonic send time, Answer)
        self._stop_event = threading.Event()

    def send(self):
        if self.client is None:
            return request("GET", self.host, self.port, self.path, timeout=self.timeout)
        return self.client.request("GET", self.path)

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        try:
            while (not self._stop_event.is_set() and len(self.answers) < self.max_requests
                   and time.monotonic() < deadline):
                sent_at = time.monotonic()
                self.answers.append((sent_at, self.send()))
                self._stop_event.wait(self.interval)
        finally:
            if self.client is not None:
                self.client.close()

    def stop(self, timeout=10.0):
        self._stop_event.set()
        self.join(timeout)
        if self.is_alive():
            raise RuntimeError(f"{self.name} did not stop within {timeout}s")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def tally(self):
        """(sent, failed, {reason: count}) over every answer so far."""
        answers = list(self.answers)
        reasons = collections.Counter(answer.reason() for dummy, answer in answers if not answer.ok)
        return len(answers), sum(reasons.values()), dict(reasons)
