"""Fails when a program that the repository runs is not installed here.

    required_programs.py [--root DIR] [--list]

Reads every place the code runs a program (program_sources.py), resolves shell variables and
paths, and looks each program up on PATH (with the repository's .venv/bin first). What reading
cannot settle is written down in required-programs.yml, and that file is checked against the code
in turn: an entry whose word no longer appears where it says fails as stale. `--list` prints what
was found and exits 0.
"""

import argparse
import os
import re
import shutil
import sys

import yaml

import program_sources
import shell_commands

HERE = os.path.dirname(os.path.abspath(__file__))
EXCEPTIONS_FILE = os.path.join(HERE, "required-programs.yml")
SHELL_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?:\[[@*0-9]\])?(?::-([^}]*))?\}?")
ARGUMENTS = ('"$@"', '"${@}"')


def load_exceptions(path=EXCEPTIONS_FILE):
    with open(path, encoding="utf-8") as stream:
        data = yaml.safe_load(stream) or {}
    return data.get("built", []), data.get("dynamic", []), data.get("elsewhere", [])


def shell_assignments(text):
    """Values a script gives its variables: NAME="${NAME:-default}", local name=value, and the
    words of `for name in a b c`. Returns {name: [values]}."""
    values = {}
    assignment = re.compile(r'^\s*(?:export\s+|readonly\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)="?([^"\n ]*)"?\s*$', re.M)
    for name, value in assignment.findall(text):
        values.setdefault(name, []).append(value)
    for name, words in re.findall(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([^;\n]*)", text):
        values.setdefault(name, []).extend(words.split())
    # An array's first element is the program of "${NAME[@]}".
    for name, words in re.findall(r"^\s*(?:local\s+)?([A-Za-z_][A-Za-z0-9_]*)=\(\s*([^)\s]+)", text, re.M):
        values.setdefault(name, []).append(words.strip("'\""))
    return values


def expand(word, variables, depth=0, keep_unknown=False):
    """Every value the word can take with its $VARIABLES replaced; None when one is unknown.

    keep_unknown: leave unknown variables as written instead (the result is then never None).
    """
    text = word.strip("'\"")
    match = SHELL_VARIABLE.search(text)
    if not match:
        return None if "$" in text and not keep_unknown else {text}
    if depth > 8:
        return {text} if keep_unknown else None
    name, default = match.group(1), match.group(2)
    if name in variables:
        candidates = []
        for own in variables[name]:
            prefix = "${%s:-" % name
            candidates.append(own[len(prefix):-1] if own.startswith(prefix) and own.endswith("}") else own)
    elif default is not None:
        candidates = [default]
    elif keep_unknown:
        head, tail = text[:match.end()], text[match.end():]
        rest = expand(tail, variables, depth + 1, keep_unknown) if "$" in tail else {tail}
        return {head.replace("$", "\1") + value for value in rest}
    else:
        return None
    results = set()
    for candidate in candidates:
        expanded = expand(text[:match.start()] + candidate + text[match.end():], variables, depth + 1, keep_unknown)
        if expanded is None:
            return None
        results |= expanded
    return {value.replace("\1", "$") for value in results}


class Checker:
    """Sorts each use into found, missing, built by the repository, or not readable."""

    def __init__(self, root, search_path=None):
        self.root = root
        self.files = program_sources.tracked_files(root)
        self.basenames = {os.path.basename(f) for f in self.files}
        self.functions = program_sources.shell_functions(root)
        self.variables = {}  # every script's UPPER_CASE variables; lower_case ones stay in their file
        self.file_variables = {}
        for name in self.files:
            if name.endswith(".sh") or name == ".ci/run":
                with open(os.path.join(root, name), encoding="utf-8") as stream:
                    own = shell_assignments(stream.read())
                self.file_variables[name] = own
                for variable, values in own.items():
                    if variable.isupper():
                        self.variables.setdefault(variable, values)
        self.built, self.dynamic, self.elsewhere = load_exceptions()
        self.wrapper_files = {name for name in self.files
                              if name.endswith(".sh") and shell_commands.function_wrappers(self._read(name))}
        self.search_path = search_path or os.pathsep.join([os.path.join(root, ".venv", "bin"), os.environ.get("PATH", "")])
        self.problems = []
        self.report = []

    def _read(self, name):
        with open(os.path.join(self.root, name), encoding="utf-8") as stream:
            return stream.read()

    def check(self, uses):
        self._check_exceptions(uses)
        for use in uses:
            self._check_use(use)
        return not self.problems

    def _check_use(self, use):
        word = use.word
        if any(use.path.startswith(entry["path"]) for entry in self.elsewhere):
            return
        if word in ARGUMENTS and use.path in self.wrapper_files:
            return  # a function that runs its arguments: each call site was read as a wrapper
        if use.kind == "ansible-unresolved" or ("$" in word and self._dynamic_entry(use) is not None):
            entry = self._dynamic_entry(use)
            if entry is None:
                self._problem(use, "cannot tell which program this runs; make it a literal or a variable with a "
                                   "literal default, or describe it under dynamic: in hack/ci/required-programs.yml")
                return
            for program in entry.get("runs", []):
                self._look_up(program, use)
            return
        if word.strip("'\"") in shell_commands.BUILTINS or word in self.functions:
            return
        names = {word.strip("'\"")}
        if "$" in word and self._repository_file(word):
            return
        if "$" in word:
            variables = dict(self.variables, **self.file_variables.get(use.path, {}))
            if all(self._repository_file(value) for value in expand(word, variables, keep_unknown=True)):
                return
            names = expand(word, variables)
            if names is None:
                self._problem(use, "cannot tell which program %s is; describe it under dynamic: in "
                                   "hack/ci/required-programs.yml" % word)
                return
        for program in sorted(names):
            if program not in self.functions and program not in shell_commands.BUILTINS:
                self._look_up(program, use)

    def _repository_file(self, word):
        """A script of the repository called through a variable directory, e.g. "${HERE}/pki.sh"."""
        path = word.strip("'\"")
        if "/.venv/bin/" in path:  # a program of the repository's venv (make venv)
            return os.path.exists(os.path.join(self.root, ".venv", "bin", path.rsplit("/", 1)[1]))
        tail = path.rsplit("/", 1)
        return len(tail) == 2 and "$" not in tail[1] and tail[1] in self.basenames

    def _look_up(self, name, use):
        built_by = self._built_by(name)
        if built_by:
            self.report.append((name, "built by %s" % built_by, use))
            return
        if "/" in name:
            if os.path.isabs(name):
                found = os.access(name, os.X_OK)
            else:
                found = os.path.exists(os.path.join(self.root, name)) or os.path.basename(name) in self.basenames
        else:
            found = shutil.which(name, path=self.search_path) is not None
        self.report.append((name, "found" if found else "MISSING", use))
        if not found:
            self._problem(use, "%s is not installed: no script of the set-up installs it. Add its package to "
                               "hack/local-cluster/install-deps.sh (the lab) or hack/install-test-deps.sh (tests), "
                               "or install it in the role that runs it" % name)

    def _built_by(self, name):
        for entry in self.built:
            if name == entry["program"] or name.startswith(entry.get("prefix", "\0")):
                return entry["by"]
        return None

    def _dynamic_entry(self, use):
        for entry in self.dynamic:
            if entry["file"] == use.path and entry["word"] == use.word:
                return entry
        return None

    def _check_exceptions(self, uses):
        """Every hand-kept entry must still match the code, so the list cannot drift from it."""
        for entry in self.dynamic:
            if not any(u.path == entry["file"] and u.word == entry["word"] for u in uses):
                self.problems.append("hack/ci/required-programs.yml: stale dynamic entry %r in %s: the code no "
                                     "longer runs it; remove the entry" % (entry["word"], entry["file"]))
        for entry in self.elsewhere:
            if not any(name.startswith(entry["path"]) for name in self.files):
                self.problems.append("hack/ci/required-programs.yml: stale elsewhere entry %s: no such file; remove "
                                     "the entry" % entry["path"])
            if not os.path.exists(os.path.join(self.root, entry["installed_by"])):
                self.problems.append("hack/ci/required-programs.yml: %s is said to be installed by %s, which does not "
                                     "exist; fix the entry" % (entry["path"], entry["installed_by"]))
        for entry in self.built:
            producer = os.path.join(self.root, entry["by"])
            text = open(producer, encoding="utf-8").read() if os.path.exists(producer) else ""
            if entry.get("evidence", entry["program"]) not in text:
                self.problems.append("hack/ci/required-programs.yml: %s is said to be built by %s, which does not "
                                     "mention %r; fix the entry" % (entry["program"], entry["by"],
                                                                    entry.get("evidence", entry["program"])))

    def _problem(self, use, message):
        self.problems.append("%s:%d: %s: %s" % (use.path, use.line, use.word, message))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.normpath(os.path.join(HERE, "..", "..")))
    parser.add_argument("--list", action="store_true", help="print every program and where it is run")
    args = parser.parse_args(argv)
    uses = program_sources.find_uses(args.root)
    checker = Checker(args.root)
    ok = checker.check(uses)
    if args.list:
        for name, state, use in sorted(checker.report, key=lambda r: (r[0], r[2].path, r[2].line)):
            print("%-28s %-40s %s:%d" % (name, state, use.path, use.line))
    programs = {entry[0] for entry in checker.report}
    print("%d places run %d programs" % (len(uses), len(programs)))
    for problem in checker.problems:
        print("FAIL " + problem)
    return 0 if ok or args.list else 1


if __name__ == "__main__":
    sys.exit(main())
