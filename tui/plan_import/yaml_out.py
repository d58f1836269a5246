"""Readable, deterministic YAML for the runbook files: ids always double-quoted, lists of ids in flow
style, multi-line text as `|` block scalars (PyYAML falls back to quoting when a block cannot hold it)."""

from __future__ import annotations

from typing import Any

import yaml


class QuotedId(str):
    """A task id: always written quoted, so `1.10` never reads back as the number 1.1."""


class FlowList(list):
    """A short list written on one line: `depends_on: ["1.1", "1.2"]`."""


class _IndentedDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # indent list items under their key, as people write them by hand
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=style)


def _represent_id(dumper: yaml.SafeDumper, data: QuotedId) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _represent_flow(dumper: yaml.SafeDumper, data: FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


_IndentedDumper.add_representer(str, _represent_str)
_IndentedDumper.add_representer(QuotedId, _represent_id)
_IndentedDumper.add_representer(FlowList, _represent_flow)


def dump(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10**6,
        indent=2,
    )


def dump_list_item(item: dict[str, Any], indent: int = 2) -> str:
    """One entry of a block list, indented by `indent` spaces (block scalars keep their shape)."""
    text = dump([item])
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))
