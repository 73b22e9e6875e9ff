"""The command words of a shell script: what it runs, as far as reading it can tell.

Not a full shell parser: enough of bash's grammar for the scripts of this repository and the
shell blocks of its Ansible tasks. It skips comments, here-document bodies, assignments,
redirections, `[[ ]]` and `(( ))` tests, case patterns and function names, follows wrappers such
as `timeout 5 curl` and `setsid cmd`, and reads `$(...)`, backquotes and `<(...)` as scripts
of their own. Every command word is returned with its line, still quoted as written.
"""

import re

KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time", "esac"}
# Builtins and keywords never name a program to install.
BUILTINS = set(
    """alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown
    echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout
    mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times
    trap true type typeset ulimit umask unalias unset wait . : [""".split()
)
# Commands that run the command after their own options (and, for some, a fixed number of words).
WRAPPERS = {
    "exec": 0, "nohup": 0, "setsid": 0, "sudo": 0, "env": 0, "nice": 0, "stdbuf": 0, "xargs": 0,
    "timeout": 1, "flock": 1, "command": 0,
}
# Options of the wrappers that take a value as the next word.
WRAPPER_OPTIONS_WITH_VALUE = {"-s", "-k", "-n", "-I", "-P", "-d", "-L", "-a", "-u", "-g", "-w", "-E", "-i", "-o", "-e"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
REDIRECTION = re.compile(r"([0-9]*|&)(>>|>&|>\||>|<<<|<<-|<<|<&|<>|<)")
OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "&", "|", "(", ")")


class Word:
    """A word as written (quotes kept) and the line it starts on."""

    def __init__(self, text, line):
        self.text = text
        self.line = line

    def __repr__(self):
        return "Word(%r, %d)" % (self.text, self.line)


class Operator(Word):
    """A control operator, or a newline (text "\\n")."""


class Tokens:
    """Splits a script into words and operators; collects nested scripts ($(...), `...`, <(...))."""

    def __init__(self, script, first_line=1):
        self.src = script
        self.pos = 0
        self.line = first_line
        self.tokens = []
        self.nested = []  # (script, line) of every command substitution
        self.heredocs = []  # delimiters waiting for the end of the current line

    def run(self):
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "\n":
                self._newline()
            elif char in " \t":
                self.pos += 1
            elif char == "\\" and self.src.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
            elif char == "#":
                self._skip_to_line_end()
            elif self.src.startswith("((", self.pos):
                self._skip_balanced("((", "))")
            else:
                self._operator_or_word()
        return self.tokens

    def _newline(self):
        self.tokens.append(Operator("\n", self.line))
        self.pos += 1
        self.line += 1
        for strip_tabs, delimiter in self.heredocs:
            self._skip_heredoc_body(delimiter, strip_tabs)
        self.heredocs = []

    def _skip_to_line_end(self):
        end = self.src.find("\n", self.pos)
        self.pos = len(self.src) if end < 0 else end

    def _skip_heredoc_body(self, delimiter, strip_tabs):
        while self.pos < len(self.src):
            end = self.src.find("\n", self.pos)
            end = len(self.src) if end < 0 else end
            line = self.src[self.pos:end]
            self.pos = min(end + 1, len(self.src))
            self.line += 1
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                return

    def _skip_balanced(self, opening, closing):
        depth = 0
        while self.pos < len(self.src):
            if self.src.startswith(opening, self.pos):
                depth += 1
                self.pos += len(opening)
            elif self.src.startswith(closing, self.pos):
                depth -= 1
                self.pos += len(closing)
                if depth == 0:
                    return
            else:
                self.line += self.src[self.pos] == "\n"
                self.pos += 1

    def _operator_or_word(self):
        redirection = REDIRECTION.match(self.src, self.pos)
        if redirection and not self.src.startswith(("<(", ">("), self.pos):
            self.pos = redirection.end()
            self._redirection(redirection.group(2))
            return
        for operator in OPERATORS:
            if self.src.startswith(operator, self.pos):
                self.tokens.append(Operator(operator, self.line))
                self.pos += len(operator)
                return
        word = self._word()
        if not word.text:  # a character no rule knows: step over it rather than loop
            self.pos += 1
            return
        self.tokens.append(word)

    def _redirection(self, operator):
        """Skips the target of a redirection; a here-document's body is skipped at the line's end."""
        while self.pos < len(self.src) and self.src[self.pos] in " \t":
            self.pos += 1
        if operator in ("<<", "<<-"):
            target = self._word().text
            self.heredocs.append((operator == "<<-", re.sub(r"[\"'\\]", "", target)))
        else:
            self._word()

    def _word(self):
        start, line = self.pos, self.line
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char in " \t\n;&|<>" or (char in "()" and not self._array_open(start)):
                if char in "<>" and self.src.startswith(("<(", ">("), self.pos):
                    self._substitution(self.pos + 1, "(", ")")
                    continue
                break
            if char == "\\":
                self.pos += 2
            elif char == "'":
                self._skip_past("'", self.pos + 1)
            elif char == '"':
                self._double_quoted()
            elif char == "`":
                end = self.src.find("`", self.pos + 1)
                end = len(self.src) if end < 0 else end
                self.nested.append((self.src[self.pos + 1:end], self.line))
                self._count_lines(self.pos, end + 1)
                self.pos = end + 1
            elif char == "$":
                self._dollar()
            elif char == "(":  # array literal of an assignment: name=( ... )
                self._skip_parenthesised()
            else:
                self.pos += 1
        return Word(self.src[start:self.pos], line)

    def _array_open(self, start):
        return self.src[self.pos] == "(" and self.src[start:self.pos].endswith("=")

    def _skip_parenthesised(self):
        depth = 0
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char in "'\"":
                if char == "'":
                    self._skip_past("'", self.pos + 1)
                else:
                    self._double_quoted()
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            self.line += char == "\n"
            self.pos += 1
            if depth == 0:
                return

    def _skip_past(self, char, start):
        end = self.src.find(char, start)
        end = len(self.src) if end < 0 else end
        self._count_lines(self.pos, end + 1)
        self.pos = end + 1

    def _count_lines(self, start, end):
        self.line += self.src.count("\n", start, end)

    def _double_quoted(self):
        self.pos += 1
        while self.pos < len(self.src) and self.src[self.pos] != '"':
            char = self.src[self.pos]
            if char == "\\":
                self.pos += 2
            elif char == "$":
                self._dollar()
            elif char == "`":
                end = self.src.find("`", self.pos + 1)
                end = len(self.src) if end < 0 else end
                self.nested.append((self.src[self.pos + 1:end], self.line))
                self.pos = end + 1
            else:
                self.line += char == "\n"
                self.pos += 1
        self.pos += 1

    def _dollar(self):
        if self.src.startswith("$((", self.pos):
            self.pos += 1
            self._skip_balanced("((", "))")
        elif self.src.startswith("$(", self.pos):
            self._substitution(self.pos + 1, "(", ")")
        elif self.src.startswith("${", self.pos):
            self.pos += 1
            self._skip_braces()
        else:
            self.pos += 1

    def _skip_braces(self):
        depth = 0
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "$" and self.src.startswith("$(", self.pos):
                self._substitution(self.pos + 1, "(", ")")
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            self.pos += 1
            if depth == 0:
                return

    def _substitution(self, open_at, opening, closing):
        """Records the script inside $( ) or <( ) and moves past it."""
        depth, pos, line = 0, open_at, self.line
        while pos < len(self.src):
            char = self.src[pos]
            if char == "'":
                pos = self.src.find("'", pos + 1)
                pos = len(self.src) if pos < 0 else pos
            elif char == "\\":
                pos += 1
            elif char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    break
            pos += 1
        self.nested.append((self.src[open_at + 1:pos], line))
        self._count_lines(self.pos, pos + 1)
        self.pos = pos + 1


def command_words(script, first_line=1, wrappers=None):
    """Every command word of the script and its nested scripts: a list of Word, in order of lines.

    wrappers: the script's own functions that run their arguments (function_wrappers()).
    """
    lexer = Tokens(script, first_line)
    tokens = lexer.run()
    every_wrapper = dict(WRAPPERS, **(wrappers or {}))
    words = _commands(tokens, every_wrapper)
    for nested, line in lexer.nested:
        words.extend(command_words(nested, line, wrappers))
    return sorted(words, key=lambda word: word.line)


FUNCTION_START = re.compile(r"^(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?\s*$", re.M)
RUNS_ITS_ARGUMENTS = re.compile(r'(^\s*|[;&|(]\s*|\b(?:until|while|if|then|do|exec)\s+)"\$@"', re.M)


def function_wrappers(script):
    """Functions that run "$@" (after `shift N`): {name: N}, so that `wait_for x 10 curl ...` counts curl."""
    wrappers = {}
    for match in FUNCTION_START.finditer(script):
        end = script.find("\n}", match.end())
        body = script[match.end():end if end >= 0 else len(script)]
        if RUNS_ITS_ARGUMENTS.search(body):
            shift = re.search(r"\bshift\s+(\d+)", body)
            wrappers[match.group(1)] = int(shift.group(1)) if shift else int(bool(re.search(r"\bshift\b", body)))
    return wrappers


def function_names(script):
    """Names of the functions a script defines."""
    tokens = Tokens(script).run()
    names = set()
    for index, token in enumerate(tokens):
        if isinstance(token, Operator):
            continue
        if token.text == "function" and index + 1 < len(tokens):
            names.add(tokens[index + 1].text)
        elif tokens[index + 1:index + 3] and [t.text for t in tokens[index + 1:index + 3]] == ["(", ")"]:
            names.add(token.text)
    return names


def _commands(tokens, wrappers):
    found = []
    state = "command"  # command | arguments | case-word | pattern | for-list | test
    index = 0
    while index < len(tokens):
        token = tokens[index]
        text = token.text
        index += 1
        if state == "test":
            if text in ("]]", "))"):
                state = "arguments"
            continue
        if state == "case-word":
            if text == "in":
                state = "pattern"
            continue
        if state == "pattern":
            if text == "esac":
                state = "arguments"
            elif isinstance(token, Operator) and text == ")":
                state = "command"
            continue
        if state == "for-list":
            if text == "do":
                state = "command"
            continue
        if isinstance(token, Operator):
            if text in (";;", ";&", ";;&"):
                state = "pattern"
            elif text in ("\n", ";", "&", "&&", "||", "|", "|&", "(", ")"):
                if state != "pattern":
                    state = "command"
            continue
        if state != "command":
            continue
        if text in KEYWORDS:
            continue
        if text == "case":
            state = "case-word"
            continue
        if text in ("for", "select"):
            state = "for-list"
            continue
        if text == "[[":
            state = "test"
            continue
        if text == "function" or (index + 1 < len(tokens) and [t.text for t in tokens[index:index + 2]] == ["(", ")"]):
            index += 2 if text != "function" else 1
            continue
        if ASSIGNMENT.match(text):
            continue
        state = "arguments"
        index = _after_wrappers(tokens, index - 1, found, wrappers)
    return found


def _after_wrappers(tokens, index, found, wrappers):
    """Records the command at index (and what a wrapper runs); returns the index after it."""
    while index < len(tokens) and not isinstance(tokens[index], Operator):
        word = tokens[index]
        name = word.text.strip("'\"")
        if name == "command" and index + 1 < len(tokens) and tokens[index + 1].text in ("-v", "-V"):
            return index + 1  # a lookup, not a run
        if name not in BUILTINS:
            found.append(word)  # a wrapper such as timeout is a program too
        if name not in wrappers:
            return index + 1
        positional = wrappers[name]
        options = name in WRAPPERS
        index += 1
        while index < len(tokens) and not isinstance(tokens[index], Operator):
            text = tokens[index].text
            if text.startswith("-") and options:
                index += 2 if text in WRAPPER_OPTIONS_WITH_VALUE else 1
            elif ASSIGNMENT.match(text) and name in ("env", "sudo"):
                index += 1
            elif positional > 0:
                positional -= 1
                index += 1
            else:
                break
    return index
