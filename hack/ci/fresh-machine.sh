#!/usr/bin/env bash
# Guards against a program that `make lab`, `make test` or a role runs but nothing installs.
#
# On a fresh Debian 12 root filesystem (the lab's debootstrap base image) holding exactly the
# prerequisites that README.md states, it runs the README's set-up steps (install scripts and venv,
# not the Kubernetes build), then the roles' own node-side installs, then looks for every program
# the code runs (required_programs.py). It then plants two defects and fails unless both are caught:
# a task that runs a program nothing installs, and the coredns role without its dig install.
#
#   hack/ci/fresh-machine.sh        (root; Docker running and the base image made: `make cluster`)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=hack/local-cluster/versions.sh
. "${repo}/hack/local-cluster/versions.sh"

log() { printf '[fresh-machine] %s\n' "$*" >&2; }
die() { printf '[fresh-machine] ERROR: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "Docker is not answering: start it (make cluster does)"
docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1 ||
  die "the base image ${BASE_IMAGE} is missing: make cluster makes it with debootstrap"
[[ -x ${GO} ]] || die "Go is missing at ${GO}, a prerequisite of README.md"
prerequisites=$(sed -n 's/^apt-get install --yes --no-install-recommends //p' "${repo}/README.md" | head -n1)
[[ -n ${prerequisites} ]] ||
  die "README.md has no line 'apt-get install --yes --no-install-recommends ...' stating the prerequisites"

# Downloads only: apt's .deb files and pip's wheels. What is installed still starts from nothing.
cache="${CACHE_DIR}/fresh-machine"
mkdir -p "${cache}/apt/partial" "${cache}/pip"
run_id="$$"
setup_container="envoy-mesh-fresh-setup-${run_id}"
setup_image="envoy-mesh-ci/fresh-setup:${run_id}"
work="$(mktemp -d /tmp/envoy-mesh-fresh.XXXXXX)"
trap 'docker rm -f "${setup_container}" >/dev/null 2>&1; docker image rm -f "${setup_image}" >/dev/null 2>&1; rm -rf "${work}"' EXIT

mounts=(
  --volume "$(dirname "${GO}")/..:/usr/local/go:ro"
  --volume "${cache}/apt:/var/cache/apt/archives"
  --volume "${cache}/pip:/root/.cache/pip"
)
# PyPI is reached through this machine's TLS proxy, whose CA only the host's bundle holds.
[[ -s /etc/ssl/certs/ca-certificates.crt ]] &&
  mounts+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/host-ca.crt:ro --env PIP_CERT=/etc/host-ca.crt)

# The fresh machine: base image + the README's prerequisites, nothing of ours.
fresh_image="envoy-mesh-ci/fresh-debian12:$(printf '%s\n' "$(docker image inspect -f '{{.Id}}' "${BASE_IMAGE}")" \
  "${prerequisites}" | sha256sum | cut -c1-12)"
if ! docker image inspect "${fresh_image}" >/dev/null 2>&1; then
  log "making ${fresh_image}: ${BASE_IMAGE} + ${prerequisites}"
  printf '%s\n' "FROM ${BASE_IMAGE}" \
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends \\" \
    "    ${prerequisites} && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb" >"${work}/Dockerfile"
  docker build --quiet --tag "${fresh_image}" - <"${work}/Dockerfile" >"${work}/build.log" 2>&1 ||
    { cat "${work}/build.log"; die "building ${fresh_image} failed"; }
fi

# The repository as a fresh clone would have it: its files, without .git, .venv or build output.
(cd "${repo}" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [[ -f ${file} ]] && printf '%s\0' "${file}"; done |
  tar --null -T - -c) >"${work}/source.tar"

started=${SECONDS}
log "set-up steps on the fresh machine (log: ${work}/setup.log while it runs)"
docker run --interactive --name "${setup_container}" "${mounts[@]}" "${fresh_image}" \
  bash -c 'mkdir -p /src && tar -x -C /src && exec /src/hack/ci/fresh-machine-inside.sh setup' \
  <"${work}/source.tar" >"${work}/setup.log" 2>&1 || { cat "${work}/setup.log"; die "the set-up steps failed"; }
log "set-up steps done in $((SECONDS - started)) s"
docker commit "${setup_container}" "${setup_image}" >/dev/null
docker rm "${setup_container}" >/dev/null

# check_variant NAME [PLANT]: the check on the set-up machine, on the repository with PLANT planted.
check_variant() {
  local name=$1 plant=${2:-} script="cd /src && "
  [[ -n ${plant} ]] && script+=".venv/bin/python hack/ci/plant.py ${plant} . && "
  script+="exec hack/ci/fresh-machine-inside.sh check"
  [[ -z ${plant} ]] && script+=" --role"
  docker run --rm "${mounts[@]}" "${setup_image}" bash -c "${script}" >"${work}/${name}.log" 2>&1
}

status=0
if check_variant repository; then
  cat "${work}/repository.log"
  log "PASS: every program the code runs is installed by the set-up steps or by the role that runs it"
else
  cat "${work}/repository.log"
  log "FAIL: see above"
  status=1
fi

# expect_caught NAME PLANT PATTERN: the planted defect must fail the check with PATTERN in its output.
expect_caught() {
  local name=$1 plant=$2 pattern=$3
  if check_variant "${name}" "${plant}"; then
    cat "${work}/${name}.log"
    log "FAIL: the check passed with ${name} planted"
    status=1
  elif grep -q -- "${pattern}" "${work}/${name}.log"; then
    log "caught ${name}: $(grep -m1 -- "${pattern}" "${work}/${name}.log" | cut -c1-160)"
  else
    cat "${work}/${name}.log"
    log "FAIL: with ${name} planted the check failed, but not naming ${pattern}"
    status=1
  fi
}
expect_caught "a task running a program nothing installs" task ": envoy-mesh-planted-program: "
expect_caught "the coredns role without its dig install" dig "roles/coredns/tasks/nodes.yml:[0-9]*: dig: "
log "done in $((SECONDS - started)) s"
exit "${status}"
