"""How many connections (a thread each) and held long polls clients may have: pure logic.

A client is a source address. Each may hold a few connections and long polls, so no client can take
the room of another, such as the edge's own long poll. The total is bounded too; its last
``per_client`` connections are kept for clients that hold none yet, so a new edge pod still gets in
while other clients fill the rest.
"""

import collections
import threading
from dataclasses import dataclass

DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 16
DEFAULT_MAX_LONG_POLLS_PER_CLIENT = 4


@dataclass(frozen=True)
class Bounds:
    connections: int = DEFAULT_MAX_CONNECTIONS
    connections_per_client: int = DEFAULT_MAX_CONNECTIONS_PER_CLIENT
    long_polls_per_client: int = DEFAULT_MAX_LONG_POLLS_PER_CLIENT

    def problems(self):
        """What is wrong with these bounds, as messages naming the option; empty when they are usable."""
        problems = [f"{name} must be at least 1, got {value}" for name, value in (
            ("max connections", self.connections), ("max connections per client", self.connections_per_client),
            ("max long polls per client", self.long_polls_per_client)) if value < 1]
        if not problems and self.connections < 2 * self.connections_per_client:
            problems.append(f"max connections ({self.connections}) must be at least twice the max connections per "
                            f"client ({self.connections_per_client}): that many are kept for new clients")
        if not problems and self.long_polls_per_client > self.connections_per_client:
            problems.append(f"max long polls per client ({self.long_polls_per_client}) cannot exceed the max "
                            f"connections per client ({self.connections_per_client}): each long poll holds one")
        return problems


class Limits:
    """Counts what each client holds; admit()/leave() around a connection, hold()/release() around a long poll."""

    def __init__(self, bounds=Bounds()):
        self.bounds = bounds
        self._lock = threading.Lock()
        self._connections = collections.Counter()
        self._long_polls = collections.Counter()
        self._total = 0

    def admit(self, client):
        """Count a new connection of ``client``; None when admitted, else why not."""
        with self._lock:
            held = self._connections[client]
            if held >= self.bounds.connections_per_client:
                return f"{client} already has {held} connections (the bound per client)"
            # Clients that hold connections already leave the last per-client share for new ones.
            room = self.bounds.connections - (self.bounds.connections_per_client if held else 0)
            if self._total >= room:
                return f"{self._total} connections open (the bound is {self.bounds.connections})"
            self._connections[client] += 1
            self._total += 1
            return None

    def leave(self, client):
        with self._lock:
            self._connections[client] -= 1
            self._total -= 1
            if self._connections[client] <= 0:
                del self._connections[client]

    def hold(self, client):
        """Count a held long poll of ``client``; False when it already holds its bound."""
        with self._lock:
            if self._long_polls[client] >= self.bounds.long_polls_per_client:
                return False
            self._long_polls[client] += 1
            return True

    def release(self, client):
        with self._lock:
            self._long_polls[client] -= 1
            if self._long_polls[client] <= 0:
                del self._long_polls[client]

    def counts(self):
        """(open connections, held long polls) in total."""
        with self._lock:
            return self._total, sum(self._long_polls.values())
