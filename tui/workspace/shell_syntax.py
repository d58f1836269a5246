"""Finding shell syntax in a command that will run without a shell.

Without `shell: true` a command is split into words (as a POSIX shell would) and run directly,
so `echo a; exit 3` prints "a; exit 3" and succeeds. Rather than guess what was meant, the
runbook check refuses such a command and names `shell: true`. Quoted text is left alone:
`python -c 'print(1); print(2)'` is one program and its arguments.
"""

from __future__ import annotations

import re

_OPERATORS = ("&&", "||", ";;", ">>", "<<", "&>", ";", "|", "&", "<", ">", "(", ")")
_KEYWORDS = {"for", "while", "until", "if", "case", "function", "{", "!", "[["}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_NAME_START = re.compile(r"[A-Za-z_{(0-9#?*@!$-]")
# Every character the scan below can stop at or that changes how it reads what follows; a command
# with none of them is plain words (most validation commands), found in one pass instead of a loop.
_MEANINGFUL = re.compile(r"[$`\\'\"\n#~*?&|;<>()]")
_OPERATOR_START = frozenset(op[0] for op in _OPERATORS)


def shell_syntax(command: str) -> str | None:
    """What in `command` only a shell understands, as a phrase (e.g. "`;`"), or None."""
    command = command.strip()  # a YAML block scalar (`|`) ends in a line break that means nothing
    first_word = _first_word(command)
    if first_word is not None:
        if first_word in _KEYWORDS:
            return f"the shell keyword `{first_word}`"
        if _ASSIGNMENT.match(first_word):
            return "a variable assignment before the command"
    if _MEANINGFUL.search(command) is None:
        return None
    quote = ""
    at_word_start = True
    index = 0
    while index < len(command):
        char = command[index]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\" and quote != "'":
            index += 2  # the escaped character is literal, as in a shell
            at_word_start = False
            continue
        elif char in "$`":
            found = _expansion(command, index)
            if found:
                return found
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "\n":
            return "a line break (several commands)"
        elif char == "#" and at_word_start:
            return "a `#` comment"
        elif char == "~" and at_word_start:
            return "a `~` home folder"
        elif char in "*?":
            return f"the `{char}` wildcard"
        elif char in _OPERATOR_START:
            operator = next((op for op in _OPERATORS if command.startswith(op, index)), None)
            if operator is not None:
                return f"`{operator}`"
        at_word_start = char.isspace() and not quote
        index += 1
    return None


def _expansion(command: str, index: int) -> str | None:
    if command[index] == "`":
        return "a `` ` `` command substitution"
    following = command[index + 1 : index + 2]
    if following == "(":
        return "a `$(` command substitution"
    if following and _NAME_START.match(following):
        return "a `$` variable"
    return None  # a lone `$` is literal in a shell too


def _first_word(command: str) -> str | None:
    words = command.split()
    return words[0] if words else None
