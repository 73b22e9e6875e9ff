"""Run the built workload images with the Docker CLI; only host-network loopback or private namespaces."""

import json
import shutil
import subprocess
import uuid

from toolkit.lab import IMAGE_REPOSITORY


def docker(*args, check=True, timeout=120):
    return subprocess.run(["docker", *map(str, args)], capture_output=True, text=True, check=check, timeout=timeout)


def available():
    if shutil.which("docker") is None:
        return False
    return docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=20).returncode == 0


def newest_image(name):
    """The most recently built <IMAGE_REPOSITORY>/<name> image reference, or None."""
    listing = docker("image", "ls", "--format", "{{json .}}", f"{IMAGE_REPOSITORY}/{name}", check=False)
    rows = [json.loads(line) for line in listing.stdout.splitlines() if line.strip()]
    rows = [row for row in rows if row.get("Tag") not in (None, "<none>")]
    if not rows:
        return None
    inspected = json.loads(docker("image", "inspect", *[f"{r['Repository']}:{r['Tag']}" for r in rows]).stdout)
    newest = max(zip(rows, inspected, strict=True), key=lambda pair: pair[1]["Created"])[0]
    return f"{newest['Repository']}:{newest['Tag']}"


class Containers:
    """Containers started by one test; all removed at the end."""

    def __init__(self):
        self._names = []

    def run(self, image, *args, options=()):
        name = f"workload-test-{uuid.uuid4().hex[:10]}"
        docker("run", "--detach", "--name", name, *options, image, *args)
        self._names.append(name)
        return name

    @staticmethod
    def logs(name):
        result = docker("logs", name, check=False)
        return result.stdout + result.stderr

    @staticmethod
    def process_uids(name):
        """Effective uids of every process in the container."""
        # docker top insists on a PID column; the uid is the second one.
        rows = docker("top", name, "-o", "pid,uid").stdout.splitlines()[1:]
        return {int(row.split()[1]) for row in rows if row.strip()}

    def remove(self, name):
        docker("rm", "--force", name, check=False)
        self._names.remove(name)

    def remove_all(self):
        for name in list(self._names):
            self.remove(name)
