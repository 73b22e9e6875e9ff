#!/usr/bin/env bash
# Builds the Kubernetes binaries and etcd from their Go modules into the version-keyed cache.
# k8s.io/kubernetes cannot be `go install`ed (its staging modules are replaced by local paths), so a
# throw-away wrapper module requires it and replaces each staging module with its published release.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

all_built() {
  local c
  for c in "${COMPONENTS[@]}" etcd; do
    [[ -x ${KUBE_BIN_DIR}/${c} ]] || return 1
  done
}

if all_built; then
  log "Kubernetes ${KUBERNETES_VERSION} binaries cached in ${KUBE_BIN_DIR}"
  exit 0
fi

[[ -x ${GO} ]] || die "Go not found at ${GO}; install Go >= 1.24 there or set GO=/path/to/go"

work="${CACHE_DIR}/src/kubernetes-${KUBERNETES_VERSION}"
mkdir -p "${work}/cmd/etcd" "${KUBE_BIN_DIR}"
cd "${work}" || exit 1

log "fetching k8s.io/kubernetes@${KUBERNETES_VERSION}"
k8s_dir="$(k8s_module_dir)"
[[ -f ${k8s_dir}/go.mod ]] || die "could not download k8s.io/kubernetes@${KUBERNETES_VERSION}"

# Staging modules are published as v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>.
staging_version="v0.${KUBERNETES_VERSION#v1.}"
{
  echo "module envoy-mesh.local/kubernetes-build"
  echo
  sed -n 's/^go \(.*\)$/go \1/p' "${k8s_dir}/go.mod"
  echo
  grep '^godebug ' "${k8s_dir}/go.mod" || true
  echo
  echo "require ("
  echo "	k8s.io/kubernetes ${KUBERNETES_VERSION}"
  echo "	go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  echo ")"
  echo
  echo "replace ("
  sed -n 's#^\t\(k8s\.io/[^ ]*\) => \./staging/src/.*$#\t\1 => \1 '"${staging_version}"'#p' "${k8s_dir}/go.mod"
  echo ")"
} >go.mod

cat >cmd/etcd/main.go <<'GO'
// Command etcd is the etcd server, built from the version Kubernetes pins.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
GO

build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${k8s_dir%/*}/cache/download/k8s.io/kubernetes/@v/${KUBERNETES_VERSION}.info" 2>/dev/null || true)"
[[ -n ${build_date} ]] || build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
minor="${KUBERNETES_VERSION#v1.}"
minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X ${pkg}.gitVersion=${KUBERNETES_VERSION}"
  ldflags+=" -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=archive -X ${pkg}.buildDate=${build_date}"
done

export GOFLAGS="${GOFLAGS:-} -mod=mod -p=${BUILD_JOBS:-2}"
export CGO_ENABLED=0
log "resolving modules (first run downloads a few hundred MB into $("${GO}" env GOMODCACHE))"
"${GO}" mod download
pkgs=()
for c in "${COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/${c}"); done
out="${work}/out"
mkdir -p "${out}"
log "building ${COMPONENTS[*]} and etcd (takes a while on few cores)"
"${GO}" build -trimpath -ldflags "${ldflags}" -o "${out}/" "${pkgs[@]}"
"${GO}" build -trimpath -ldflags "-s -w" -o "${out}/etcd" ./cmd/etcd
# Move in place only once everything built, so a cancelled build never looks complete.
for c in "${COMPONENTS[@]}" etcd; do
  install -m 0755 "${out}/${c}" "${KUBE_BIN_DIR}/${c}"
done
log "built into ${KUBE_BIN_DIR}"
