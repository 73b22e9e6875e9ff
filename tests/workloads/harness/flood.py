"""Many connections that hold a server's room: idle ones send nothing, slow ones a header byte now and then.

Each connection comes from a loopback address of its own choosing (127.0.0.0/8 is all loopback), so
one test can play many clients. One thread reads every answer and drips the slow bytes.
"""

import selectors
import socket
import threading
import time
from dataclasses import dataclass

SLOW_START = b"GET /v1/registration/usersvc HTTP/1.1\r\nHost: usersvc-sds\r\nX-Slow: "


@dataclass
class Connection:
    sock: socket.socket
    source: str
    slow: bool
    opened: float
    answer: bytes = b""
    answered_after: float | None = None  # seconds from connect to the first byte of an answer
    closed_after: float | None = None  # seconds from connect to the server closing it

    @property
    def status(self):
        """The HTTP status of the answer, or None while there is none."""
        if not self.answer.startswith(b"HTTP/1."):
            return None
        return int(self.answer.split(b" ", 2)[1])


class Flood:
    def __init__(self, port, sources, per_source, slow, drip_seconds=0.5):
        self.connections = []
        self._drip_seconds = drip_seconds
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        for source in sources:
            for _number in range(per_source):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind((source, 0))
                sock.settimeout(5)
                sock.connect(("127.0.0.1", port))
                connection = Connection(sock, source, slow, time.monotonic())
                if slow:
                    sock.sendall(SLOW_START)
                sock.setblocking(False)
                self.connections.append(connection)
                self._selector.register(sock, selectors.EVENT_READ, connection)
        self._thread = threading.Thread(target=self._run, name="flood", daemon=True)
        self._thread.start()

    def _run(self):
        next_drip = time.monotonic() + self._drip_seconds
        while not self._stop.is_set():
            for key, _mask in self._selector.select(timeout=0.05):
                self._read(key.data)
            if time.monotonic() >= next_drip:
                next_drip += self._drip_seconds
                self._drip()

    def _read(self, connection):
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        now = time.monotonic() - connection.opened
        with self._lock:
            if data and connection.answered_after is None:
                connection.answered_after = now
            connection.answer += data
            if not data:
                connection.closed_after = now
                self._selector.unregister(connection.sock)

    def _drip(self):
        for connection in self.connections:
            if connection.slow and connection.closed_after is None and connection.answered_after is None:
                try:
                    connection.sock.send(b"a")
                except OSError:
                    pass

    def snapshot(self):
        """(answered, held): connections that got an answer, and those still open without one."""
        with self._lock:
            answered = [c for c in self.connections if c.answered_after is not None]
            held = [c for c in self.connections if c.answered_after is None and c.closed_after is None]
            return answered, held

    def close(self):
        self._stop.set()
        self._thread.join(5)
        for connection in self.connections:
            connection.sock.close()
        self._selector.close()
