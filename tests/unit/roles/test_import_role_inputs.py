# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A statically imported entry point checks its arguments under any --tags, so its inputs must exist then.

ansible-core tags the argument check of an imported role `always`: a run with --tags (say
``--tags postgres_secret``) still evaluates the vars and the when of every import_role, while the tasks
that register or set the variables those read may have been skipped. A read of such a variable
without ``| default(...)`` then fails the run ("'__postgres_storage' is undefined").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SEARCHED = ("roles", "playbooks", "site.yml")


def yaml_files():
    for top in SEARCHED:
        path = os.path.join(REPO, top)
        if os.path.isfile(path):
            yield path
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yml", ".yaml")) and os.sep + "templates" + os.sep not in root + os.sep:
                    yield os.path.join(root, name)


def load(path):
    with open(path, encoding="utf-8") as stream:
        try:
            return yaml.safe_load(stream)
        except yaml.YAMLError:
            return None  # not Ansible YAML (a template of another kind)


def dicts_in(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from dicts_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from dicts_in(item)


def is_action(key, name):
    return key == name or key.endswith("." + name)


def runtime_variables(trees):
    """Names that exist only once a task has run: what tasks register and what set_fact sets."""
    names = set()
    for tree in trees:
        for node in dicts_in(tree):
            if isinstance(node.get("register"), str):
                names.add(node["register"])
            for key, value in node.items():
                if is_action(key, "set_fact") and isinstance(value, dict):
                    names.update(name for name in value if name != "cacheable")
    return names


def import_role_inputs(tree):
    """(task name, text) of the vars and when of every import_role with tasks_from in a loaded file."""
    for node in dicts_in(tree):
        call = next((value for key, value in node.items() if is_action(key, "import_role")), None)
        if not isinstance(call, dict) or "tasks_from" not in call:
            continue
        texts = [str(value) for value in (node.get("vars") or {}).values()]
        when = node.get("when")
        texts += [str(item) for item in (when if isinstance(when, list) else [when] if when else [])]
        for text in texts:
            yield node.get("name", call["tasks_from"]), text


def unguarded_reads(text, names):
    """The names of ``names`` read in ``text`` with no default() in the rest of their expression."""
    found = []
    for name in names:
        for match in re.finditer(r"(?<![\w.])%s\b" % re.escape(name), text):
            rest = re.split(r"}}|\bor\b|\band\b|,", text[match.end():], maxsplit=1)[0]
            if "default(" not in rest:
                found.append(name)
    return found


TREES = {os.path.relpath(path, REPO): load(path) for path in yaml_files()}
RUNTIME = runtime_variables(TREES.values())
INPUTS = [(path, task, text) for path, tree in sorted(TREES.items()) for task, text in import_role_inputs(tree)]


def test_the_search_sees_the_imports_and_the_runtime_variables():
    assert len(INPUTS) >= 10, INPUTS
    assert {"__postgres_storage", "__mesh_refs_known"} <= RUNTIME


@pytest.mark.parametrize("path, task, text", INPUTS, ids=["%s: %s" % (path, task) for path, task, _text in INPUTS])
def test_import_role_reads_a_runtime_variable_only_with_a_default(path, task, text):
    missing = unguarded_reads(text, RUNTIME)
    assert not missing, (
        "%s, task %r: the argument check of the imported entry point runs under any --tags, but reads %s, "
        "which a skipped task leaves undefined; add | default(...) to %r"
        % (path, task, ", ".join(sorted(set(missing))), text))


@pytest.mark.parametrize("text, unguarded", [
    ("{{ __postgres_storage }}", ["__postgres_storage"]),
    ("{{ __postgres_storage | default({}) }}", []),
    ("not __mesh_refs_known", ["__mesh_refs_known"]),
    ("not __mesh_refs_known | default(false)", []),
    ("{{ __postgres_storage.result | map(attribute='x') }} {{ __postgres_storage | default({}) }}",
     ["__postgres_storage"]),
    ("{{ a.__postgres_storage }}", []),
])
def test_unguarded_reads(text, unguarded):
    assert unguarded_reads(text, {"__postgres_storage", "__mesh_refs_known"}) == unguarded
