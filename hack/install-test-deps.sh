#!/usr/bin/env bash
# Debian packages that `make test` needs beyond the lab cluster's own (hack/local-cluster/install-deps.sh):
# the shell linter (without it ansible-test sanity skips its shell check), PostgreSQL for the workloads
# tests, Vagrant (docker provider) for the three-node lab and the CentOS 7 controller check, Maven for the
# CPython 3.6 download of the Python 3.6 check, GNU time and bc for the benchmarks. hack/ci/fresh-machine.sh
# fails when a program that a command runs is missing after this script and install-deps.sh.
set -euo pipefail

packages=(shellcheck postgresql vagrant maven time bc)
# shellcheck source=hack/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# The lab cluster's log directory (hack/local-cluster/versions.sh), where its own apt.log goes too.
log_dir=/var/log/envoy-mesh-lab
mkdir -p "$log_dir"
apt_install_missing "$log_dir/apt.log" "${packages[@]}"
