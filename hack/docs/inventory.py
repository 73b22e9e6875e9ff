"""Writes a Sphinx inventory (objects.inv, version 2) of the Ansible docsite pages listed in a YAML file.

    inventory.py LABELS_YAML OUTPUT

Sphinx's intersphinx resolves the generated pages' links to ansible-core and other collections
through it, as it would through the docsite's own inventory.
"""

import sys
import zlib

import yaml


def entries(listing):
    for label, page in sorted(listing.get("labels", {}).items()):
        yield f"{label} std:label -1 {page} -"
    for name in sorted(listing.get("envvars", [])):
        yield f"{name} std:envvar 1 reference_appendices/config.html#envvar-{name} -"


def main(source, output):
    with open(source, encoding="utf-8") as stream:
        listing = yaml.safe_load(stream)
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n" \
             "# The remainder of this file is compressed using zlib.\n"
    body = "".join(line + "\n" for line in entries(listing))
    with open(output, "wb") as stream:
        stream.write(header.encode("utf-8") + zlib.compress(body.encode("utf-8")))
    print(listing["base"])


if __name__ == "__main__":
    main(*sys.argv[1:])
