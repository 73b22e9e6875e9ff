"""Run the collection's playbooks against the mesh under test, capturing all output and the wall time;
in the foreground, or in the background while a fault's requests flow."""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.lab import REPO, VENV_BIN


@dataclass
class PlaybookRun:
    command: list
    returncode: int
    output: str
    seconds: float

    def tail(self, lines=40):
        return "\n".join(self.output.splitlines()[-lines:])


def run_playbook(target, playbook, *args, timeout=900):
    """``ansible-playbook <playbook>`` from the repository with the target's extra vars; never raises on failure."""
    command = [str(VENV_BIN / "ansible-playbook"), str(playbook), *target.playbook_args(), *args]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), KUBECONFIG=target.kubeconfig,
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    started = time.monotonic()
    try:
        result = subprocess.run(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
        returncode, output = result.returncode, result.stdout
    except subprocess.TimeoutExpired as exc:
        returncode = -1
        output = (exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or "")
        output += f"\n[timed out after {timeout}s]"
    return PlaybookRun(command, returncode, output, time.monotonic() - started)


class BackgroundPlaybook:
    """run_playbook in a thread, for a fault that a playbook causes while requests flow."""

    def __init__(self, target, playbook, *args, timeout=900):
        self.result = None
        self._thread = threading.Thread(target=self._run, args=(target, playbook, *args), kwargs={"timeout": timeout},
                                        name=f"playbook-{Path(playbook).name}", daemon=True)

    def _run(self, target, playbook, *args, timeout):
        self.result = run_playbook(target, playbook, *args, timeout=timeout)

    def start(self):
        self._thread.start()

    def succeeded(self):
        """False while it runs, True once it ended with exit status 0; raises when it failed."""
        if self._thread.is_alive() or self.result is None:
            return False
        if self.result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, self.result.command))} failed "
                                 f"({self.result.returncode}):\n{self.result.tail()}")
        return True

    def wait(self, timeout):
        self._thread.join(timeout)
        return self.succeeded()
