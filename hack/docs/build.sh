#!/usr/bin/env bash
# Builds the collection's HTML docs site into build/docsite/build/html with antsibull-docs and Sphinx:
# the module, the inventory plugin, the roles and the guides of docs/docsite/ (extra-docs.yml).
# Any warning fails the build: antsibull-docs' lint of the collection docs, then Sphinx with -W.
#
#   hack/docs/build.sh            (make docs: needs .venv/docsite, made from requirements-docsite.txt)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$repo/.venv/docsite
dest=$repo/build/docsite
[[ -x $venv/bin/antsibull-docs ]] || { echo "$venv/bin/antsibull-docs is missing: run make docs" >&2; exit 1; }

started=$SECONDS
rm -rf "$dest"
mkdir -p "$dest"
chmod 700 "$dest"

# A collections path of the checkout as envoy_mesh.lab and the collections its docs may name
# (kubernetes.core, ansible.utils: the releases of the `ansible` package in .venv), and nothing else:
# the lint loads the docs of every collection it finds, some 4 minutes for the whole `ansible` package.
bundled=$("$repo/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections
# Outside the checkout, so that no tool walking the checkout follows the link back into it.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
collections=$scratch/ansible_collections
mkdir -p "$collections/envoy_mesh" "$collections/kubernetes" "$collections/ansible"
ln -s "$repo" "$collections/envoy_mesh/lab"
for dependency in kubernetes/core ansible/utils; do
  [[ -d $bundled/$dependency ]] || { echo "$bundled/$dependency is missing: run make venv" >&2; exit 1; }
  ln -s "$bundled/$dependency" "$collections/$dependency"
done
export ANSIBLE_COLLECTIONS_PATH=$scratch ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export PATH=$venv/bin:$PATH
unset ANSIBLE_CONFIG

echo "Linting the collection's docs (antsibull-docs lint-collection-docs)"
(cd "$repo" && "$venv/bin/antsibull-docs" lint-collection-docs --plugin-docs --validate-collection-refs all \
  --disallow-unknown-collection-refs --check-extra-docs-refs .)

"$venv/bin/antsibull-docs" sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$dest" \
  --project envoy_mesh.lab --title "envoy_mesh.lab" --html-short-title "envoy_mesh.lab" \
  --copyright "envoy_mesh.lab maintainers" envoy_mesh.lab >/dev/null
base=$("$venv/bin/python" "$repo/hack/docs/inventory.py" "$repo/hack/docs/ansible-docsite-labels.yml" \
  "$dest/ansible_devel.inv")
# Links to the Ansible docsite resolve through the local inventory; nothing is downloaded. The theme's
# default top bar links to Ansible's blog and forum, which are not this collection's: none.
cat >>"$dest/conf.py" <<EOF

intersphinx_mapping = {"ansible_devel": ("$base", "../ansible_devel.inv")}
html_theme_options = {"topbar_links": {}, "documentation_home_url": "index.html"}
EOF

# What the build.sh that sphinx-init writes does, plus one fix: antsibull-docs titles the index page
# with the name in title case (Envoy_Mesh.Lab); it is envoy_mesh.lab everywhere else.
cd "$dest"
mkdir -p rst
chmod og-w rst  # antsibull-docs wants the directory writable by itself only
"$venv/bin/antsibull-docs" --config-file antsibull-docs.cfg collection --cleanup everything --fail-on-error \
  --use-current --squash-hierarchy --dest-dir rst envoy_mesh.lab
sed -i 's/^Envoy_Mesh\.Lab$/envoy_mesh.lab/' rst/index.rst
grep -qx 'envoy_mesh.lab' rst/index.rst || { echo "rst/index.rst: the title to fix was not found" >&2; exit 1; }
"$venv/bin/sphinx-build" -M html rst build -c . -W --keep-going |
  grep -v -e "^writing output" -e "^reading sources" -e "^Writing evaluated template"
echo "Docs site: $dest/build/html/index.html (built in $((SECONDS - started)) s)"
