#!/usr/bin/env bash
# Copies Docker images into the lab kubelet's containerd (namespace k8s.io), so pods can run them.
# Usage: import-image.sh IMAGE...   Images already present with the same ID are skipped.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($#)) || die "usage: $0 IMAGE..."
[[ -S ${CONTAINERD_SOCKET} ]] || die "containerd of the lab is not running (${CONTAINERD_SOCKET}); run make cluster"

# Docker names without a registry are docker.io/...; with no tag, :latest.
normalize() {
  local ref=$1
  [[ ${ref##*/} == *:* || ${ref} == *@* ]] || ref="${ref}:latest"
  if [[ ${ref} != */* ]]; then
    ref="docker.io/library/${ref}"
  elif [[ ! ${ref%%/*} =~ [.:] && ${ref%%/*} != localhost ]]; then
    ref="docker.io/${ref}"
  fi
  echo "${ref}"
}

for image in "$@"; do
  id="$(docker image inspect -f '{{.Id}}' "${image}" 2>/dev/null)" || die "image ${image} not found in Docker"
  ref="$(normalize "${image}")"
  # The Docker image ID is kept as a label, so an unchanged image is not copied again.
  label="envoy-mesh-lab/docker-id"
  if lab_ctr images ls -q "name==${ref},labels.\"${label}\"==${id#sha256:}" 2>/dev/null | grep -qx "${ref}"; then
    continue
  fi
  log "importing ${image} into containerd (k8s.io)"
  docker save "${image}" | lab_ctr images import - >/dev/null
  lab_ctr images label "${ref}" "${label}=${id#sha256:}" >/dev/null
done
