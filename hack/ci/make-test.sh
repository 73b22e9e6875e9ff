#!/usr/bin/env bash
# The checks of `make test` after lint, in two tracks. The machine has two cores and the cluster's
# checks mostly wait on the cluster (one ansible-playbook at a time, pods starting, traffic streams),
# so the checks that need no cluster run beside them, in a second make whose output goes to a log
# file and is printed once it is done:
#
#   cluster track:     cluster-test centos7-check, molecule default step2 faults
#   no-cluster track:  fresh-machine-check sanity python36 units galaxy-check ee-check (beside it)
#   then, alone:       molecule three-node, dist-check, workloads, cluster-lifecycle-test
#
# What both tracks need (venv, test-deps, dist, galaxy-tools, cluster) is made before, by `make test`
# itself; the tracks are told not to remake it (make -o), so no two makes install the same venv or
# run apt at once. The checks that take the cluster down (three-node, cluster-lifecycle-test; the
# cluster's down.sh also stops the Docker that fresh-machine-check uses) wait for the no-cluster track.
#
#   hack/ci/make-test.sh      (from the Makefile: make test)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=hack/local-cluster/versions.sh
. hack/local-cluster/versions.sh

# make, told that what both tracks need is made already.
make_made=(make --no-print-directory -o venv -o test-deps -o dist -o galaxy-tools -o cluster)
no_cluster_log="${LOG_DIR}/no-cluster-checks.log"
mkdir -p "${LOG_DIR}"

# The no-cluster track in a process group of its own, so that a failure of the cluster track stops it
# with everything it started.
setsid "${make_made[@]}" fresh-machine-check sanity python36 units galaxy-check ee-check >"${no_cluster_log}" 2>&1 &
no_cluster_pid=$!
stop_no_cluster_track() { kill -- "-${no_cluster_pid}" 2>/dev/null || true; }
trap stop_no_cluster_track EXIT
echo "[make-test] no-cluster checks started beside the cluster checks (output: ${no_cluster_log}, printed when done)"

started=${SECONDS}
"${make_made[@]}" cluster-test centos7-check molecule \
  MOLECULE_SCENARIOS="default step2 faults"

no_cluster_status=0
wait "${no_cluster_pid}" || no_cluster_status=$?
trap - EXIT
echo "[make-test] ---- output of the no-cluster checks (${no_cluster_log}) ----"
cat "${no_cluster_log}"
echo "[make-test] ---- end of the no-cluster checks: exit ${no_cluster_status}; both tracks done after $((SECONDS - started)) s ----"
((no_cluster_status == 0)) || exit "${no_cluster_status}"

"${make_made[@]}" molecule MOLECULE_SCENARIOS=three-node
"${make_made[@]}" dist-check workloads cluster-lifecycle-test
