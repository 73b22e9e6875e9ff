#!/usr/bin/env bash
# What .ci/run prints last when `make test` failed: the lines of the run's output that say why (task
# failures, the lab scripts' ERROR lines, failed tests), ANSI colours removed. CI may keep only the
# tail of its output, and a failing molecule scenario ends with a page of recap and teardown.
#   failure-digest.sh RUN_OUTPUT [LINES]
set -euo pipefail

output=$1
lines=${2:-25}
[[ -r ${output} ]] || { echo "failure-digest: cannot read ${output}" >&2; exit 1; }

echo "==== make test failed; the lines of its output that say why (all of it in ${output}) ===="
sed 's/\x1b\[[0-9;]*m//g' "${output}" |
  grep -E '\] ERROR: |\[ERROR\]: |fatal: \[|FAILED! =>|[ │](msg|stderr): |AssertionError|(^|│ )(FAILED|ERROR) [^ ]|Error [0-9]+$|(^| )[0-9]+ failed(,| in )' |
  grep -vE 'failed=0|Ansible return code was|Molecule executed' |
  tail -n "${lines}" || echo "(no line matched: read ${output})"
