"""The local lab's kube-apiserver as a fault: killed with SIGKILL, started again by the lab's own script.

The API server is a host process of hack/local-cluster, tracked by a pid file next to the kubeconfig;
only root, on the machine of the lab, can kill and start it.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from toolkit.lab import LAB_KUBECONFIG, REPO

from .waiting import poll

STATE_DIR = Path(LAB_KUBECONFIG).parent
PID_FILE = STATE_DIR / "run" / "kube-apiserver.pid"
UP_SCRIPT = REPO / "hack" / "local-cluster" / "up.sh"
PROGRAM = "kube-apiserver"


def unavailable_reason(kubeconfig):
    """Why this run cannot crash the API server (None when it can)."""
    if os.geteuid() != 0:
        return "killing and starting the lab's kube-apiserver needs root"
    if os.path.realpath(kubeconfig) != os.path.realpath(LAB_KUBECONFIG):
        return f"the mesh under test is not on the local lab's cluster ({kubeconfig}, not {LAB_KUBECONFIG})"
    if not PID_FILE.is_file():
        return f"no {PID_FILE}: the local lab's cluster is not running (make cluster)"
    return None


def _alive(pid):
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class LocalApiServer:
    def pid(self):
        """The pid of the running API server, checked against its program (a pid file can be stale)."""
        pid = int(PID_FILE.read_text().strip())
        program = os.path.basename(os.readlink(f"/proc/{pid}/exe")).removesuffix(" (deleted)")
        if program != PROGRAM:
            raise RuntimeError(f"{PID_FILE} names pid {pid}, which runs {program}, not {PROGRAM}")
        return pid

    def kill(self, timeout=30):
        """SIGKILL, as a crash or the OOM killer would; returns when the process is gone."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        poll(lambda: not _alive(pid), timeout, interval=0.05, what=f"{PROGRAM} (pid {pid}) to die")
        return pid

    def start(self, timeout=600):
        """Start it again with up.sh, which waits for /readyz; the seconds it took."""
        started = time.monotonic()
        result = subprocess.run([str(UP_SCRIPT)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{UP_SCRIPT} failed ({result.returncode}): {result.stderr[-3000:]}")
        return time.monotonic() - started
