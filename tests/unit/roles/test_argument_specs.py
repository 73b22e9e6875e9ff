# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's meta/argument_specs.yml must describe its defaults/main.yml exactly.

A default that differs between the two files is a trap: ansible-core uses defaults/main.yml, while
the documentation (ansible-doc -t role) shows the spec's value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")
ROLE_NAMES = sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name)))


def load(role, *path):
    full = os.path.join(ROLES, role, *path)
    if not os.path.exists(full):
        return None
    with open(full, encoding="utf-8") as stream:
        return yaml.safe_load(stream) or {}


def main_options(role):
    specs = load(role, "meta", "argument_specs.yml")
    assert specs is not None, "roles/%s/meta/argument_specs.yml is missing" % role
    return specs["argument_specs"]["main"].get("options") or {}


def test_every_role_is_checked():
    assert len(ROLE_NAMES) >= 9, ROLE_NAMES


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
