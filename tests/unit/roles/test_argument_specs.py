# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's meta/argument_specs.yml must describe its defaults/main.yml exactly, and every entry
point that a playbook or role calls must have a spec of the role's own options.

A default that differs between the two files is a trap: ansible-core uses defaults/main.yml, while
the documentation (ansible-doc -t role) shows the spec's value. An entry point without a spec is
neither documented nor validated.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLES = os.path.join(REPO, "roles")
ROLE_NAMES = sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name)))
COLLECTION_PREFIX = "envoy_mesh.lab."
ROLE_CALLS = {"import_role", "include_role"}
# Not part of the collection: test output and tool caches (the hidden .venv, .ansible, .cache).
SKIPPED_DIRS = {os.path.join(REPO, "tests", "output")}
# What an option's spec must keep wherever the option appears; descriptions may differ.
SPEC_KEYS = ("type", "elements", "default", "choices", "required", "no_log")


def load(role, *path):
    full = os.path.join(ROLES, role, *path)
    if not os.path.exists(full):
        return None
    with open(full, encoding="utf-8") as stream:
        return yaml.safe_load(stream) or {}


def specs(role):
    loaded = load(role, "meta", "argument_specs.yml")
    assert loaded is not None, "roles/%s/meta/argument_specs.yml is missing" % role
    return loaded["argument_specs"]


def main_options(role):
    return specs(role)["main"].get("options") or {}


def entry_points():
    """(role, entry point) of every spec other than main."""
    return [(role, name) for role in ROLE_NAMES for name in sorted(specs(role)) if name != "main"]


def yaml_files_calling_roles():
    """Repository-relative paths of the YAML files that mention tasks_from."""
    found = []
    for top, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.join(top, d) not in SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(top, name)
            with open(path, encoding="utf-8") as stream:
                if "tasks_from" in stream.read():
                    found.append(os.path.relpath(path, REPO))
    return found


def role_calls(node):
    """Every {name, tasks_from, ...} given to import_role or include_role inside a loaded YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.rsplit(".", 1)[-1] in ROLE_CALLS and isinstance(value, dict):
                yield value
            else:
                yield from role_calls(value)
    elif isinstance(node, list):
        for item in node:
            yield from role_calls(item)


def called_entry_points():
    """(caller path, role, tasks_from) of every call with tasks_from to a role of this collection."""
    calls = []
    for path in yaml_files_calling_roles():
        with open(os.path.join(REPO, path), encoding="utf-8") as stream:
            tree = yaml.safe_load(stream)
        for call in role_calls(tree):
            if "tasks_from" not in call:
                continue
            name = call.get("name", call.get("role", ""))
            if name.startswith(COLLECTION_PREFIX):
                name = name[len(COLLECTION_PREFIX):]
            elif name not in ROLE_NAMES:
                continue  # a role of another collection
            calls.append((path, name, call["tasks_from"]))
    return calls


CALLS = called_entry_points()


def entry_point_name(tasks_from):
    """The spec an entry point is documented under: its tasks file name without extension."""
    return re.sub(r"\.ya?ml$", "", tasks_from)


def test_every_role_is_checked():
    assert len(ROLE_NAMES) >= 9, ROLE_NAMES


def test_every_tasks_from_is_parsed():
    # A call the parser misses would escape the checks below, so count the keys in the text too.
    written = 0
    for path in yaml_files_calling_roles():
        with open(os.path.join(REPO, path), encoding="utf-8") as stream:
            written += len(re.findall(r"^\s*tasks_from:", stream.read(), re.MULTILINE))
    assert written > 0
    assert len(CALLS) == written, CALLS


@pytest.mark.parametrize("path, role, tasks_from", CALLS, ids=["%s:%s/%s" % call for call in CALLS])
def test_called_entry_point_has_a_spec(path, role, tasks_from):
    assert role in ROLE_NAMES, "%s calls role %s, which the collection does not have" % (path, role)
    name = entry_point_name(tasks_from)
    assert os.path.isfile(os.path.join(ROLES, role, "tasks", name + ".yml")), (
        "%s calls roles/%s/tasks/%s, which does not exist" % (path, role, tasks_from))
    assert name in specs(role), (
        "%s calls entry point %s of role %s, which roles/%s/meta/argument_specs.yml does not describe"
        % (path, name, role, role))


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_options_carry_the_role_prefix(role):
    options = main_options(role)
    assert [name for name in options if not name.startswith(role + "_")] == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_default_is_documented_with_the_same_value(role):
    defaults = load(role, "defaults", "main.yml") or {}
    options = main_options(role)
    undocumented = sorted(set(defaults) - set(options))
    assert undocumented == [], "roles/%s/defaults/main.yml has variables missing from the spec" % role
    differing = {
        name: (value, options[name].get("default"))
        for name, value in defaults.items()
        if options[name].get("default") != value
    }
    assert differing == {}, "default (defaults/main.yml, argument_specs.yml) differ"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_defaults_exist_in_defaults_file(role):
    defaults = load(role, "defaults", "main.yml") or {}
    options = main_options(role)
    only_in_spec = sorted(name for name, spec in options.items() if "default" in spec and name not in defaults)
    assert only_in_spec == [], "argument_specs.yml gives defaults that defaults/main.yml lacks"


@pytest.mark.parametrize("role, entry_point", entry_points(), ids=["%s/%s" % ep for ep in entry_points()])
def test_entry_point_options_are_the_roles(role, entry_point):
    """An entry point documents options of the main spec, with the same type, default and choices."""
    main = main_options(role)
    options = specs(role)[entry_point].get("options") or {}
    foreign = sorted(name for name in options if name not in main)
    assert foreign == [], "entry point %s has options that the main spec of %s lacks" % (entry_point, role)
    differing = {
        name: key
        for name, spec in options.items()
        for key in SPEC_KEYS
        if spec.get(key) != main[name].get(key)
    }
    assert differing == {}, "entry point %s describes these options unlike the main spec" % entry_point


# Task keywords whose values are bare Jinja expressions; elsewhere only {{ }} and {% %} are read.
BARE_EXPRESSION_KEYS = {"when", "that", "failed_when", "changed_when", "until"}


def read_text(path):
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def jinja_expressions(text):
    """The insides of {{ }} and {% %} in a template or a YAML string."""
    return " ".join(" ".join(match) for match in re.findall(r"{{(.*?)}}|{%(.*?)%}", text, re.DOTALL))


def expressions_in(node, bare=False):
    """What Ansible evaluates in a loaded YAML tree, leaving out messages and names in plain text."""
    if isinstance(node, dict):
        return " ".join(expressions_in(value, key in BARE_EXPRESSION_KEYS) for key, value in node.items())
    if isinstance(node, list):
        return " ".join(expressions_in(item, bare) for item in node)
    if isinstance(node, str):
        return node if bare else jinja_expressions(node)
    return ""


def tasks_files_of(role, name, seen=None):
    """Texts of roles/<role>/tasks/<name> and of the role's tasks files it imports or includes."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    text = read_text(os.path.join(ROLES, role, "tasks", name))
    texts = [text]
    for imported in re.findall(r"^\s*(?:ansible\.builtin\.)?(?:import|include)_tasks:\s*(?:file:\s*)?([\w.-]+\.ya?ml)\s*$",
                               text, re.MULTILINE):
        texts += tasks_files_of(role, imported, seen)
    return texts


def options_read_by(role, entry_point):
    """The role's options that roles/<role>/tasks/<entry_point>.yml reads, directly, through the
    templates it renders, through the role's vars/main.yml or through the defaults of other options."""
    defaults = load(role, "defaults", "main.yml") or {}
    role_vars = load(role, "vars", "main.yml") or {}
    derived = dict((name, expressions_in(value)) for name, value in role_vars.items())
    derived.update((name, expressions_in(value)) for name, value in defaults.items())
    text = ""
    for tasks in tasks_files_of(role, entry_point + ".yml"):
        text += " " + expressions_in(yaml.safe_load(tasks))
        for template in set(re.findall(r"[\w.-]+\.j2\b", tasks)):
            path = os.path.join(ROLES, role, "templates", template)
            if os.path.isfile(path):
                text += " " + jinja_expressions(read_text(path))
    seen = set()
    while True:
        names = set(name for name in derived if re.search(r"\b%s\b" % re.escape(name), text)) - seen
        if not names:
            break
        seen |= names
        text += " " + " ".join(derived[name] for name in sorted(names))
    return sorted(seen & set(defaults))


@pytest.mark.parametrize("role, entry_point", entry_points(), ids=["%s/%s" % ep for ep in entry_points()])
def test_entry_point_spec_lists_every_option_it_reads(role, entry_point):
    options = specs(role)[entry_point].get("options") or {}
    missing = [name for name in options_read_by(role, entry_point) if name not in options]
    assert missing == [], "roles/%s/tasks/%s.yml reads options that its spec does not list" % (role, entry_point)


def test_the_option_reader_sees_indirect_reads():
    # refs.yml names node_images_wheelhouse_dir, whose default is built from node_images_cache_dir,
    # and renders refs.j2, which reads node_images_repository.
    read = options_read_by("node_images", "refs")
    assert "node_images_cache_dir" in read
    assert "node_images_repository" in read
    # main.yml reads nothing itself: everything comes through the files it imports.
    assert "usersvc_sidecar" in options_read_by("usersvc", "main")
