"""Bounded polling: every wait in the suite has a deadline and says what it waited for."""

import time


class WaitTimeout(AssertionError):
    pass


def poll(predicate, timeout, interval=0.1, what="condition", describe=None):
    """Call ``predicate`` until it returns a truthy value; return the seconds waited.

    On timeout, raise WaitTimeout naming ``what`` and, when given, ``describe()`` of the last state.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() >= deadline:
            state = f": {describe()}" if describe else ""
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}{state}")
        time.sleep(interval)
