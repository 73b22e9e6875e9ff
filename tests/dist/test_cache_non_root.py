"""The controller-side cache and wheelhouse of node_images work for a non-root controller.

An execution environment runs ansible-playbook as a non-root user, and so do most workstations. The
role's `wheels` entry point (what the main entry point runs before the builds) runs here from the
installed tarball as the unprivileged user `nobody`, with a home directory of its own: the cache must
land under ~/.cache/envoy-mesh-lab (or $XDG_CACHE_HOME/envoy-mesh-lab), owned by that user; a second
run changes nothing; a pre-filled wheelhouse works without downloading; and a cache the user cannot
write fails with the fix. nobody gets a venv of its own with the pinned ansible-core (the project
venv's Python may live where only root can read). Needs root (to switch users), Debian's python3 with
venv, and an index for ansible-core and one image's wheels (5 MB).
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from collection import REPO, ansible_env, copy_dependencies, dist_tarball, install, run

NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
PLAYBOOK = """\
- name: Fill the wheelhouse as the user that runs ansible-playbook
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Download the wheels of the images into the controller's cache
      ansible.builtin.import_role:
        name: envoy_mesh.lab.node_images
        tasks_from: wheels
"""
# One image keeps the download small; the path through the role is the same for every image.
IMAGES = '{"node_images_images": ["usersvc"]}'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching to an unprivileged user needs root")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A directory every user can read, holding the installed tarball, its dependencies and a
    playbook; removed afterwards (pytest's own temporary directories are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="envoy-mesh-non-root-"))
    try:
        collections = root / "collections"
        copy_dependencies(collections)
        install(dist_tarball(tmp_path_factory), collections, root / "install")
        (root / "wheels.yml").write_text(PLAYBOOK, encoding="utf-8")
        core = [line for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
                if line.startswith("ansible-core==")][0]
        run([SYSTEM_PYTHON, "-m", "venv", root / "venv"], cwd=root)
        run([root / "venv" / "bin" / "python", "-m", "pip", "install", "-q", core], cwd=root, timeout=900)
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o555 if path.is_dir() else path.stat().st_mode | 0o444)
        yield root
    finally:
        shutil.rmtree(root)


def home_of_nobody(world, name):
    home = world / name
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    return home


def wheels_as_nobody(world, home, *extra, **environ):
    """ansible-playbook wheels.yml as nobody with HOME=home; returns the result."""
    workdir = Path(tempfile.mkdtemp(dir=world, prefix="run-"))
    os.chown(workdir, NOBODY, NOBODY)
    env = ansible_env(workdir, world / "collections", local_tmp=workdir / "tmp", remote_tmp=workdir / "tmp")
    for name in ("ENVOY_MESH_CACHE", "XDG_CACHE_HOME", "PIP_CACHE_DIR"):
        env.pop(name, None)
    env.update(HOME=str(home), USER="nobody", LOGNAME="nobody", PATH=f"{world / 'venv' / 'bin'}:/usr/bin:/bin",
               **environ)
    args = [world / "venv" / "bin" / "ansible-playbook", "-i", "localhost,", "-e", "ansible_connection=local",
            "-e", "ansible_python_interpreter={{ ansible_playbook_python }}", "-e", IMAGES, *extra,
            world / "wheels.yml"]
    return run(args, cwd=workdir, env=env, check=False, timeout=900, user=NOBODY, group=NOBODY, extra_groups=[])


def recap(result):
    match = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


@pytest.fixture(scope="module")
def filled(world):
    """nobody's home after a first run that downloaded the wheels."""
    home = home_of_nobody(world, "home")
    result = wheels_as_nobody(world, home)
    print(result.stdout[-1500:])
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap(result)["changed"] >= 1
    return home


def test_non_root_user_gets_its_own_cache_under_home(filled):
    cache = filled / ".cache" / "envoy-mesh-lab"
    wheels = sorted((cache / "wheelhouse" / "usersvc").glob("*.whl"))
    assert any(wheel.name.startswith("flask-") for wheel in wheels), wheels
    assert cache.stat().st_uid == NOBODY and wheels[0].stat().st_uid == NOBODY
    print(f"{len(wheels)} wheels in {cache}/wheelhouse/usersvc, owned by uid {NOBODY}")


def test_second_run_changes_nothing(world, filled):
    result = wheels_as_nobody(world, filled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap(result)["changed"] == 0, result.stdout


def test_prefilled_wheelhouse_without_an_index_and_xdg_cache_home(world, filled):
    home = home_of_nobody(world, "air-gapped")
    xdg = home / "xdg-cache"
    wheelhouse = filled / ".cache" / "envoy-mesh-lab" / "wheelhouse"
    result = wheels_as_nobody(world, home, "-e", "node_images_wheels_download=false",
                              "-e", f"node_images_wheelhouse_dir={wheelhouse}",
                              XDG_CACHE_HOME=str(xdg), PIP_INDEX_URL="http://127.0.0.1:9/none")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap(result)["failed"] == 0
    assert (xdg / "envoy-mesh-lab").is_dir() and (xdg / "envoy-mesh-lab").stat().st_uid == NOBODY
    assert not (home / ".cache" / "envoy-mesh-lab").exists()


def test_unwritable_cache_fails_naming_the_option_and_the_fix(world):
    result = wheels_as_nobody(world, Path("/nonexistent"))
    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert ("node_images_cache_dir (/nonexistent/.cache/envoy-mesh-lab) is not a directory that the user who runs "
            "ansible-playbook can create and write") in output, result.stdout
    assert "Set node_images_cache_dir (or the ENVOY_MESH_CACHE environment variable)" in output
