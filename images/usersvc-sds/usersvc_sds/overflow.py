"""Connections past the bounds, answered by one thread instead of one thread each.

Each gets a quick 503, except the kubelet's probes (GET of a probe path): they get their real answer,
so a flood from the node's address cannot make the kubelet restart the pod or take it out of its
Service. A connection waits at most ``wait_seconds`` for its request line; at most ``max_pending``
wait at once, beyond that a connection is closed without an answer.
"""

import json
import logging
import queue
import selectors
import socket
import threading
import time
from dataclasses import dataclass

LOG = logging.getLogger(__name__)
MAX_HEAD_BYTES = 8192
# After the answer, what the client still sends is read and dropped for a moment: closing a socket
# with unread data resets the connection, and the client might lose the answer with it.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 20
LOG_EVERY_SECONDS = 10.0


def http_response(status, reason, payload, extra_headers=()):
    body = json.dumps(payload).encode("utf-8")
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", f"Content-Length: {len(body)}",
            "Connection: close", *extra_headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


def request_target(head):
    """(method, path without query) of the request line in ``head``; None while the line is incomplete."""
    line, found, _rest = head.partition(b"\n")
    if not found:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return ("", "")
    return parts[0], parts[1].split("?", 1)[0]


@dataclass
class Pending:
    deadline: float
    reason: str
    head: bytes = b""
    answered: bool = False
    dropped: int = 0


class OverflowResponder(threading.Thread):
    """``probe(path)`` gives (status, reason phrase, payload) for a probe path, or None for any other path."""

    def __init__(self, probe, max_pending=256, wait_seconds=1.0):
        super().__init__(name="overflow", daemon=True)
        self._probe = probe
        self._max_pending = max_pending
        self._wait_seconds = wait_seconds
        self._incoming = queue.SimpleQueue()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._pending = {}
        self._refused = 0
        self._last_reason = ""
        self._next_log = time.monotonic() + LOG_EVERY_SECONDS

    def refuse(self, sock, reason):
        """Take over ``sock`` from the accepting thread: it is answered and closed here."""
        self._incoming.put((sock, reason))
        try:
            self._wake_writer.send(b"\0")
        except BlockingIOError:
            pass  # a wake-up is pending already

    def run(self):
        while True:
            for key, _mask in self._selector.select(timeout=0.2):
                if key.fileobj is self._wake_reader:
                    self._drain_wakeups()
                else:
                    self._read(key.fileobj)
            self._take_incoming()
            self._expire()
            self._log_summary()

    def _drain_wakeups(self):
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _take_incoming(self):
        while True:
            try:
                sock, reason = self._incoming.get_nowait()
            except queue.Empty:
                return
            self._refused += 1
            self._last_reason = reason
            if len(self._pending) >= self._max_pending:
                _close(sock)
                continue
            sock.setblocking(False)
            self._pending[sock] = Pending(time.monotonic() + self._wait_seconds, reason)
            self._selector.register(sock, selectors.EVENT_READ)

    def _read(self, sock):
        entry = self._pending[sock]
        try:
            data = sock.recv(65536 if entry.answered else MAX_HEAD_BYTES - len(entry.head))
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if entry.answered:
            entry.dropped += len(data)
            if not data or entry.dropped >= LINGER_BYTES:
                self._forget(sock)
            return
        entry.head += data
        if not data or request_target(entry.head) is not None or len(entry.head) >= MAX_HEAD_BYTES:
            self._answer(sock, entry)

    def _expire(self):
        now = time.monotonic()
        for sock, entry in [(s, e) for s, e in self._pending.items() if e.deadline <= now]:
            if entry.answered:
                self._forget(sock)
            else:
                self._answer(sock, entry)

    def _answer(self, sock, entry):
        target = request_target(entry.head)
        answer = self._probe(target[1]) if target and target[0] == "GET" else None
        if answer is None:
            response = http_response(503, "Service Unavailable", {"error": f"too busy: {entry.reason}"},
                                     ("Retry-After: 1",))
        else:
            response = http_response(*answer)
        try:
            sock.send(response)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._forget(sock)  # the client has gone
            return
        entry.answered = True
        entry.deadline = time.monotonic() + LINGER_SECONDS

    def _forget(self, sock):
        del self._pending[sock]
        self._selector.unregister(sock)
        _close(sock)

    def _log_summary(self):
        now = time.monotonic()
        if now < self._next_log:
            return
        self._next_log = now + LOG_EVERY_SECONDS
        if self._refused:
            LOG.warning("answered %d connections past the bounds with 503 (or a probe answer) in the last %.0f s; "
                        "last reason: %s", self._refused, LOG_EVERY_SECONDS, self._last_reason)
            self._refused = 0


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
