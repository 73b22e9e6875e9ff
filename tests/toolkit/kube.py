"""One namespace of the lab's Kubernetes cluster: read and change it through the API, kubectl for the rest.

The official Python client reads and changes objects (``core``, ``apps``, ``discovery``, ``rbac`` are its
API groups, for anything the methods here do not cover); kubectl runs what only it does well: exec into
a container, `auth can-i`, objects from a manifest on stdin, and objects as JSON in the very form
`kubectl get -o json` prints them (get(), items()).
"""

import datetime
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from . import lab

KUBECTL = shutil.which("kubectl") or "/usr/local/bin/kubectl"
TIMEOUT = 10  # seconds per API call


def is_ready(pod):
    """Ready, has an IP and is not on its way out: what the discovery service should serve."""
    if pod.metadata.deletion_timestamp is not None or not pod.status.pod_ip:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


class Cluster:
    """A ``namespace`` (default: the lab's) of the cluster that ``kubeconfig`` names ($KUBECONFIG or the lab's)."""

    def __init__(self, namespace=lab.NAMESPACE, kubeconfig=None):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel  # heavy, only here

        self.namespace = namespace
        self.kubeconfig = kubeconfig or lab.kubeconfig()
        self.api_client = config.new_client_from_config(config_file=self.kubeconfig)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.discovery = client.DiscoveryV1Api(self.api_client)
        self.rbac = client.RbacAuthorizationV1Api(self.api_client)

    @classmethod
    def in_new_namespace(cls, prefix, kubeconfig=None):
        """A Cluster on a namespace of its own, ``<prefix>-<random>``; delete_namespace() removes it again."""
        cluster = cls(f"{prefix}-{uuid.uuid4().hex[:8]}", kubeconfig)
        try:
            cluster.core.create_namespace({"metadata": {"name": cluster.namespace}}, _request_timeout=TIMEOUT)
        except Exception:
            cluster.close()
            raise
        return cluster

    def delete_namespace(self):
        self.core.delete_namespace(self.namespace, _request_timeout=TIMEOUT)

    def close(self):
        self.api_client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------ reading

    def pods(self, selector):
        return self.core.list_namespaced_pod(self.namespace, label_selector=selector, _request_timeout=TIMEOUT).items

    def ready_pods(self, selector):
        return [pod for pod in self.pods(selector) if is_ready(pod)]

    def ready_ips(self, selector=lab.USERSVC):
        return sorted(pod.status.pod_ip for pod in self.ready_pods(selector))

    def deployment(self, name):
        return self.apps.read_namespaced_deployment(name, self.namespace, _request_timeout=TIMEOUT)

    def rolled_out(self, name, replicas=None):
        """Every replica updated, available and Ready, and no extra pod left (the rollout is over)."""
        deployment = self.deployment(name)
        wanted = deployment.spec.replicas if replicas is None else replicas
        status = deployment.status
        return (deployment.spec.replicas == wanted
                and (status.observed_generation or 0) >= deployment.metadata.generation
                and status.updated_replicas == wanted
                and status.ready_replicas == wanted
                and status.available_replicas == wanted
                and (status.replicas or 0) == wanted
                and len(self.ready_pods(f"service={name}")) == wanted)

    def describe(self, selector=lab.USERSVC):
        """One line per pod, like `kubectl get pod -o wide`, for failure messages."""
        return "; ".join(
            f"{pod.metadata.name} {pod.status.phase} ip={pod.status.pod_ip} ready={is_ready(pod)}"
            f"{' terminating' if pod.metadata.deletion_timestamp else ''}"
            for pod in self.pods(selector)) or "no pods"

    def get(self, kind, name):
        """One object of the namespace as `kubectl get <kind> <name> -o json` prints it."""
        return self.kubectl_json("get", kind, name)

    def items(self, kind, selector=None):
        """The objects of a kind in the namespace, as `kubectl get -o json` prints them."""
        return self.kubectl_json("get", kind, *(["--selector", selector] if selector else []))["items"]

    @property
    def server(self):
        """(host, port) of the API server, as text, the way a pod finds them in its environment."""
        parts = urlsplit(self.api_client.configuration.host)
        return parts.hostname, str(parts.port or 443)

    # ------------------------------------------------------------ changing

    def delete_pod(self, name):
        self.core.delete_namespaced_pod(name, self.namespace, _request_timeout=TIMEOUT)

    def scale(self, name, replicas):
        self.apps.patch_namespaced_deployment_scale(name, self.namespace, {"spec": {"replicas": replicas}},
                                                    _request_timeout=TIMEOUT)

    def restart(self, name):
        """Roll every pod of a Deployment by changing its template, as `kubectl rollout restart` does."""
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
        self.apps.patch_namespaced_deployment(name, self.namespace, body, _request_timeout=TIMEOUT)

    def service_account_dir(self, account, directory, token=None):
        """Lay out token, ca.crt and namespace of ``account`` as the kubelet mounts them into a pod.

        ``token`` replaces the real one, e.g. to see how a bad token is handled.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if token is None:
            request = {"spec": {"audiences": [], "expirationSeconds": 3600}}
            token = self.core.create_namespaced_service_account_token(account, self.namespace, request,
                                                                      _request_timeout=TIMEOUT).status.token
        (directory / "token").write_text(token)
        shutil.copyfile(self.api_client.configuration.ssl_ca_cert, directory / "ca.crt")
        (directory / "namespace").write_text(self.namespace)
        return directory

    # ------------------------------------------------------------ kubectl

    def kubectl(self, *args, stdin=None, timeout=60, namespaced=True, check=False):
        """Run kubectl on this cluster (and namespace); the CompletedProcess.

        With ``check``, a non-zero exit status raises RuntimeError with kubectl's message.
        """
        command = [KUBECTL, "--kubeconfig", self.kubeconfig]
        if namespaced:
            command += ["--namespace", self.namespace]
        result = subprocess.run([*command, *map(str, args)], input=stdin, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(map(str, args))} failed: {result.stderr.strip()}")
        return result

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "--output", "json", check=True).stdout)

    def exec(self, pod, container, argv, stdin=None, timeout=60):
        """Run ``argv`` in a container; returns the CompletedProcess (never raises on exit status)."""
        args = ["exec", *(["--stdin"] if stdin is not None else []), pod, "--container", container, "--", *argv]
        return self.kubectl(*args, stdin=stdin, timeout=timeout)
