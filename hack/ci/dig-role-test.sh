#!/usr/bin/env bash
# The coredns role's dig install on a node that lacks dig, run on the fresh machine of
# fresh-machine.sh (the local lab has dig, which would hide this path):
#   - with coredns_dig_install=false: fails, naming the node and the package;
#   - in check mode: reports the install as a change, fails nothing, installs nothing;
#   - then installs it; a second run changes nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
playbook=$(mktemp --suffix=.yml)
out=$(mktemp)
trap 'rm -f "$playbook" "$out"' EXIT
.venv/bin/python hack/ci/node_installs.py >"$playbook"

fail() { echo "dig role test: $*" >&2; cat "$out" >&2; exit 1; }
run() { .venv/bin/ansible-playbook -i inventory/local "$playbook" "$@" >"$out" 2>&1; }
recap() { sed -n 's/^localhost *: *//p' "$out"; }

! command -v dig >/dev/null || fail "dig is already installed: this test needs a node without it"

run -e coredns_dig_install=false && fail "a missing dig with coredns_dig_install=false did not fail"
if ! grep -q "localhost has no dig" "$out" || ! grep -q "package dnsutils on localhost" "$out"; then
  fail "the failure does not name the node and the package"
fi
echo "dig role test: coredns_dig_install=false fails naming the node and dnsutils"

run --check || fail "check mode failed"
[[ $(recap) =~ changed=[1-9] ]] || fail "check mode did not report the install as a change: $(recap)"
! command -v dig >/dev/null || fail "check mode installed dig"
echo "dig role test: check mode reports the install ($(recap | grep -o 'changed=[0-9]*')) and installs nothing"

run || fail "the install failed"
command -v dig >/dev/null || fail "dig is still missing after the install"
echo "dig role test: installed dnsutils ($(recap | grep -o 'changed=[0-9]*'))"

run || fail "the second run failed"
[[ $(recap) =~ changed=0 ]] || fail "the second run changed something: $(recap)"
echo "dig role test: second run changed=0"
