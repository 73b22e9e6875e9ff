"""hack/ci/failure-digest.sh picks, from a failed run's output, the lines that say why."""

import os
import subprocess
import textwrap

DIGEST = os.path.join(os.path.dirname(__file__), "..", "failure-digest.sh")

# The shape of a failed command task inside molecule's framed, coloured output, then its recap.
MOLECULE_FAILURE = textwrap.dedent("""\
      \x1b[2m│\x1b[0m TASK [Bring up node1, node2 and node3] ****
      \x1b[2m│\x1b[0m [ERROR]: Task failed: Module failed: non-zero return code
      \x1b[2m│\x1b[0m fatal: [localhost]: FAILED! =>
      \x1b[2m│\x1b[0m     changed: true
      \x1b[2m│\x1b[0m     msg: non-zero return code
      \x1b[2m│\x1b[0m     rc: 1
      \x1b[2m│\x1b[0m     stderr: |-
      \x1b[2m│\x1b[0m         [three-node-lab] building envoy-mesh-lab/node:abc
      \x1b[2m│\x1b[0m         [three-node-lab] ERROR: building envoy-mesh-lab/node:abc failed, see x.log
      \x1b[2m│\x1b[0m localhost : ok=1 changed=1 unreachable=0 failed=1 skipped=0
    \x1b[31mERROR   \x1b[0m Ansible return code was 2, command was: ansible-playbook create.yml
    \x1b[31mERROR   \x1b[0m Molecule executed 1 scenario (1 failed)
    three-node ➜ destroy: Executed: Successful
    make: *** [Makefile:154: molecule] Error 1
    """)


def digest(tmp_path, text, *args):
    output = tmp_path / "run.log"
    output.write_text(text, encoding="utf-8")
    result = subprocess.run(["bash", DIGEST, str(output), *args], capture_output=True, text=True, check=True)
    return result.stdout.splitlines()[1:]


def test_a_failed_task_is_reduced_to_its_reason(tmp_path):
    lines = digest(tmp_path, MOLECULE_FAILURE)
    assert "\x1b" not in "".join(lines)
    assert lines[-2:] == [
        "  │         [three-node-lab] ERROR: building envoy-mesh-lab/node:abc failed, see x.log",
        "make: *** [Makefile:154: molecule] Error 1",
    ]
    assert any("fatal: [localhost]: FAILED!" in line for line in lines)
    assert not any("building envoy-mesh-lab/node:abc$" in line or "Molecule executed" in line for line in lines)


def test_failed_tests_are_named(tmp_path):
    text = "tests/x.py ..F\nFAILED tests/x.py::test_spread - AssertionError: node2 has 0 pods\n1 failed, 2 passed in 3s\n"
    assert digest(tmp_path, text) == [
        "FAILED tests/x.py::test_spread - AssertionError: node2 has 0 pods",
        "1 failed, 2 passed in 3s",
    ]


def test_the_number_of_lines_is_bounded(tmp_path):
    text = "".join(f"[local-cluster] ERROR: {n}\n" for n in range(40))
    assert digest(tmp_path, text, "5") == [f"[local-cluster] ERROR: {n}" for n in range(35, 40)]


def test_an_output_without_a_reason_says_so(tmp_path):
    assert digest(tmp_path, "all fine\n") == ["(no line matched: read " + str(tmp_path / "run.log") + ")"]


# A check-mode preview, then the e2e suite's report (a debug task) with a failed test's assertion
# folded over lines by the YAML output, then the task that fails on it.
SUITE_FAILURE = textwrap.dedent("""\
      │ TASK [Create the ConfigMap] ****
      │ changed: [localhost] =>
      │     msg: 'Would create in namespace envoy-tutorial: ConfigMap
      │ TASK [Show the suite's report and figures] ****
      │ ok: [localhost] =>
      │     msg:
      │     - 'E       AssertionError: scale 5 -> 2: 1 of 137 requests failed:
      │       {''keep-alive: HTTP 503: upstream connect error'':
      │       1}'
      │     - 'tests/e2e/test_faults.py:74: AssertionError'
      │     - FAILED tests/e2e/test_faults.py::test_scaling_usersvc_fails_no_request[5-2]
      │     - =================== 1 failed, 39 passed in 788.07s (0:13:08)
      │ TASK [Ensure every check of the suite passed] ****
      │ fatal: [localhost]: FAILED! =>
      │     msg: tests/e2e failed (exit status 1); see the report above
    """)


def test_a_failed_test_keeps_its_folded_assertion_and_previews_are_left_out(tmp_path):
    lines = digest(tmp_path, SUITE_FAILURE)
    assert not any("Would create" in line for line in lines)
    assert lines == [
        "│     - 'E       AssertionError: scale 5 -> 2: 1 of 137 requests failed:",
        "│       {''keep-alive: HTTP 503: upstream connect error'':",
        "│       1}'",
        "│     - 'tests/e2e/test_faults.py:74: AssertionError'",
        "│     - FAILED tests/e2e/test_faults.py::test_scaling_usersvc_fails_no_request[5-2]",
        "│     - =================== 1 failed, 39 passed in 788.07s (0:13:08)",
        "│ fatal: [localhost]: FAILED! =>",
        "│     msg: tests/e2e failed (exit status 1); see the report above",
    ]
