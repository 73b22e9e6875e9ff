"""Retry delays and progress bookkeeping of a supervised watcher: pure logic, no I/O."""

import random
import threading
import time

FIRST_BACKOFF_SECONDS = 0.25
# Small: once the API server is back, the watch should be too within a few seconds, and one
# list every few seconds from one client is nothing for an API server.
MAX_BACKOFF_SECONDS = 4.0


def backoff_delay(failures, first=FIRST_BACKOFF_SECONDS, cap=MAX_BACKOFF_SECONDS, rand=random.random):
    """Seconds to wait before retry number ``failures`` (1, 2, ...): doubling up to ``cap``, with jitter.

    The jitter (50-100 % of the step) keeps many clients that failed together from retrying together.
    """
    if failures < 1:
        return 0.0
    step = min(cap, first * 2 ** min(failures - 1, 32))
    return step * (0.5 + rand() / 2)


class WatchProgress:
    """When a watcher last made progress, and since when it has had no working watch.

    Progress is anything that shows the loop is not stuck: a list, a watch event, the end of a watch,
    a failed attempt. A watcher that shows none for longer than the stall bound is frozen (or dead).
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._last_progress = clock()
        self._failing_since = None

    def progressed(self):
        with self._lock:
            self._last_progress = self._clock()

    def working(self):
        """A list or a watch event arrived: the watch is back."""
        with self._lock:
            self._last_progress = self._clock()
            self._failing_since = None

    def failed(self):
        """An attempt failed; returns the seconds since the watch last worked (0 on the first failure)."""
        with self._lock:
            now = self._clock()
            self._last_progress = now
            if self._failing_since is None:
                self._failing_since = now
            return now - self._failing_since

    def stalled_for(self):
        """Seconds since the last progress."""
        with self._lock:
            return self._clock() - self._last_progress
