"""The edge Envoy pods: which one serves a client, read from each pod's own request counter.

The edge Service keeps each client on one edge pod (ClientIP affinity), so a stream from this
machine reaches exactly one of them; a fault meant for "the edge pod in use" must hit that one.
"""

import time

EDGE = "service=edge-envoy"
ADMIN_PORT = 8001  # the edge_envoy role's default; the admin listens on 127.0.0.1 in the pod only
COUNTER = "http.edge.downstream_rq_total"
# HTTP over bash's /dev/tcp: the Envoy image has no curl, and the admin port answers only inside the pod.
READ_COUNTER = ('exec 3<>/dev/tcp/127.0.0.1/{port} && printf "GET /stats?filter={counter} HTTP/1.1\\r\\n'
                'Host: localhost\\r\\nConnection: close\\r\\n\\r\\n" >&3 && timeout 3 cat <&3')


def requests_served(cluster, pod):
    """Requests the edge pod's listener has received since it started."""
    result = cluster.exec(pod, "envoy", ["bash", "-c", READ_COUNTER.format(port=ADMIN_PORT, counter=COUNTER)])
    for line in result.stdout.splitlines():
        name, _separator, value = line.partition(": ")
        if name == COUNTER and value.strip().isdigit():
            return int(value)
    raise RuntimeError(f"no {COUNTER} from edge pod {pod} (exit {result.returncode}): "
                       f"{(result.stdout + result.stderr).strip()[-300:]}")


def serving_edge_pod(cluster, sample_s=1.0):
    """The one Ready edge pod whose counter grows while the client's traffic, and only it, flows.

    Fails when none or several grow: with ClientIP affinity exactly one edge pod serves a client.
    """
    pods = sorted(pod.metadata.name for pod in cluster.ready_pods(EDGE))
    before = {pod: requests_served(cluster, pod) for pod in pods}
    time.sleep(sample_s)
    grown = {pod: requests_served(cluster, pod) - count for pod, count in before.items()}
    serving = [pod for pod, count in grown.items() if count > 0]
    if len(serving) != 1:
        raise AssertionError(f"want exactly one edge pod serving this machine's requests (ClientIP affinity); "
                             f"requests per edge pod in {sample_s:g} s: {grown}")
    return serving[0]
