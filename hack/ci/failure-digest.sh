#!/usr/bin/env bash
# What .ci/run prints last when `make test` failed: the lines of the run's output that say why (task
# failures with their msg and stderr, the lab scripts' ERROR lines, failed tests with their assertion),
# ANSI colours removed. CI may keep only the tail of its output, and a failing molecule scenario ends
# with a page of recap and teardown.
#   failure-digest.sh RUN_OUTPUT [LINES]
set -euo pipefail

output=$1
lines=${2:-25}
[[ -r ${output} ]] || { echo "failure-digest: cannot read ${output}" >&2; exit 1; }

echo "==== make test failed; the lines of its output that say why (all of it in ${output}) ===="
# A task's msg and stderr count only inside its failure (fatal: ... up to the next task or result):
# elsewhere they are check-mode previews and reports. An assertion folded over several lines of the
# report keeps up to three of its continuation lines, where the failure's reasons are.
sed 's/\x1b\[[0-9;]*m//g' "${output}" |
  awk '
    /fatal: \[|FAILED! =>|\[ERROR\]: / { failing = 1 }
    /TASK \[|PLAY RECAP|(ok|changed|skipping): \[/ { failing = 0 }
    continuation > 0 {
      if ($0 ~ /[ │]- |^[^ │]/) { continuation = 0 } else { print; continuation--; next }
    }
    /AssertionError/ { print; continuation = 3; next }
    /\] ERROR: |\[ERROR\]: |fatal: \[|FAILED! =>|(^|│ |- '"'"'?)(FAILED|ERROR) [^ ]|Error [0-9]+$|(^| )[0-9]+ failed(,| in )/ {
      print; next
    }
    failing && /[ │](msg|stderr): / { print }
  ' |
  grep -vE 'failed=0|Ansible return code was|Molecule executed' |
  tail -n "${lines}" || echo "(no line matched: read ${output})"
