#!/usr/bin/env bash
# Run ansible-test on this collection.
#
#   hack/ansible-test.sh sanity [ansible-test sanity options]
#   hack/ansible-test.sh units  [ansible-test units options]
#
# ansible-test only works inside .../ansible_collections/<namespace>/<name>/, so the
# repository is copied into such a tree in a temporary directory first. Results land in
# tests/output/ of the repository. Exits non-zero on any failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$repo/.venv}
python_version=${ANSIBLE_TEST_PYTHON:-3.11}

usage() {
  echo "usage: $0 sanity|units [ansible-test options]" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
  sanity | units) ;;
  *) usage ;;
esac

ansible_test=$venv/bin/ansible-test
[[ -x $ansible_test ]] || {
  echo "$ansible_test not found: run 'make venv' first" >&2
  exit 1
}

# copy_collection DEST: what git would ship of the checkout.
# shellcheck source=hack/lib/copy-collection.sh
. "$repo/hack/lib/copy-collection.sh"

# ansible-test bootstraps pip in each test venv with a script it downloads from a host
# outside the package index. Where that host is out of reach, use the interpreter's
# bundled pip instead, then let pip install the pinned version from the index.
provide_pip_bootstrap() {
  local pip_version script
  pip_version=$("$venv/bin/python" - <<'EOF'
import inspect
import re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1))
EOF
  )
  script=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
  [[ -s $script ]] && return 0
  mkdir -p "$(dirname "$script")"
  cat >"$script" <<'EOF'
"""Bootstrap pip from ensurepip, then install the requested packages (stands in for get-pip.py)."""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
EOF
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ansible-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/ansible_collections/envoy_mesh/lab
copy_collection "$tree"
provide_pip_bootstrap

status=0
case $command in
  sanity)
    (cd "$tree" && "$ansible_test" sanity --local --python "$python_version" "$@") || status=$?
    ;;
  units)
    # --venv: the unit test requirements (pytest-xdist, mock, tests/unit/requirements.txt)
    # go into a venv of ansible-test's own, not into the project venv.
    (cd "$tree" && "$ansible_test" units --venv --python "$python_version" "$@") || status=$?
    ;;
esac

if [[ -d $tree/tests/output ]]; then
  mkdir -p "$repo/tests/output"
  cp -a "$tree/tests/output/." "$repo/tests/output/"
fi
exit "$status"
