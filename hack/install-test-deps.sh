#!/usr/bin/env bash
# Debian packages that `make test` needs beyond the lab cluster's own (hack/local-cluster/install-deps.sh):
# the shell linter (without it ansible-test sanity skips its shell check), PostgreSQL for the workloads tests
# and Vagrant (docker provider) for the vagrant scenario.
set -euo pipefail

packages=(shellcheck postgresql vagrant)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed' || missing+=("${pkg}")
done
((${#missing[@]})) || exit 0
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
