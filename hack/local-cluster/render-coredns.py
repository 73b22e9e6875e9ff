"""Render roles/coredns/templates/coredns.yaml.j2 with the lab's values, to stdout.

The coredns role renders the same template through Ansible; this keeps the cluster bootstrap free of an
Ansible run. Usage: render-coredns.py IMAGE CLUSTER_IP DOMAIN [UPSTREAM...]
"""

import pathlib
import sys

import jinja2

TEMPLATE = pathlib.Path(__file__).resolve().parents[2] / "roles/coredns/templates/coredns.yaml.j2"


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    image, cluster_ip, domain, *upstreams = argv[1:]
    # Same block handling as Ansible templates, so both render byte-identical manifests.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True)
    template = env.from_string(TEMPLATE.read_text())
    sys.stdout.write(
        template.render(
            coredns_image=image,
            coredns_cluster_ip=cluster_ip,
            coredns_cluster_domain=domain,
            coredns_upstream_servers=upstreams,
            coredns_replicas=1,
        )
    )


if __name__ == "__main__":
    main(sys.argv)
