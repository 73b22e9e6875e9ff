"""The fresh-machine check's reading of the code: shell command words, Ansible tasks, Python calls,
and the hand-kept list checked against the code. Pure logic, on small repositories made here."""

import os
import subprocess
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import node_installs  # noqa: E402  pylint: disable=wrong-import-position
import program_sources  # noqa: E402  pylint: disable=wrong-import-position
import required_programs  # noqa: E402  pylint: disable=wrong-import-position
import shell_commands  # noqa: E402  pylint: disable=wrong-import-position


def words(script):
    return [word.text for word in shell_commands.command_words(textwrap.dedent(script))]


@pytest.mark.parametrize("script, expected", [
    ("curl -sf http://x | jq .a && echo ok", ["curl", "jq"]),
    ("x=$(hostname -f) y=2 env A=1 openssl rand 4", ["env", "hostname", "openssl"]),
    ("timeout -s KILL 5 socat - TCP:x:1", ["timeout", "socat"]),
    ("setsid nohup sudo -u nobody iptables -L", ["setsid", "nohup", "sudo", "iptables"]),
    ("exec tini -- dockerd", ["tini"]),
    ("if ! command -v dig >/dev/null; then apt-get install dnsutils; fi", ["apt-get"]),
    ("[[ -x $f && -n $g ]] || die 'no'", ["die"]),
    ("((count++)) ; sleep 1", ["sleep"]),
    ("cat <<EOF >file\nnot-a-command here\nEOF\ngrep x file", ["cat", "grep"]),
    ("case $1 in\n  start) dockerd ;;\n  stop|halt) pkill dockerd ;;\n  *) usage ;;\nesac", ["dockerd", "pkill", "usage"]),
    ("for f in a b; do rm -f \"$f\"; done", ["rm"]),
    ("f() {\n  local a=1\n  ss -lnt\n}\nf", ["ss", "f"]),
    ("pkgs=(docker.io vagrant)\napt_install \"${pkgs[@]}\"  # comment: not-a-command", ["apt_install"]),
    ("out=\"$(ip -o link | awk '{print $2}')\"", ["ip", "awk"]),
    ("diff <(sort a) b 2>&1 >/dev/null", ["diff", "sort"]),
    ("echo `uname -r`", ["uname"]),
])
def test_shell_command_words(script, expected):
    """Programs only: builtins (echo, set, local) are no program to install."""
    assert sorted(words(script)) == sorted(expected)


def test_shell_command_words_keep_their_lines():
    found = shell_commands.command_words("set -e\n\ncurl x \\\n  -o y\nmount -t tmpfs none /x\n")
    assert [(w.text, w.line) for w in found] == [("curl", 3), ("mount", 5)]


def test_function_wrappers_count_the_command_they_run():
    script = 'wait_for() {\n  local what=$1 timeout=$2\n  shift 2\n  until "$@"; do sleep 1; done\n}\n'
    wrappers = shell_commands.function_wrappers(script)
    assert wrappers == {"wait_for": 2}
    found = shell_commands.command_words('wait_for "api" 60 curl -sf https://x\n', wrappers=wrappers)
    assert [w.text for w in found] == ["wait_for", "curl"]


def make_repository(tmp_path, files):
    for path, text in files.items():
        full = tmp_path / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(textwrap.dedent(text))
    return str(tmp_path)


ROLE = {
    "roles/demo/defaults/main.yml": """\
        ---
        demo_docker_command: docker
        demo_ctr: "{{ [demo_ctr_command, '--address', '/run/x.sock'] }}"
        demo_ctr_command: ctr
        """,
    "roles/demo/tasks/main.yml": """\
        ---
        - name: List images
          ansible.builtin.command:
            argv: ["{{ demo_docker_command }}", image, ls]
        - name: Import images
          ansible.builtin.command:
            argv: "{{ demo_ctr + ['images', 'import', '-'] }}"
        - name: Build
          ansible.builtin.shell:
            cmd: |
              set -euo pipefail
              {{ demo_docker_command | quote }} build . | tee build.log
              {% if true %}
              socat - TCP:x:1
              {% endif %}
        - name: Run a string command
          ansible.builtin.command: PATH=/x dig +short example
        - name: Install dig
          ansible.builtin.package:
            name: dnsutils
        """,
}


def uses_of(root, kind_filter=None):
    return sorted((u.word, u.path) for u in program_sources.find_uses(root)
                  if kind_filter is None or u.kind in kind_filter)


def test_ansible_commands_resolve_role_variables(tmp_path):
    root = make_repository(tmp_path, ROLE)
    assert uses_of(root) == sorted([
        ("docker", "roles/demo/tasks/main.yml"),
        ("ctr", "roles/demo/tasks/main.yml"),
        ("docker", "roles/demo/tasks/main.yml"),
        ("tee", "roles/demo/tasks/main.yml"),
        ("socat", "roles/demo/tasks/main.yml"),
        ("dig", "roles/demo/tasks/main.yml"),
    ])


def test_an_unresolvable_ansible_command_is_reported(tmp_path):
    root = make_repository(tmp_path, {"playbooks/x.yml": """\
        ---
        - hosts: all
          tasks:
            - ansible.builtin.command:
                argv: ["{{ nobody_defines_this }}", x]
        """})
    (use,) = program_sources.find_uses(root)
    assert use.kind == "ansible-unresolved"
    checker = required_programs.Checker(root)
    checker.built, checker.dynamic, checker.elsewhere = [], [], []
    assert not checker.check([use])
    assert "cannot tell which program" in checker.problems[0]


def test_python_calls_with_a_literal_program(tmp_path):
    root = make_repository(tmp_path, {"tests/test_x.py": """\
        import shutil, subprocess
        KUBECTL = "kubectl"
        def test(host, runner):
            subprocess.run([KUBECTL, "get", "pods"], check=True)
            subprocess.check_output(["psql", "-c", "select 1"])
            host.run_expect([0], "docker image ls")
            host.run("LANG=C curl -sf http://x")
            runner.run("warm-up", 3)            # not a command
            shutil.which("vagrant")
            subprocess.run([sys.executable, "-m", "x"])  # the running Python: not read
        """})
    assert [u[0] for u in uses_of(root)] == sorted(["kubectl", "psql", "docker", "curl", "vagrant"])


def test_makefile_recipes_and_their_variables(tmp_path):
    root = make_repository(tmp_path, {"Makefile": (
        "VENV := .venv\nPY := $(VENV)/bin/python\n.PHONY: a \\\n\tb c\n"
        "a:\n\t$(PY) -m venv x\n\tmkdir -p $(dir $@)\n\tfor s in x y; do molecule test -s $$s; done\n"
        "\tdiff -r a \\\n\t  b || { echo stale; \\\n\t  exit 1; }\n")})
    assert [u[0] for u in uses_of(root)] == sorted([".venv/bin/python", "mkdir", "molecule", "diff"])


def test_the_check_finds_a_missing_program_and_accepts_installed_ones(tmp_path):
    root = make_repository(tmp_path, {"hack/x.sh": "#!/bin/sh\nsh -c true\nenvoy-mesh-no-such-program --version\n"})
    checker = required_programs.Checker(root)
    checker.built, checker.dynamic, checker.elsewhere = [], [], []
    assert not checker.check(program_sources.find_uses(root))
    assert checker.problems == [
        "hack/x.sh:3: envoy-mesh-no-such-program: envoy-mesh-no-such-program is not installed: no script of the "
        "set-up installs it. Add its package to hack/local-cluster/install-deps.sh (the lab) or "
        "hack/install-test-deps.sh (tests), or install it in the role that runs it"]


def test_shell_variables_resolve_to_their_defaults_and_loop_words(tmp_path):
    root = make_repository(tmp_path, {
        "hack/versions.sh": 'GO="${GO:-/bin/sh}"\n',
        "hack/x.sh": '"${GO}" version\nfor cmd in sh envoy-mesh-missing; do "${cmd}" -c true; done\n',
    })
    checker = required_programs.Checker(root)
    checker.built, checker.dynamic, checker.elsewhere = [], [], []
    assert not checker.check(program_sources.find_uses(root))
    assert len(checker.problems) == 1 and "envoy-mesh-missing is not installed" in checker.problems[0]


def test_a_stale_hand_kept_entry_fails(tmp_path):
    root = make_repository(tmp_path, {"hack/x.sh": '"$tool" --help\n', "hack/build.sh": "echo builds other things\n"})
    checker = required_programs.Checker(root)
    checker.dynamic = [{"file": "hack/x.sh", "word": '"$tool"', "runs": ["sh"]},
                       {"file": "hack/gone.sh", "word": '"$old"', "runs": []}]
    checker.built = [{"program": "kube-apiserver", "by": "hack/build.sh"}]
    checker.elsewhere = []
    assert not checker.check(program_sources.find_uses(root))
    assert len(checker.problems) == 2
    assert "stale dynamic entry '\"$old\"' in hack/gone.sh" in checker.problems[0]
    assert "kube-apiserver is said to be built by hack/build.sh" in checker.problems[1]


def test_the_repository_hand_kept_list_matches_the_code():
    """Every entry of hack/ci/required-programs.yml still describes code that exists."""
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    checker = required_programs.Checker(root)
    checker._check_exceptions(program_sources.find_uses(root))  # pylint: disable=protected-access
    assert checker.problems == []


def test_node_installs_lists_the_tasks_files_that_install_packages(tmp_path):
    root = make_repository(tmp_path, ROLE)
    assert node_installs.installing_tasks_files(root) == [("demo", "main")]
    play = node_installs.playbook(node_installs.installing_tasks_files(root))[0]
    assert play["tasks"][0]["ansible.builtin.import_role"] == {"name": "envoy_mesh.lab.demo", "tasks_from": "main"}


@pytest.mark.parametrize("plant, expected", [
    ("task", ("envoy-mesh-planted-program", "roles/mesh_validate/tasks/main.yml")),
    ("dig", ("dig", "roles/coredns/tasks/nodes.yml")),
])
def test_plants_produce_the_uses_the_check_must_catch(tmp_path, plant, expected):
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    copy = tmp_path / "copy"
    copy.mkdir()
    subprocess.run(["cp", "-r", os.path.join(root, "roles"), str(copy)], check=True)
    subprocess.run([sys.executable, os.path.join(root, "hack", "ci", "plant.py"), plant, str(copy)], check=True)
    assert expected in {(u.word, u.path) for u in program_sources.find_uses(str(copy))}
    if plant == "dig":
        assert node_installs.installing_tasks_files(str(copy)) == []
