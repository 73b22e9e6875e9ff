#!/usr/bin/env bash
# Shared by the scripts that need Debian packages: install only what dpkg does not list as installed.
#
#   . hack/lib/apt.sh
#   apt_install_missing LOG_FILE PACKAGE...
#
# Prints what it installs; apt-get's own output goes to LOG_FILE. Returns non-zero, with a message
# that names the log, when apt-get fails or is absent.

apt_install_missing() {
  local log=$1
  shift
  local installed pkg
  local missing=()
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '/install ok installed/ {print $1}' || true)
  for pkg in "$@"; do
    grep -qx "$pkg" <<<"$installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if ! command -v apt-get >/dev/null; then
    echo "missing Debian packages ${missing[*]}, and no apt-get to install them" >&2
    return 1
  fi
  echo "installing ${missing[*]} (apt-get output in $log)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >>"$log" 2>&1 || {
    echo "apt-get update failed, see $log" >&2
    return 1
  }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || {
    echo "apt-get install ${missing[*]} failed, see $log" >&2
    return 1
  }
}
