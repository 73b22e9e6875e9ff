#!/usr/bin/env bash
# Runs inside the fresh Debian 12 container of fresh-machine.sh, in the copy of the repository.
#   setup           the README's set-up steps: the lab's and the tests' packages, the venv
#   check [--role]  the roles' own node-side installs, then every program the code runs must be
#                   found; --role first runs the coredns role's dig test (dig-role-test.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

step() { printf '\n=== %s\n' "$*"; }

case ${1:-} in
  setup)
    step "hack/local-cluster/install-deps.sh"
    hack/local-cluster/install-deps.sh
    step "make test-deps"
    make test-deps
    step "make venv"
    make venv
    ;;
  check)
    if [[ ${2:-} == --role ]]; then
      step "the coredns role on a node without dig"
      hack/ci/dig-role-test.sh
    fi
    step "what the roles install for themselves"
    playbook=$(mktemp --suffix=.yml)
    .venv/bin/python hack/ci/node_installs.py >"$playbook"
    .venv/bin/ansible-playbook -i inventory/local "$playbook"
    step "every program the code runs"
    .venv/bin/python hack/ci/required_programs.py
    ;;
  *)
    echo "usage: $0 setup | check [--role]" >&2
    exit 2
    ;;
esac
