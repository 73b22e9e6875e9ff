"""Entry point: ``python -m usersvc_sds`` (Kubernetes) or with ``--endpoints-file`` (no cluster)."""

import argparse
import logging
import os
import signal
import sys

from .file_source import FileEndpointSource
from .kubernetes_api import SERVICE_ACCOUNT_DIR, KubernetesApi, read_namespace
from .kubernetes_source import WATCH_SECONDS, KubernetesEndpointSource
from .limits import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_MAX_LONG_POLLS_PER_CLIENT
from .limits import Bounds, Limits
from .server import SERVICE_NAME, DiscoveryService, make_server
from .store import EndpointStore

LOG = logging.getLogger("usersvc_sds")


def positive_number(kind, variable=None):
    """An argparse type; its name shows in the error, with the environment variable the value may come from."""
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise ValueError(text)
        return value

    parse.__name__ = f"positive {'integer' if kind is int else 'number'}" + (f" (also {variable})" if variable else "")
    return parse


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="usersvc_sds", description=__doc__)
    parser.add_argument("--bind", default=os.environ.get("SDS_BIND", "0.0.0.0:5000"), help="address:port to listen on")
    parser.add_argument("--namespace", default=os.environ.get("SDS_NAMESPACE"),
                        help="namespace of the watched Services (default: the service account's)")
    parser.add_argument("--port-name", default=os.environ.get("SDS_PORT_NAME", "http"),
                        help="EndpointSlice port name to serve")
    parser.add_argument("--service-account-dir", default=SERVICE_ACCOUNT_DIR,
                        help="directory with the ServiceAccount token, ca.crt and namespace")
    parser.add_argument("--endpoints-file", help="serve endpoints from this JSON file instead of Kubernetes")
    parser.add_argument("--hold", type=float, default=20.0,
                        help="seconds a long-poll is held; below Envoy's request_timeout")
    parser.add_argument("--services", default=os.environ.get("SDS_SERVICES", "usersvc"),
                        help="comma-separated Service names to serve; others get 404 (default: usersvc)")
    parser.add_argument("--max-connections", type=positive_number(int, "SDS_MAX_CONNECTIONS"),
                        default=os.environ.get("SDS_MAX_CONNECTIONS", str(DEFAULT_MAX_CONNECTIONS)),
                        help="connections open at once, a thread each (SDS_MAX_CONNECTIONS); past it: 503")
    parser.add_argument("--max-connections-per-client", type=positive_number(int, "SDS_MAX_CONNECTIONS_PER_CLIENT"),
                        default=os.environ.get("SDS_MAX_CONNECTIONS_PER_CLIENT",
                                               str(DEFAULT_MAX_CONNECTIONS_PER_CLIENT)),
                        help="connections one client address may hold (SDS_MAX_CONNECTIONS_PER_CLIENT)")
    parser.add_argument("--max-long-polls-per-client", type=positive_number(int, "SDS_MAX_LONG_POLLS_PER_CLIENT"),
                        default=os.environ.get("SDS_MAX_LONG_POLLS_PER_CLIENT", str(DEFAULT_MAX_LONG_POLLS_PER_CLIENT)),
                        help="long polls one client address may have held at once (SDS_MAX_LONG_POLLS_PER_CLIENT)")
    parser.add_argument("--watch-seconds", type=positive_number(int), default=WATCH_SECONDS,
                        help="length of one EndpointSlice watch; a watch silent for 1.5 times this is dead, a "
                             "watcher without progress for twice this is stalled (/livez fails)")
    args = parser.parse_args(argv)
    args.bounds = Bounds(args.max_connections, args.max_connections_per_client, args.max_long_polls_per_client)
    for problem in args.bounds.problems():
        parser.error(f"{problem} (--max-connections/SDS_MAX_CONNECTIONS, --max-connections-per-client/"
                     "SDS_MAX_CONNECTIONS_PER_CLIENT, --max-long-polls-per-client/SDS_MAX_LONG_POLLS_PER_CLIENT)")
    args.services = [name.strip() for name in args.services.split(",") if name.strip()]
    bad = [name for name in args.services if not SERVICE_NAME.match(name)]
    if bad or not args.services:
        parser.error(f"--services/SDS_SERVICES must list Kubernetes Service names separated by commas, "
                     f"got {bad[0] if bad else 'none'!r}")
    return args


def build_source(args, store):
    if args.endpoints_file:
        return FileEndpointSource(store, args.endpoints_file)
    namespace = args.namespace or read_namespace(args.service_account_dir)
    LOG.info("watching EndpointSlices in namespace %s, port %r", namespace, args.port_name)
    api = KubernetesApi.in_cluster(args.service_account_dir)
    return KubernetesEndpointSource(store, api, namespace, args.port_name, watch_seconds=args.watch_seconds)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    host, port = args.bind.rsplit(":", 1)
    store = EndpointStore()
    source = build_source(args, store)
    discovery = DiscoveryService(store, source, services=args.services, hold_seconds=args.hold,
                                 limits=Limits(args.bounds))
    server = make_server(host.strip("[]"), int(port), discovery)
    # SIGTERM from the kubelet: stop accepting and exit promptly; held long-polls are daemon threads.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    LOG.info("listening on %s, serving %s; at most %d connections, %d per client, %d long polls per client",
             args.bind, ", ".join(args.services), args.bounds.connections, args.bounds.connections_per_client,
             args.bounds.long_polls_per_client)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        source.close()


if __name__ == "__main__":
    main()
