#!/usr/bin/env bash
# Installs the Debian packages the lab cluster runs on, only when one is missing, and checks for Go.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
  docker.io containerd runc containernetworking-plugins debootstrap
  iptables conntrack socat iproute2 ethtool util-linux mount procps openssl ca-certificates curl gcc libc6-dev
  python3 python3-jinja2
)

need_root
mkdir -p "${LOG_DIR}"
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null | awk '/install ok installed/ {print $1}' || true)"
missing=()
for pkg in "${PACKAGES[@]}"; do
  grep -qx "${pkg}" <<<"${installed}" || missing+=("${pkg}")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >>"${LOG_DIR}/apt.log" 2>&1 || die "apt-get update failed, see ${LOG_DIR}/apt.log"
  # Debian's containerd package starts nothing without systemd; the lab runs its own instance.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"${LOG_DIR}/apt.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed, see ${LOG_DIR}/apt.log"
fi

[[ -x ${GO} ]] || die "Go is required at ${GO} to build Kubernetes (https://go.dev/dl/, unpack to /usr/local/go), or set GO=/path/to/go"
[[ -x ${CNI_BIN_DIR}/bridge ]] || die "CNI plugins missing in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)"
[[ -d /sys/fs/cgroup/memory ]] || die "cgroup v1 memory controller not mounted at /sys/fs/cgroup/memory"
