"""The image sources are found inside an installed collection, not only in a checkout.

The collection is built with `ansible-galaxy collection build`, installed into an empty collections
path, and a playbook run from a directory outside the checkout computes the content tags with the
node_images role's own entry points (preflight.yml, refs.yml), as playbooks/verify.yml does. The
tags must equal those computed from the checkout, and without its images/ the installed role must
fail naming the installed path. Needs Docker and the base image (`make cluster` makes it).
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGES = ["usersvc", "usersvc-sds", "envoy", "postgres", "probe"]
BASE_IMAGE = "debian:bookworm-slim"
BIN = Path(sys.executable).parent

PLAYBOOK = """\
- name: Compute the content tags of the workload images
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check Docker, the base image and the image sources
      ansible.builtin.import_role:
        name: envoy_mesh.lab.node_images
        tasks_from: preflight

    - name: Compute the image references
      ansible.builtin.import_role:
        name: envoy_mesh.lab.node_images
        tasks_from: refs

    - name: Write the image references out
      ansible.builtin.copy:
        content: "{{ node_images_refs | to_json }}"
        dest: "{{ refs_file }}"
        mode: "0644"
"""


def base_image_present():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(not base_image_present(), reason=f"Docker or its {BASE_IMAGE} is missing")


def run(args, cwd, env=None, check=True):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if check:
        assert result.returncode == 0, f"{args[0]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def ansible_env(workdir, collections_path):
    """Only this directory's ansible.cfg and collections: nothing from the checkout's settings."""
    config = workdir / "ansible.cfg"
    config.write_text(f"[defaults]\ncollections_path = {collections_path}\nretry_files_enabled = false\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(config), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
    return env


def compute_refs(workdir, collections_path, check=True):
    """Runs the playbook in workdir; returns (refs or None, ansible-playbook's result)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.yml").write_text(PLAYBOOK)
    refs_file = workdir / "refs.json"
    result = run([str(BIN / "ansible-playbook"), "refs.yml", "-e", f"refs_file={refs_file}"],
                 cwd=workdir, env=ansible_env(workdir, collections_path), check=check)
    return (json.loads(refs_file.read_text()) if refs_file.exists() else None), result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection root of a freshly built and installed tarball."""
    root = tmp_path_factory.mktemp("installed")
    dist = root / "dist"
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
        cwd=root, env=ansible_env(root, root / "none"))
    tarball = next(dist.glob("envoy_mesh-lab-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    print(f"{tarball.name}: {len(names)} entries, {tarball.stat().st_size // 1024} KiB")
    # Dependencies are not needed by node_images, and Galaxy may be out of reach.
    run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(root / "collections"),
         str(tarball)], cwd=root, env=ansible_env(root, root / "collections"))
    collection = root / "collections" / "ansible_collections" / "envoy_mesh" / "lab"
    assert (collection / "MANIFEST.json").is_file()
    return collection


@pytest.fixture(scope="module")
def checkout_refs(tmp_path_factory):
    """The content tags from this checkout, linked in as envoy_mesh.lab."""
    root = tmp_path_factory.mktemp("checkout")
    link = root / "collections" / "ansible_collections" / "envoy_mesh" / "lab"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO)
    return compute_refs(root / "run", root / "collections")[0]


def test_tarball_ships_the_image_sources_without_wheels_or_lab_images(installed):
    for image in IMAGES:
        assert (installed / "images" / image / "Dockerfile").is_file(), image
        assert (installed / "images" / image / "README.md").is_file(), image
    assert (installed / "images" / "usersvc" / "usersvc" / "app.py").is_file()
    assert (installed / "images" / "usersvc" / "requirements.txt").is_file()
    assert sorted(path.name for path in installed.glob("images/*/wheels")) == []
    assert sorted(path.name for path in (installed / "images").iterdir() if path.is_dir()) == sorted(IMAGES)
    assert not (installed / "roles" / "node_images" / "files").exists()


def test_installed_collection_computes_the_checkouts_content_tags(installed, checkout_refs, tmp_path):
    refs = compute_refs(tmp_path / "run", installed.parents[2])[0]
    assert sorted(checkout_refs) == sorted(IMAGES)
    for image in IMAGES:
        assert checkout_refs[image].startswith(f"envoy-mesh/{image}:"), checkout_refs
    print("content tags:", ", ".join(checkout_refs[image].split(":")[1] for image in IMAGES))
    assert refs == checkout_refs


def test_installed_role_reads_its_own_images_directory(installed, tmp_path):
    images = installed / "images"
    moved = installed / "images.moved"
    images.rename(moved)
    try:
        refs, result = compute_refs(tmp_path / "run", installed.parents[2], check=False)
    finally:
        moved.rename(images)
    assert result.returncode != 0 and refs is None, result.stdout
    assert f"node_images_source_dir ({images}) is not a directory" in result.stdout, result.stdout
