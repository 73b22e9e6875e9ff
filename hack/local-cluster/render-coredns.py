"""Render roles/coredns/templates/coredns.yaml.j2 with the lab's values, to stdout.

The coredns role renders the same template through Ansible; this keeps the cluster bootstrap free of an
Ansible run. Usage: render-coredns.py [--replicas N] IMAGE CLUSTER_IP DOMAIN [UPSTREAM...]
(one replica by default; the three-node lab runs two, on different nodes).
"""

import argparse
import pathlib
import sys

import jinja2

TEMPLATE = pathlib.Path(__file__).resolve().parents[2] / "roles/coredns/templates/coredns.yaml.j2"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1, help="CoreDNS pods (default: 1)")
    parser.add_argument("image")
    parser.add_argument("cluster_ip")
    parser.add_argument("domain")
    parser.add_argument("upstreams", nargs="*")
    args = parser.parse_args(argv[1:])
    if args.replicas < 1:
        parser.error(f"--replicas must be 1 or more, not {args.replicas}")
    # Same block handling as Ansible templates, so both render byte-identical manifests.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    template = env.from_string(TEMPLATE.read_text())
    sys.stdout.write(
        template.render(
            coredns_image=args.image,
            coredns_cluster_ip=args.cluster_ip,
            coredns_cluster_domain=args.domain,
            coredns_upstream_servers=args.upstreams,
            coredns_replicas=args.replicas,
        )
    )


if __name__ == "__main__":
    main(sys.argv)
