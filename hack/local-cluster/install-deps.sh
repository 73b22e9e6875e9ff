#!/usr/bin/env bash
# Installs the Debian packages the lab cluster runs on, only when one is missing, and checks for Go.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

PACKAGES=(
  docker.io containerd runc containernetworking-plugins debootstrap
  iptables conntrack socat iproute2 ethtool util-linux mount procps openssl ca-certificates curl gcc libc6-dev
  python3 python3-jinja2
)

need_root
mkdir -p "${LOG_DIR}"
# Debian's containerd package starts nothing without systemd; the lab runs its own instance.
apt_install_missing "${LOG_DIR}/apt.log" "${PACKAGES[@]}" || die "could not install the lab's Debian packages"

[[ -x ${GO} ]] || die "Go is required at ${GO} to build Kubernetes (https://go.dev/dl/, unpack to /usr/local/go), or set GO=/path/to/go"
[[ -x ${CNI_BIN_DIR}/bridge ]] || die "CNI plugins missing in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)"
[[ -d /sys/fs/cgroup/memory ]] || die "cgroup v1 memory controller not mounted at /sys/fs/cgroup/memory"
