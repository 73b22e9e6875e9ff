#!/usr/bin/env bash
# Check the controller of the CentOS 7 path (requirements-centos7.txt: ansible-core 2.16) against
# this checkout: install it in a venv of its own, syntax-check the playbooks, read the cluster
# through kubernetes.core, and run the node-side roles over SSH on the test lab's machines.
#
#   tests/vagrant/check-centos7-controller.sh
#
# The collections come from the project venv's `ansible` package (the releases that
# `ansible-galaxy collection install -r requirements.yml` gives), since Galaxy may be out of reach.
# Machines of the test lab that this script had to start are destroyed again at the end.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lab=$repo/tests/vagrant
cache=${ENVOY_MESH_CACHE:-/var/cache/envoy-mesh-lab}
python=${PYTHON:-python3}
# The local lab cluster writes its kubeconfig where versions.sh says.
# shellcheck source=hack/local-cluster/versions.sh
kubeconfig=${KUBECONFIG:-$(. "$repo/hack/local-cluster/versions.sh" && printf %s "$KUBECONFIG_PATH")}
export VAGRANT_CHECKPOINT_DISABLE=1

# shellcheck source=hack/lib/centos7-venv.sh
. "$repo/hack/lib/centos7-venv.sh"
venv=$(centos7_venv "$repo" "$cache" "$python")
# Not `| head -1`: head exits after one line, and ansible, still writing, dies of the broken pipe.
version=$("$venv/bin/ansible" --version)
echo "${version%%$'\n'*}"

work=$(mktemp -d "${TMPDIR:-/tmp}/centos7-controller.XXXXXX")
started=()
cleanup() {
    if [[ ${#started[@]} -gt 0 ]]; then
        (cd "$lab" && vagrant destroy --force "${started[@]}" >/dev/null) || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

bundled=$("$repo/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections
collections=$work/ansible_collections
mkdir -p "$collections/ansible" "$collections/envoy_mesh"
ln -s "$bundled/kubernetes" "$collections/kubernetes"
for name in posix utils; do ln -s "$bundled/ansible/$name" "$collections/ansible/$name"; done
ln -s "$repo" "$collections/envoy_mesh/lab"
export ANSIBLE_COLLECTIONS_PATH=$work ANSIBLE_CONFIG=$repo/ansible.cfg PATH=$venv/bin:$PATH

echo "Syntax of the playbooks under ansible-core 2.16"
for playbook in site.yml playbooks/*.yml; do
    ANSIBLE_HOST_PATTERN_MISMATCH=ignore ansible-playbook -i localhost, --syntax-check "$repo/$playbook" >/dev/null
    echo "  ok $playbook"
done

if [[ -r $kubeconfig ]]; then
    echo "Reading the cluster through kubernetes.core with the pinned kubernetes client"
    K8S_AUTH_KUBECONFIG=$kubeconfig ansible localhost -m kubernetes.core.k8s_info \
        -a 'kind=Namespace name=kube-system' | grep -q 'Active' ||
        { echo "kubernetes.core.k8s_info did not read namespace kube-system" >&2; exit 1; }
    echo "  ok k8s_info"
else
    echo "  skipped: no kubeconfig at $kubeconfig (start the local lab cluster)"
fi

echo "Node-side roles over SSH on the test lab"
for machine in $(cd "$lab" && vagrant status --machine-readable | awk -F, '$3 == "state" && $4 != "running" {print $2}'); do
    started+=("$machine")
done
if [[ ${#started[@]} -gt 0 ]]; then
    (cd "$lab" && vagrant up "${started[@]}" >/dev/null)
fi
ansible-playbook -i "$lab/lab.vagrant.yml" "$lab/nodes.yml" | tail -n 6
echo "ansible-core 2.16 controller: ok"
