"""Child processes that are always cleaned up, and loopback port helpers."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port(address="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def free_port_on_all(addresses):
    """A port number that is free on every address, for backends that share one port like pods do."""
    for _attempt in range(50):
        port = free_port(addresses[0])
        try:
            for address in addresses[1:]:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no common free port on {addresses}")


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Poll ``predicate`` until it returns a truthy value; raise with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except Exception as exc:  # pylint: disable=broad-except  # retried until the deadline
            last_error = exc
            result = None
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}; last error: {last_error!r}")


class ManagedProcess:
    """A child in its own session, output captured to a log file, killed with its whole group."""

    def __init__(self, name, argv, log_dir, env=None, cwd=None):
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with  # closed in stop()
        self.popen = subprocess.Popen(  # pylint: disable=consider-using-with  # lifetime managed by stop()
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def log_tail(self, lines=40):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def ensure_alive(self):
        if not self.alive():
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.alive():
            self._signal_group(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout)
        else:
            # The leader is gone but helpers it forked may still hold ports.
            self._signal_group(signal.SIGKILL)
        self._log.close()

    def _signal_group(self, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)


class ProcessGroup:
    """Owns every process a test starts; stop_all() runs in reverse start order."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._processes = []

    def start(self, name, argv, env=None, cwd=None):
        process = ManagedProcess(name, argv, self.log_dir, env=env, cwd=cwd)
        self._processes.append(process)
        return process

    def stop_all(self):
        errors = []
        for process in reversed(self._processes):
            try:
                process.stop()
            except Exception as exc:  # pylint: disable=broad-except  # keep stopping the rest
                errors.append(f"{process.name}: {exc!r}")
        self._processes.clear()
        if errors:
            raise RuntimeError("; ".join(errors))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop_all()
