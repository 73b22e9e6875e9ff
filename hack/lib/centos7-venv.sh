# shellcheck shell=bash
# Sourced by the scripts that need ansible-core 2.16, the controller release for the tutorial's
# CentOS 7 nodes: one venv per content of requirements-centos7.txt, kept in the cache.
#
#   venv=$(centos7_venv REPO CACHE PYTHON)
#
# Prints the venv's path, installing requirements-centos7.txt into it first when it is missing.
centos7_venv() {
  local repo=$1 cache=$2 python=$3 venv
  venv=$cache/venv-centos7-$(sha256sum "$repo/requirements-centos7.txt" | cut -c1-12)
  if [[ ! -e $venv/.installed ]]; then
    echo "Installing requirements-centos7.txt into $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/requirements-centos7.txt" >&2
    touch "$venv/.installed"
  fi
  echo "$venv"
}
