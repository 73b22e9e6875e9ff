"""The tutorial's curl loop as a client: one GET after another, each on a new connection, never retried.

CurlLoop runs in a background thread that always stops by itself (``max_seconds``) and keeps every answer
with the wall-clock time it was sent, so a check can count every answer that is not a 200 and split the
stream at the moments of a fault.
"""

import collections
import threading
import time

from .http import request


class CurlLoop(threading.Thread):
    """GETs http://host:port/path until stopped, sleeping ``interval`` between one answer and the next request."""

    def __init__(self, host, port, path="/user/alice", interval=0.02, timeout=10.0, max_seconds=1800.0):
        super().__init__(name=f"curl-loop-{host}:{port}", daemon=True)
        self.host = host
        self.port = port
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.max_seconds = max_seconds
        self.answers = []  # (time.time() when sent, Response)
        self._stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop_event.is_set() and time.monotonic() < deadline:
            sent_at = time.time()
            self.answers.append((sent_at, request("GET", self.host, self.port, self.path, timeout=self.timeout)))
            self._stop_event.wait(self.interval)

    def stop(self, timeout=None):
        self._stop_event.set()
        self.join(self.timeout + 5 if timeout is None else timeout)
        if self.is_alive():
            raise RuntimeError(f"{self.name} did not stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def failures(self):
        """(time sent, Response) of every answer that is not a usersvc success (HTTP 200, ``ok``)."""
        return [(sent_at, answer) for sent_at, answer in list(self.answers) if not answer.ok]

    def tally(self):
        """(sent, failed, {reason: count}) over every answer so far."""
        answers = list(self.answers)
        reasons = collections.Counter(answer.reason() for dummy, answer in answers if not answer.ok)
        return len(answers), sum(reasons.values()), dict(reasons)

    def max_latency_ms(self):
        return max((answer.latency_ms for dummy, answer in list(self.answers)), default=0.0)


def window(failures):
    """Seconds from the first failed request's send to the last one's answer (0 without failures)."""
    if not failures:
        return 0.0
    first, last = failures[0], failures[-1]
    return last[0] + last[1].latency_ms / 1000 - first[0]
