"""A short-lived pod of the lab's probe image (curl, dig) in the mesh's namespace, for checks from a pod."""

import json
import shutil
import subprocess
import uuid

from toolkit.kube import is_ready
from toolkit.lab import CONTAINERD_SOCKET, IMAGE_REPOSITORY

from .waiting import poll

REPOSITORY = f"{IMAGE_REPOSITORY}/probe"
# The pod removes itself this long after start even if the suite is killed before cleaning up.
LIFETIME_S = 300


def local_probe_images(containerd_socket=CONTAINERD_SOCKET):
    """Probe image references the kubelet's containerd holds (tags made by the node_images role)."""
    if shutil.which("ctr") is None:
        return []
    listing = subprocess.run(["ctr", "--address", containerd_socket, "--namespace", "k8s.io", "images", "ls",
                              "--quiet"], capture_output=True, text=True, timeout=30, check=False)
    refs = [line.removeprefix("docker.io/") for line in listing.stdout.split()]
    return sorted(ref for ref in refs if ref.startswith(f"{REPOSITORY}:"))


def newest(refs):
    """The reference Docker built last, when Docker knows them; else the last in order."""
    if not refs or shutil.which("docker") is None:
        return refs[-1] if refs else None
    inspected = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Created}}", *refs],
                               capture_output=True, text=True, timeout=30, check=False)
    created = [json.loads(line) for line in inspected.stdout.splitlines()]
    if inspected.returncode != 0 or len(created) != len(refs):
        return refs[-1]
    return max(zip(created, refs))[1]


def manifest(name, image):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "envoy-mesh-lab",
                                              "app.kubernetes.io/component": "e2e-probe"}},
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": LIFETIME_S,
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": image,
                # Never pull: the image only exists on the node.
                "imagePullPolicy": "Never",
                "command": ["sleep", str(LIFETIME_S)],
                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }


class ProbePod:
    def __init__(self, cluster, image):
        self.cluster = cluster
        self.name = f"e2e-probe-{uuid.uuid4().hex[:8]}"
        created = cluster.kubectl("create", "--filename", "-", stdin=json.dumps(manifest(self.name, image)))
        if created.returncode != 0:
            raise RuntimeError(f"cannot create probe pod: {created.stderr.strip()}")
        try:
            poll(self._ready, 60, interval=0.5, what=f"probe pod {self.name} ({image})",
                 describe=lambda: cluster.describe("app.kubernetes.io/component=e2e-probe"))
        except Exception:
            self.delete()
            raise

    def _ready(self):
        return any(is_ready(pod) and pod.metadata.name == self.name
                   for pod in self.cluster.pods("app.kubernetes.io/component=e2e-probe"))

    def curl(self, url, timeout=3):
        """(curl exit status, HTTP status or None): exit 7 means the connection was refused."""
        result = self.cluster.exec(self.name, "probe", ["curl", "--silent", "--max-time", str(timeout),
                                                        "--output", "/dev/null", "--write-out", "%{http_code}", url],
                                   timeout=timeout + 30)
        code = result.stdout.strip()
        return result.returncode, (int(code) if code.isdigit() and code != "000" else None)

    def delete(self):
        self.cluster.kubectl("delete", "pod", self.name, "--grace-period=0", "--ignore-not-found", "--wait=true",
                             "--timeout=60s", timeout=90)
