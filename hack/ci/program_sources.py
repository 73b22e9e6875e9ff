"""Where the repository runs programs: every command word, read from the code, with its place.

- Ansible (roles/, playbooks/, molecule/, hack/, tests/, site.yml): argv[0] or the first word of
  `cmd` of command and raw tasks, the command words of shell tasks; a Jinja variable in that place
  is resolved from the variables the repository defines (role defaults and vars, playbook and
  task vars, inventories), so `{{ node_images_docker_command }}` counts as docker.
- Shell: the scripts under hack/ and tests/, .ci/run, and the Makefile's recipes.
- Python (tests/, molecule/, benchmarks/, hack/): subprocess and testinfra calls whose program is a
  literal (or a module constant), and shutil.which() of a literal.

Each use is a Use(word, path, line, kind): word as written (a shell word may still hold quotes and
$VARIABLES; resolving them is the caller's job), path relative to the repository root.
"""

import ast
import collections
import os
import re
import shlex
import subprocess

import yaml

import shell_commands

Use = collections.namedtuple("Use", "word path line kind")

ANSIBLE_DIRS = ("roles", "playbooks", "molecule", "hack", "tests")
SHELL_DIRS = ("hack", "tests")
PYTHON_DIRS = ("tests", "molecule", "benchmarks", "hack")
COMMAND_MODULES = {"command", "raw"}
SHELL_MODULES = {"shell"}
# Ansible's own variables: the Python that runs Ansible is there by definition.
MAGIC_VARIABLES = {"ansible_playbook_python": "python3", "ansible_python_interpreter": "python3"}
JINJA = re.compile(r"{{(.*?)}}", re.S)
PYTHON_RUNNERS = {"run", "check_output", "check_call", "call", "Popen", "run_expect", "run_test"}
# testinfra's run_expect takes the exit codes first.
PYTHON_COMMAND_ARGUMENT = {"run_expect": 1}


def tracked_files(root):
    """The repository's files, tracked or new but not ignored (a copy without .git: every file)."""
    try:
        listing = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                 capture_output=True, check=True)
        return sorted({path for path in listing.stdout.decode().split("\0")
                       if path and os.path.isfile(os.path.join(root, path))})
    except (OSError, subprocess.CalledProcessError):
        found = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", ".venv", "__pycache__", ".cache")]
            found.extend(os.path.relpath(os.path.join(directory, name), root) for name in files)
        return sorted(found)


class LineLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe YAML that keeps each mapping's line and ignores Ansible's own tags (!unsafe, !vault)."""


def _mapping_with_line(loader, node):
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


class LineDict(dict):
    line = 0


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
LineLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                                 if isinstance(node, yaml.ScalarNode) else None)


def load_yaml(path):
    with open(path, encoding="utf-8") as stream:
        try:
            return list(yaml.load_all(stream, Loader=LineLoader))  # nosec: a safe loader
        except yaml.YAMLError:
            return []


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def module_name(key):
    return key.rsplit(".", 1)[-1] if key.startswith(("ansible.builtin.", "ansible.legacy.")) or "." not in key else None


class Variables:
    """Every value the repository gives each Ansible variable, for resolving a command's first word."""

    def __init__(self):
        self.values = collections.defaultdict(list)

    def add_file(self, documents, whole_file):
        for document in documents:
            if whole_file and isinstance(document, dict):
                self._add(document)
            for mapping in walk(document):
                if isinstance(mapping.get("vars"), dict):
                    self._add(mapping["vars"])

    def _add(self, mapping):
        for name, value in mapping.items():
            self.values[name].append(value)

    def first_words(self, text, seen=()):
        """Possible first words of a command line that may start with Jinja; None when unknown."""
        text = text.strip()
        match = JINJA.match(text)
        if not match:
            return {shlex.split(text)[0]} if shlex.split(text) else set()
        if text[match.end():].startswith("/"):
            # "{{ project_dir }}/hack/x.sh": a path under a directory chosen at run time.
            return {"${jinja}" + text[match.end():].split()[0]}
        return self.expression_heads(match.group(1), seen)

    def expression_heads(self, expression, seen=()):
        """What the first operand of a Jinja expression can be, as program words."""
        expression = expression.strip().lstrip("([ ").strip()
        literal = re.match(r"""^(['"])(.*?)\1""", expression)
        if literal:
            return {literal.group(2).split()[0]} if literal.group(2).split() else None
        name = re.match(r"^[A-Za-z_][A-Za-z0-9_]*", expression)
        if not name:
            return None
        return self.variable_heads(name.group(0), seen)

    def variable_heads(self, name, seen=()):
        if name in MAGIC_VARIABLES:
            return {MAGIC_VARIABLES[name]}
        if name in seen or name not in self.values:
            return None
        heads = set()
        for value in self.values[name]:
            if isinstance(value, list) and value:
                value = value[0]
            if not isinstance(value, str):
                return None
            found = self.first_words(value, seen + (name,))
            if found is None:
                return None
            heads |= found
        return heads


def _ansible_uses(path, documents, variables):
    uses = []
    for task in (m for document in documents for m in walk(document)):
        for key, args in task.items():
            module = module_name(str(key))
            if module in COMMAND_MODULES:
                uses.extend(_command_task_uses(path, task, args, variables))
            elif module in SHELL_MODULES:
                uses.extend(_shell_task_uses(path, task, args, variables))
    return uses


def _command_task_uses(path, task, args, variables):
    line = getattr(task, "line", 0)
    if isinstance(args, dict):
        argv, cmd = args.get("argv"), args.get("cmd") or args.get("_raw_params")
    else:
        argv, cmd = None, args
    if isinstance(argv, list) and argv:
        heads = variables.first_words(str(argv[0]))
    elif isinstance(argv, str):
        match = JINJA.match(argv.strip())
        heads = variables.expression_heads(match.group(1)) if match else None
    elif isinstance(cmd, str):
        heads = variables.first_words(_without_assignments(cmd))
    else:
        return []
    if heads is None:
        return [Use(str(argv if argv is not None else cmd), path, line, "ansible-unresolved")]
    return [Use(head, path, line, "ansible") for head in sorted(heads)]


def _without_assignments(cmd):
    words = cmd.split()
    while words and shell_commands.ASSIGNMENT.match(words[0]):
        words.pop(0)
    return " ".join(words)


def _shell_task_uses(path, task, args, variables):
    script = args.get("cmd") if isinstance(args, dict) else args
    if not isinstance(script, str):
        return []
    line = getattr(task, "line", 0)
    uses = []

    def substitute(match):
        heads = variables.expression_heads(match.group(1))
        if heads and len(heads) == 1:
            return next(iter(heads))
        return "JINJA_EXPRESSION"

    # Jinja statements ({% if %}) only choose between lines; both sides are read.
    script = re.sub(r"{%.*?%}|{#.*?#}", "", script, flags=re.S)
    for word in shell_commands.command_words(JINJA.sub(substitute, script), line):
        kind = "ansible-unresolved" if "JINJA_EXPRESSION" in word.text else "shell"
        uses.append(Use(word.text, path, word.line, kind))
    return uses


def _makefile_uses(path, text):
    """Command words of the recipes, with the Makefile's own := and = variables expanded."""
    variables = dict(re.findall(r"^([A-Z_]+)\s*:?=\s*(.*)$", text, re.M))

    def expand(value, depth=0):
        if depth > 5:
            return value
        return re.sub(r"\$\(([A-Z_]+)\)", lambda m: expand(variables.get(m.group(1), m.group(0)), depth + 1), value)

    uses = []
    recipe, first = None, 0  # a recipe line being joined with its continuations
    continued_rule = False  # a rule or variable continued with a backslash: its next lines may start with a tab
    for number, line in enumerate(text.splitlines(), 1):
        if recipe is None and line.startswith("\t") and not continued_rule:
            recipe, first = "", number
        if recipe is None:
            continued_rule = line.endswith("\\")
            continue
        recipe += line.lstrip("\t@-") if not recipe else "\n" + line.lstrip("\t")
        if line.endswith("\\"):
            continue
        uses.extend(Use(w.text, path, w.line, "shell") for w in _recipe_words(expand(recipe), first))
        recipe = None
    return uses


def _recipe_words(recipe, first_line):
    recipe = recipe.replace("$$", "\0")
    # What is left of make's own syntax ($@, $(VAR) set on the command line, $(if ...) and other
    # functions, innermost first) is a word, never a program.
    previous = None
    while previous != recipe:
        previous = recipe
        recipe = re.sub(r"\$\([A-Za-z_]+(?: [^()$]*)?\)|\$[@<^*]", "make-expansion", recipe)
    return shell_commands.command_words(recipe.replace("\0", "$"), first_line)


class _PythonCalls(ast.NodeVisitor):
    def __init__(self, path, tree):
        self.path = path
        self.uses = []
        self.constants = {
            target.id: node.value.value
            for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)
        }

    def _literal(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def visit_Call(self, node):  # pylint: disable=invalid-name
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        owner = function.value if isinstance(function, ast.Attribute) else None
        owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
        if name == "which" and owner_name == "shutil" and node.args:
            self._add(self._literal(node.args[0]), node)
        elif name in PYTHON_RUNNERS and (owner_name == "subprocess" or "host" in owner_name or owner_name == "controller"):
            position = PYTHON_COMMAND_ARGUMENT.get(name, 0)
            if len(node.args) > position:
                self._command(node.args[position], node, string_form=owner_name != "subprocess")
        self.generic_visit(node)

    def _command(self, argument, node, string_form):
        if isinstance(argument, (ast.List, ast.Tuple)) and argument.elts:
            self._add(self._literal(argument.elts[0]), node)
        elif string_form:
            text = self._literal(argument)
            if text:
                self._add(_without_assignments(text).split()[0] if _without_assignments(text).split() else None, node)

    def _add(self, word, node):
        if word:
            self.uses.append(Use(word, self.path, node.lineno, "python"))


def find_uses(root):
    """Every place the repository runs a program, read from its files under root."""
    files = tracked_files(root)
    yaml_files = [f for f in files if f.endswith((".yml", ".yaml")) and (f.split("/")[0] in ANSIBLE_DIRS
                  or f.startswith("inventory/") or f == "site.yml")]
    loaded = {path: load_yaml(os.path.join(root, path)) for path in yaml_files}
    variables = Variables()
    for path, documents in loaded.items():
        whole_file = "/defaults/" in path or "/vars/" in path or "group_vars/" in path or "host_vars/" in path
        variables.add_file(documents, whole_file)
    wrappers = shell_wrappers(root, files)
    uses = []
    for path, documents in loaded.items():
        if not path.startswith("inventory/"):
            uses.extend(_ansible_uses(path, documents, variables))
    for path in files:
        full = os.path.join(root, path)
        if path.endswith(".sh") and path.split("/")[0] in SHELL_DIRS or path == ".ci/run":
            with open(full, encoding="utf-8") as stream:
                words = shell_commands.command_words(stream.read(), wrappers=wrappers)
            uses.extend(Use(w.text, path, w.line, "shell") for w in words)
        elif path == "Makefile":
            with open(full, encoding="utf-8") as stream:
                uses.extend(_makefile_uses(path, stream.read()))
        elif path.endswith(".py") and (path.split("/")[0] in PYTHON_DIRS or "/" not in path):
            with open(full, encoding="utf-8") as stream:
                try:
                    tree = ast.parse(stream.read())
                except SyntaxError:
                    continue
            visitor = _PythonCalls(path, tree)
            visitor.visit(tree)
            uses.extend(visitor.uses)
    return uses


def shell_wrappers(root, files):
    """The scripts' functions that run their arguments as a command (see shell_commands)."""
    wrappers = {}
    for path in files:
        if path.endswith(".sh"):
            with open(os.path.join(root, path), encoding="utf-8") as stream:
                wrappers.update(shell_commands.function_wrappers(stream.read()))
    return wrappers


def shell_functions(root):
    """Names of the functions that the repository's shell scripts define."""
    names = set()
    for path in tracked_files(root):
        if path.endswith(".sh") or path == ".ci/run":
            with open(os.path.join(root, path), encoding="utf-8") as stream:
                names |= shell_commands.function_names(stream.read())
    return names
