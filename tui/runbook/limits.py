"""What Patchbay refuses to read, so that hostile or runaway YAML fails fast with one sentence.

A runbook is loaded in seconds when it is within these limits (10,000 tasks is about 2 MB); beyond
them a file is refused before it can take minutes or gigabytes: a huge file, a huge task list, a
YAML alias bomb ("billion laughs": a few lines whose aliases expand to billions of values), or
nesting deeper than libyaml reads.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TASKS = 25_000
MAX_EXPANDED_VALUES = 1_000_000
MAX_DEPTH = 1_000  # libyaml's own limit ("exceeded maximum nesting depth")


def too_big(size: int) -> str | None:
    """The sentence refusing a file of `size` bytes, or None when it may be read."""
    if size <= MAX_FILE_BYTES:
        return None
    return f"the file is {size / 1e6:,.1f} MB; Patchbay reads YAML files of at most {MAX_FILE_BYTES // 2**20} MB."


def too_many_tasks(count: int) -> str | None:
    if count <= MAX_TASKS:
        return None
    return f"the runbook has {count:,} tasks; Patchbay loads at most {MAX_TASKS:,} (split it into several runbooks)."


def too_deep() -> str:
    return f"the YAML is nested more than {MAX_DEPTH:,} levels deep, the most Patchbay reads."


def alias_bomb() -> str:
    return (
        f"the YAML's aliases expand to more than {MAX_EXPANDED_VALUES:,} values (an alias bomb?); "
        f"Patchbay reads at most {MAX_EXPANDED_VALUES:,}."
    )


def expands_too_far(root: Node, text: str) -> bool:
    """True when the composed document, with every alias expanded, holds too many values.

    A composed alias is the anchored node itself, so the graph is walked once with each node's
    expanded size remembered; files without a single `&` have no anchors and are not walked.
    """
    if "&" not in text:
        return False
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, (MappingNode, SequenceNode)):
            children = (
                [part for pair in node.value for part in pair]
                if isinstance(node, MappingNode)
                else node.value
            )
            if not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in children if id(child) not in sizes)
                continue
            size = 1 + sum(sizes.get(id(child), 1) for child in children)
        else:
            size = 1
        sizes[id(node)] = size
        if size > MAX_EXPANDED_VALUES:
            return True
    return False


def events_expand_too_far(events: list[yaml.Event]) -> bool:
    """Like `expands_too_far`, on parser events (what the careful writer has)."""
    anchored: dict[str, int] = {}
    open_sizes: list[int] = []
    open_anchors: list[str | None] = []
    for event in events:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            open_sizes.append(1)
            open_anchors.append(event.anchor)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            size, anchor = open_sizes.pop(), open_anchors.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = anchored.get(event.anchor, 1), None
        else:
            continue
        if anchor is not None:
            anchored[anchor] = size
        if open_sizes:
            open_sizes[-1] += size
        if size > MAX_EXPANDED_VALUES or (open_sizes and open_sizes[-1] > MAX_EXPANDED_VALUES):
            return True
    return False
