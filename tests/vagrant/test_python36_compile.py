"""hack/python36/check.sh, the one Python 3.6 check (`make python36`): the node-side code must run on
the Python 3.6 of CentOS 7 nodes.

One run on a copy of the collection with added files that only newer Pythons parse, or that use
standard library features newer than 3.6 (the check must name each of them), one on this checkout
(it must pass and list every module and module_util). Nothing is skipped: when the check cannot get
its interpreter, ansible-core 2.16 or vermin, it exits non-zero and the tests fail.
"""

import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECK = REPO / "hack" / "python36" / "check.sh"

# Module-side files that Python 3.6 must reject, with the construct and the release that brought it.
TOO_NEW = {
    "plugins/modules/walrus.py": "if (count := 1):\n    pass\n",  # 3.8
    "plugins/modules/fstring_equals.py": "count = 1\nprint(f'{count=}')\n",  # 3.8
    "plugins/module_utils/positional_only.py": "def first(value, /):\n    return value\n",  # 3.8
    "plugins/module_utils/postponed_annotations.py": "from __future__ import annotations\n",  # 3.7
}
# Parses on 3.6, but fails there at run time: only the library half (vermin) can see it.
TOO_NEW_LIBRARY = {
    "plugins/module_utils/capture_output.py": "import subprocess\nsubprocess.run(['true'], capture_output=True)\n",
}
# What vermin reports for each of them.
LIBRARY_FINDINGS = {
    "plugins/module_utils/capture_output.py": "'subprocess.run(capture_output)' requires !2, 3.7",
}
# Parses on 3.6 (f-strings and variable annotations are 3.6), so it must not be reported.
NEW_IN_36 = {
    "plugins/module_utils/py36_syntax.py": "count: int = 1\nlabel = f'{count}'\n",
}
# Controller-side plugin: ansible-test does not compile it for 3.6, whatever its syntax.
CONTROLLER_ONLY = {
    "plugins/inventory/walrus_on_controller.py": "if (count := 1):\n    pass\n",
}


def run_check(source):
    result = subprocess.run(
        ["bash", str(CHECK), str(source)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def node_side_files(root):
    return sorted(
        str(path.relative_to(root))
        for folder in ("plugins/modules", "plugins/module_utils")
        for path in (root / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def collection_with(root, files):
    """A copy of this collection's plugins with the given files added."""
    shutil.copy2(REPO / "galaxy.yml", root / "galaxy.yml")
    for folder in ("meta", "plugins"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def too_new_collection(tmp_path_factory):
    return collection_with(tmp_path_factory.mktemp("collection"),
                           {**TOO_NEW, **TOO_NEW_LIBRARY, **NEW_IN_36, **CONTROLLER_ONLY})


def test_check_names_each_file_that_python36_cannot_parse(too_new_collection):
    status, output = run_check(too_new_collection)
    assert status != 0, output
    assert "compiled by Python 3.6.6:" in output, output
    for name in TOO_NEW:
        assert re.search(rf"^ERROR: {re.escape(name)}:[0-9]+:[0-9]+: SyntaxError: ", output, re.M), output
    for name in NEW_IN_36:
        assert f"    {name}\n" in output, output
        assert f"ERROR: {name}:" not in output, output
        assert f"/{name}\n" not in output, output
    for name, finding in LIBRARY_FINDINGS.items():
        assert f"    {name}\n" in output, output
        assert f"ERROR: {name}:" not in output, output
        assert re.search(rf"^!2, 3\.7 +\S*/{re.escape(name)}\n  {re.escape(finding)}$", output, re.M), output
    for name in CONTROLLER_ONLY:
        assert name not in output, output
    assert f"Found {len(TOO_NEW)} compile issue(s) on python 3.6" in output, output
    assert "Python 3.6 library check: FAILED (vermin)" in output, output


def test_library_use_newer_than_36_fails_the_check_on_its_own(tmp_path):
    status, output = run_check(collection_with(tmp_path, TOO_NEW_LIBRARY))
    assert status != 0, output
    assert f"Python 3.6 compile check: ok ({len(node_side_files(tmp_path))} files)" in output, output
    assert "Python 3.6 library check: FAILED (vermin)" in output, output


def test_this_checkout_compiles_with_python36():
    status, output = run_check(REPO)
    assert status == 0, output
    assert "compiled by Python 3.6.6:" in output, output
    expected = node_side_files(REPO)
    assert expected, "no module or module_util found"
    for name in expected:
        assert f"    {name}\n" in output, output
    assert f"Python 3.6 compile check: ok ({len(expected)} files)" in output, output
    assert "Python 3.6 library check: ok" in output, output
