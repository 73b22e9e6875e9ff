"""Build, install and run the collection the way its users do: from a tarball, outside the checkout.

Every command runs with a fresh ansible.cfg of its own directory and none of the checkout's ANSIBLE_*
settings, so nothing resolves to the checkout through its ansible.cfg or the .venv/collections link.
The collections the tarball depends on come from the `ansible` package of the venv (the releases that
`ansible-galaxy collection install -r requirements.yml` gives; Galaxy may be out of reach), copied, and
ansible-core's scan of its own site-packages is off, so the collections path holds only the installed
tarball and its dependencies.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUNDLED = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
NAME = "envoy_mesh-lab"


def galaxy_yml(root=REPO):
    return yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))


def run(args, cwd, env=None, check=True, timeout=600, **popen):
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False, **popen)
    if check:
        assert result.returncode == 0, f"{args[0]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def ansible_env(workdir, collections_path, **settings):
    """Environment with only workdir/ansible.cfg: collections from collections_path alone."""
    workdir.mkdir(parents=True, exist_ok=True)
    lines = ["[defaults]", f"collections_path = {collections_path}", "collections_scan_sys_path = false",
             "retry_files_enabled = false"] + [f"{key} = {value}" for key, value in settings.items()]
    config = workdir / "ansible.cfg"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    return env


def build(source, dest):
    """ansible-galaxy collection build of source into dest; returns the tarball's path."""
    dest.mkdir(parents=True, exist_ok=True)
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", dest, source], cwd=dest,
        env=ansible_env(dest / "work", dest / "none"))
    return next(dest.glob(f"{NAME}-*.tar.gz"))


def members(tarball):
    """The file paths in a tarball, without the directories and the two files the build writes."""
    with tarfile.open(tarball) as archive:
        return sorted(member.name for member in archive.getmembers()
                      if not member.isdir() and member.name not in ("MANIFEST.json", "FILES.json"))


def shipped_files(root=REPO):
    """What git would ship of a checkout: tracked and new files, not ignored ones."""
    listing = run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root)
    return sorted(path for path in listing.stdout.split("\0") if path and (root / path).is_file())


def copy_dependencies(collections_path, root=REPO):
    """Copies of the bundled releases of galaxy.yml's dependencies into collections_path."""
    for dependency in galaxy_yml(root)["dependencies"]:
        namespace, name = dependency.split(".")
        source = BUNDLED / namespace / name
        assert (source / "MANIFEST.json").is_file(), f"{dependency} is not bundled in {BUNDLED}: run make venv"
        shutil.copytree(source, collections_path / "ansible_collections" / namespace / name)


def install(tarball, collections_path, workdir):
    """Installs the tarball as a user does, with its dependencies resolved against those already in
    collections_path (--offline: no server is asked); returns the installed collection's root."""
    run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections_path, tarball],
        cwd=workdir, env=ansible_env(workdir, collections_path))
    return collections_path / "ansible_collections" / "envoy_mesh" / "lab"


def dist_tarball(tmp_path_factory):
    """The tarball `make dist` built ($DIST_TARBALL), or a fresh build of the checkout."""
    given = os.environ.get("DIST_TARBALL")
    if given:
        return Path(given).resolve()
    return build(REPO, tmp_path_factory.mktemp("dist"))


def tools_bin():
    """The venv of galaxy-importer and ansible-builder (`make galaxy-tools`)."""
    path = REPO / ".venv" / "galaxy" / "bin"
    assert (path / "ansible-builder").is_file(), f"{path}/ansible-builder is missing: run make galaxy-tools"
    return path
