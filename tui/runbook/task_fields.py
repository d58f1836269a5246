"""Reading one task mapping (a runbook entry or a detail file) into values that remember their nodes.

The loader merges an entry with its detail file and builds the Task; cross-task checks (ids,
dependencies, templates) need the nodes to point at the exact characters, hence `Written`.
Values that become models (commands, context files, last_run, issues) are read as the checked
fields of their model, a dict; tui.runbook.build makes the models, so that checking a runbook
alone needs no pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tui.errors import Location
from tui.runbook.node_reader import FLOAT_TAG, INT_TAG, NULL_TAG, SCALARS, NodeReader, describe, is_null
from tui.runbook.vocabulary import STATUSES, TASK_TYPES, is_output_parser
from tui.workspace.shell_syntax import shell_syntax


@dataclass(slots=True)
class Written:
    """A value read from a file, with the node it came from."""

    value: Any
    node: Node
    reader: NodeReader

    @property
    def location(self) -> Location:
        return self.reader.at(self.node)


TASK_KEYS = (
    "id", "name", "group", "status", "depends_on", "type", "task_detail_file", "description",
    "ai_details", "output_artifact", "manual_instructions", "script_details", "validation_command",
    "commit", "last_run", "issues",
)  # fmt: skip
AI_KEYS = (
    "model", "prompt_template", "input_context", "context_files", "files_to_modify", "output_parser",
    "output_artifact", "review_points", "fallback_prompt_template", "context_budget", "max_new_tokens",
    "temperature", "system_template",
)  # fmt: skip
DEFAULT_KEYS = (
    "model", "system_template", "context_budget", "max_new_tokens", "temperature", "validation_command", "commit",
)  # fmt: skip
_COMMAND_KEYS = ("command", "shell", "timeout")
_MISPLACED = {key: " (it belongs under `ai_details`)" for key in AI_KEYS if key not in TASK_KEYS}
_LAST_RUN_TEXT = ("timestamp", "outcome", "llm_response", "model")
_LAST_RUN_INT = ("tokens_in", "tokens_out")
_LAST_RUN_FLOAT = ("cost_estimate", "tokens_per_second")
_ISSUE_TEXT = ("timestamp", "type", "detail", "resolution")


def read_task_mapping(reader: NodeReader, node: MappingNode, where: str) -> dict[str, Written]:
    """The known keys of a task mapping, read and checked; unknown keys are warnings."""
    out: dict[str, Written] = {}
    for key, key_node, value in reader.pairs(node):
        read = _TASK_READERS.get(key)
        if read is None:
            reader.unknown_key(key_node, where, TASK_KEYS, _MISPLACED.get(key, ""))
            continue
        parsed = read(reader, value)
        if parsed is not _INVALID:
            out[key] = Written(parsed, value, reader)
    return out


def read_ai_details(reader: NodeReader, node: Node) -> Any:
    mapping = reader.mapping(node, "ai_details")
    if mapping is None:
        return _INVALID
    out: dict[str, Written] = {}
    for key, key_node, value in reader.pairs(mapping):
        read = _AI_READERS.get(key)
        if read is None:
            reader.unknown_key(key_node, "ai_details", AI_KEYS)
            continue
        parsed = read(reader, value)
        if parsed is not _INVALID:
            out[key] = Written(parsed, value, reader)
    return out


def read_defaults(reader: NodeReader, node: Node) -> dict[str, Written]:
    mapping = reader.mapping(node, "defaults")
    out: dict[str, Written] = {}
    if mapping is None:
        return out
    for key, key_node, value in reader.pairs(mapping):
        read = _DEFAULT_READERS.get(key)
        if read is None:
            reader.unknown_key(key_node, "defaults", DEFAULT_KEYS)
            continue
        parsed = read(reader, value)
        if parsed is not _INVALID:
            out[key] = Written(parsed, value, reader)
    return out


_INVALID = object()  # the value was wrong; a problem has been logged


def _or_invalid(value: Any, node: Node) -> Any:
    return _INVALID if value is None and not is_null(node) else value


def _text(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        return _or_invalid(reader.text(node, what), node)

    return read


def _required_text(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        value = reader.text(node, what, allow_null=False)
        if value is not None and not value.strip():
            reader.error(node, f"{what} must not be empty.")
            return _INVALID
        return _INVALID if value is None else value

    return read


def _choice(what: str, choices: tuple[str, ...]):
    def read(reader: NodeReader, node: Node) -> Any:
        value = reader.text(node, what, allow_null=False)
        if value is None:
            return _INVALID
        if value not in choices:
            hint = f" (did you mean {value.upper()}?)" if value.upper() in choices else ""
            reader.error(node, f"unknown {what} `{value}`{hint}; use one of {', '.join(choices)}.")
            return _INVALID
        return value

    return read


def _text_list(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        items = reader.text_list(node, what)
        return _INVALID if items is None else items

    return read


def _plain_text_list(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        items = reader.text_list(node, what)
        return _INVALID if items is None else [text for text, _ in items]

    return read


def _integer(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        value = reader.integer(node, what)
        if value is not None and value <= 0:
            reader.error(node, f"{what} must be more than 0, not {value}.")
            return _INVALID
        return _or_invalid(value, node)

    return read


def _number(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        return _or_invalid(reader.number(node, what), node)

    return read


def _flag(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        return _or_invalid(reader.flag(node, what), node)

    return read


def _command(what: str):
    def read(reader: NodeReader, node: Node) -> Any:
        if is_null(node):
            return None
        if isinstance(node, ScalarNode):
            if not node.value.strip():
                reader.error(node, f"{what} must not be empty.")
                return _INVALID
            if not _runs_without_a_shell(reader, node, what, "write it as `{command: ..., shell: true}`"):
                return _INVALID
            return {"command": node.value}
        mapping = reader.mapping(node, what)
        if mapping is None:
            return _INVALID
        fields: dict[str, Any] = {"shell": False, "timeout": None}
        ok = True
        command_node = None
        for key, key_node, value in reader.pairs(mapping):
            if key == "command":
                command_node = value
                fields["command"] = reader.text(value, f"{what}.command", allow_null=False)
            elif key == "shell":
                fields["shell"] = bool(reader.flag(value, f"{what}.shell"))
            elif key == "timeout":
                timeout = reader.number(value, f"{what}.timeout")
                if timeout is not None and timeout <= 0:
                    reader.error(value, f"{what}.timeout must be more than 0 seconds.")
                    ok = False
                fields["timeout"] = timeout
            else:
                reader.unknown_key(key_node, what, _COMMAND_KEYS)
        if not fields.get("command"):
            if "command" not in fields:
                reader.error(mapping, f"{what} needs a `command`.")
            return _INVALID
        if not fields["shell"] and command_node is not None:
            ok = _runs_without_a_shell(reader, command_node, f"{what}.command", "add `shell: true`") and ok
        return fields if ok else _INVALID

    return read


def _runs_without_a_shell(reader: NodeReader, node: Node, what: str, remedy: str) -> bool:
    """False (and an error) when a command that runs without a shell is written in shell syntax."""
    found = shell_syntax(node.value) if isinstance(node, ScalarNode) else None
    if found is None:
        return True
    reader.error(
        node,
        f"{what} uses shell syntax ({found}) but runs without a shell, so it would not mean what it "
        f"says: {remedy} to run it with /bin/sh, or quote that part if it is meant literally.",
    )
    return False


def _read_context_files(reader: NodeReader, node: Node) -> Any:
    if is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        reader.error(node, f"context_files must be a list of {{path, lines}}, not {describe(node)}.")
        return _INVALID
    files = []
    for item in node.value:
        if isinstance(item, ScalarNode) and not is_null(item):
            files.append({"path": item.value})
            continue
        mapping = reader.mapping(item, "each item of context_files")
        if mapping is None:
            continue
        path = lines = None
        for key, key_node, value in reader.pairs(mapping):
            if key == "path":
                path = reader.text(value, "context_files path", allow_null=False)
            elif key == "lines":
                lines = _read_line_range(reader, value)
            else:
                reader.unknown_key(key_node, "context_files", ("path", "lines"))
        if path is None:
            reader.error(item, "each item of context_files needs a `path`.")
            continue
        files.append({"path": path, "lines": lines})
    return files


def _read_line_range(reader: NodeReader, node: Node) -> str | None:
    text = reader.text(node, "lines")
    if text is None:
        return None
    first, dash, last = text.replace(" ", "").partition("-")
    if (
        first.isdigit()
        and int(first) > 0
        and (not dash or not last or (last.isdigit() and int(last) >= int(first)))
    ):
        return text.replace(" ", "")
    reader.error(node, f'lines must look like "45-80", "45" or "45-", not {text!r}.')
    return None


def _read_input_context(reader: NodeReader, node: Node) -> Any:
    if is_null(node):
        return {}
    mapping = reader.mapping(node, "input_context")
    if mapping is None:
        return _INVALID
    value = reader.plain_value(mapping, "input_context")
    if value is None:
        return _INVALID
    bad = [key for key in value if not isinstance(key, str)]
    if bad:
        reader.error(mapping, f"input_context keys are template variables and must be text, not {bad[0]!r}.")
        return _INVALID
    return value


def _read_output_parser(reader: NodeReader, node: Node) -> Any:
    value = reader.text(node, "output_parser", allow_null=False)
    if value is None:
        return _INVALID
    if not is_output_parser(value):
        choices = (
            "auto, unified_diff, search_replace, apply_patch, whole_file, code_block, "
            "<language>_code_block, json, text"
        )
        reader.error(node, f"unknown output_parser `{value}`; use one of {choices}.")
        return _INVALID
    return value


def _history_fields(reader: NodeReader, mapping: MappingNode, what: str, text_keys, int_keys, float_keys):
    """Machine-written history: wrong types are warnings (the value is kept in `extra`), never errors."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, _, value in reader.pairs(mapping):
        if key in text_keys and isinstance(value, ScalarNode):
            fields[key] = None if is_null(value) else value.value
            continue
        plain = _plain_scalar(value)
        if plain is _INVALID:
            plain = reader.plain_value(value, f"{what}.{key}")
        if key in int_keys and (plain is None or (isinstance(plain, int) and not isinstance(plain, bool))):
            fields[key] = plain
        elif key in float_keys and (
            plain is None or (isinstance(plain, (int, float)) and not isinstance(plain, bool))
        ):
            fields[key] = None if plain is None else float(plain)
        else:
            if key in text_keys or key in int_keys or key in float_keys:
                reader.warning(
                    value, f"{what}.{key} has an unexpected value {describe(value)}; it is kept as is."
                )
            extra[key] = plain
    fields["extra"] = extra
    return fields


def _plain_scalar(node: Node) -> Any:
    """Numbers and nulls without PyYAML's general constructor (history blocks are mostly these)."""
    if isinstance(node, ScalarNode):
        if node.tag == INT_TAG:
            return _to_int(node)
        if node.tag == FLOAT_TAG:
            return _to_float(node)
        if node.tag == NULL_TAG:
            return None
    return _INVALID


def _to_int(node: ScalarNode) -> Any:
    try:
        return SCALARS.construct_yaml_int(node)
    except (ValueError, TypeError):
        return _INVALID


def _to_float(node: ScalarNode) -> Any:
    try:
        return SCALARS.construct_yaml_float(node)
    except (ValueError, TypeError, OverflowError):
        return _INVALID


def _read_last_run(reader: NodeReader, node: Node) -> Any:
    if is_null(node):
        return None
    mapping = reader.mapping(node, "last_run")
    if mapping is None:
        return _INVALID
    fields = _history_fields(reader, mapping, "last_run", _LAST_RUN_TEXT, _LAST_RUN_INT, _LAST_RUN_FLOAT)
    return fields


def _read_issues(reader: NodeReader, node: Node) -> Any:
    if is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        reader.error(node, f"issues must be a list, not {describe(node)}.")
        return _INVALID
    issues = []
    for item in node.value:
        mapping = reader.mapping(item, "each item of issues")
        if mapping is not None:
            issues.append(_history_fields(reader, mapping, "issues", _ISSUE_TEXT, (), ()))
    return issues


_TASK_READERS = {
    "id": _required_text("id"),
    "name": _required_text("name"),
    "group": _text("group"),
    "status": _choice("status", STATUSES),
    "depends_on": _text_list("depends_on"),
    "type": _choice("type", TASK_TYPES),
    "task_detail_file": _required_text("task_detail_file"),
    "description": _text("description"),
    "ai_details": read_ai_details,
    "output_artifact": _text("output_artifact"),
    "manual_instructions": _text("manual_instructions"),
    "script_details": _command("script_details"),
    "validation_command": _command("validation_command"),
    "commit": _flag("commit"),
    "last_run": _read_last_run,
    "issues": _read_issues,
}
_AI_READERS = {
    "model": _required_text("model"),
    "prompt_template": _required_text("prompt_template"),
    "input_context": _read_input_context,
    "context_files": _read_context_files,
    "files_to_modify": _plain_text_list("files_to_modify"),
    "output_parser": _read_output_parser,
    "output_artifact": _text("output_artifact"),
    "review_points": _plain_text_list("review_points"),
    "fallback_prompt_template": _required_text("fallback_prompt_template"),
    "context_budget": _integer("context_budget"),
    "max_new_tokens": _integer("max_new_tokens"),
    "temperature": _number("temperature"),
    "system_template": _required_text("system_template"),
}
_DEFAULT_READERS = {key: _AI_READERS.get(key) or _TASK_READERS[key] for key in DEFAULT_KEYS}
