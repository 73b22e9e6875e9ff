"""The mesh's namespace as the Kubernetes API shows it, and the kubectl calls the checks need."""

import datetime
import json
import shutil
import subprocess

KUBECTL = shutil.which("kubectl") or "/usr/local/bin/kubectl"
USERSVC = "service=usersvc"


def is_ready(pod):
    """Ready, has an IP and is not on its way out: what the discovery service should serve."""
    if pod.metadata.deletion_timestamp is not None or not pod.status.pod_ip:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


class Cluster:
    def __init__(self, target):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel  # heavy, only here

        self.target = target
        self.namespace = target.namespace
        self.api_client = config.new_client_from_config(config_file=target.kubeconfig)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)

    def close(self):
        self.api_client.close()

    # ------------------------------------------------------------ reading

    def pods(self, selector):
        return self.core.list_namespaced_pod(self.namespace, label_selector=selector, _request_timeout=10).items

    def ready_pods(self, selector):
        return [pod for pod in self.pods(selector) if is_ready(pod)]

    def ready_ips(self, selector=USERSVC):
        return sorted(pod.status.pod_ip for pod in self.ready_pods(selector))

    def deployment(self, name):
        return self.apps.read_namespaced_deployment(name, self.namespace, _request_timeout=10)

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

    def describe(self, selector=USERSVC):
        """One line per pod, like `kubectl get pod -o wide`, for failure messages."""
        return "; ".join(
            f"{pod.metadata.name} {pod.status.phase} ip={pod.status.pod_ip} ready={is_ready(pod)}"
            f"{' terminating' if pod.metadata.deletion_timestamp else ''}"
            for pod in self.pods(selector)) or "no pods"

    # ------------------------------------------------------------ changing

    def delete_pod(self, name):
        self.core.delete_namespaced_pod(name, self.namespace, _request_timeout=10)

    def scale(self, name, replicas):
        self.apps.patch_namespaced_deployment_scale(name, self.namespace, {"spec": {"replicas": replicas}},
                                                    _request_timeout=10)

    def restart(self, name):
        """Roll every pod of a Deployment by changing its template, as `kubectl rollout restart` does."""
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
        self.apps.patch_namespaced_deployment(name, self.namespace, body, _request_timeout=10)

    # ------------------------------------------------------------ kubectl

    def kubectl(self, *args, stdin=None, timeout=60, namespaced=True):
        command = [KUBECTL, "--kubeconfig", self.target.kubeconfig]
        if namespaced:
            command += ["--namespace", self.namespace]
        return subprocess.run([*command, *map(str, args)], input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def kubectl_json(self, *args):
        result = self.kubectl(*args, "--output", "json")
        if result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return json.loads(result.stdout)

    def exec(self, pod, container, argv, stdin=None, timeout=60):
        """Run ``argv`` in a container; returns the CompletedProcess (never raises on exit status)."""
        args = ["exec", *(["--stdin"] if stdin is not None else []), pod, "--container", container, "--", *argv]
        return self.kubectl(*args, stdin=stdin, timeout=timeout)
