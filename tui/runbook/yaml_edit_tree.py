"""A YAML document as a tree of nodes that remember where their characters are.

Built from parser events rather than `yaml.compose` because the composer replaces an alias with
the anchored node (whose position is elsewhere in the file), and the careful writer needs to know
where every value's own characters start and end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

try:  # libyaml is much faster; the pure parser gives the same marks (indexes count code points)
    PARSER_LOADER: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    PARSER_LOADER = yaml.SafeLoader

BLANKS = " \t\r\n"


class EditRefused(Exception):
    """The text cannot be changed safely; carries one sentence and, where known, a 1-based line/column."""

    def __init__(self, sentence: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.line = line
        self.column = column


@dataclass
class Node:
    """Common position data. `start`/`end` index the text; `line`/`column` are 0-based."""

    start: int
    end: int
    line: int
    column: int
    first_event: int = 0  # the node's events are events[first_event : last_event + 1]
    last_event: int = 0


@dataclass
class Scalar(Node):
    value: str = ""
    style: str = ""  # "" plain, "'" single, '"' double, "|" literal, ">" folded
    value_start: int = 0  # where the scalar's own characters start (after any &anchor / !tag)


@dataclass
class Alias(Node):
    pass


@dataclass
class Mapping(Node):
    flow: bool = False
    pairs: list[tuple[Node, Node]] = field(default_factory=list)


@dataclass
class Sequence(Node):
    flow: bool = False
    items: list[Node] = field(default_factory=list)


def parse_tree(text: str) -> Node | None:
    """The single document in `text` as positioned nodes (None for an empty document)."""
    return parse_document(text)[0]


def parse_document(text: str) -> tuple[Node | None, list[yaml.Event]]:
    """Like `parse_tree`, also returning the parser events the nodes index into."""
    try:
        events = list(yaml.parse(text, Loader=PARSER_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise EditRefused(
            f"the YAML cannot be read ({problem}); nothing was written.", line, column
        ) from None
    except yaml.YAMLError as exc:
        raise EditRefused(f"the YAML cannot be read ({exc}); nothing was written.") from None
    documents = sum(isinstance(event, yaml.DocumentStartEvent) for event in events)
    if documents > 1:
        raise EditRefused("the file holds more than one YAML document; nothing was written.")
    root: list[Node] = []
    stack: list[Mapping | Sequence] = []
    pending_key: list[Node | None] = []

    def attach(node: Node) -> None:
        if not stack:
            root.append(node)
            return
        parent = stack[-1]
        if isinstance(parent, Sequence):
            parent.items.append(node)
        elif pending_key[-1] is None:
            pending_key[-1] = node
        else:
            parent.pairs.append((pending_key[-1], node))
            pending_key[-1] = None

    for number, event in enumerate(events):
        start, end = event.start_mark, event.end_mark
        if isinstance(event, yaml.ScalarEvent):
            style = event.style or ""
            attach(
                Scalar(
                    start.index,
                    end.index,
                    start.line,
                    start.column,
                    first_event=number,
                    last_event=number,
                    value=event.value,
                    style=style,
                    value_start=_skip_properties(text, start.index, end.index, style),
                )
            )
        elif isinstance(event, yaml.AliasEvent):
            attach(Alias(start.index, end.index, start.line, start.column, number, number))
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            kind = Mapping if isinstance(event, yaml.MappingStartEvent) else Sequence
            node = kind(start.index, end.index, start.line, start.column, number, flow=bool(event.flow_style))
            attach(node)
            stack.append(node)
            pending_key.append(None)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            node = stack.pop()
            pending_key.pop()
            node.end = end.index  # exact after "}" / "]"; for block collections only approximate
            node.last_event = number
    return (root[0] if root else None), events


def _skip_properties(text: str, index: int, end: int, style: str) -> int:
    """Step over `&anchor` and `!tag` in front of a scalar so an edit keeps them."""
    if style in ("'", '"'):
        found = text.find(style, index, end)
        return found if found >= 0 else index
    while index < end and text[index] in "&!":
        while index < end and text[index] not in BLANKS:
            index += 1
        while index < end and text[index] in BLANKS:
            index += 1
    return index


def text_end(node: Node, text: str) -> int:
    """Index just after the last character that belongs to `node` (comments excluded)."""
    if isinstance(node, Scalar) and node.style in ("|", ">"):
        # a block scalar's end mark lies past its trailing line breaks and blank lines
        index = node.end
        while index > node.value_start + 1 and text[index - 1] in BLANKS:
            index -= 1
        return index
    if isinstance(node, Mapping) and not node.flow and node.pairs:
        return text_end(node.pairs[-1][1], text)
    if isinstance(node, Sequence) and not node.flow and node.items:
        return text_end(node.items[-1], text)
    return node.end


def lookup(mapping: Mapping, key: str, what: str) -> tuple[Node, Node] | None:
    """The (key, value) pair named `key`, refusing a key written twice (loaders keep only one)."""
    found = [pair for pair in mapping.pairs if isinstance(pair[0], Scalar) and pair[0].value == key]
    if len(found) > 1:
        second = found[1][0]
        raise EditRefused(
            f"{what} has the key `{key}` twice; remove one.", second.line + 1, second.column + 1
        )
    return found[0] if found else None


def find_task(root: Node | None, task_id: str) -> tuple[int, Mapping]:
    """The entry of the top-level `tasks:` list whose `id` is `task_id`, with its index."""
    if not isinstance(root, Mapping):
        raise EditRefused("the file is not a YAML mapping with a `tasks:` list.")
    pair = lookup(root, "tasks", "the runbook")
    if pair is None:
        raise EditRefused("the file has no `tasks:` list.")
    tasks = pair[1]
    if not isinstance(tasks, Sequence):
        raise EditRefused("`tasks:` is not a list.", tasks.line + 1, tasks.column + 1)
    matches: list[tuple[int, Mapping]] = []
    for index, entry in enumerate(tasks.items):
        if not isinstance(entry, Mapping):
            continue
        id_pair = lookup(entry, "id", f"task entry {index + 1}")
        # the id is compared as written: a plain `1.10` is the string "1.10", not the number 1.1
        if id_pair is not None and isinstance(id_pair[1], Scalar) and id_pair[1].value == task_id:
            matches.append((index, entry))
    if not matches:
        raise EditRefused(f"there is no task with id {task_id!r} in `tasks:`.", pair[0].line + 1, 1)
    if len(matches) > 1:
        again = matches[1][1]
        raise EditRefused(
            f"the task id {task_id!r} appears more than once.", again.line + 1, again.column + 1
        )
    return matches[0]
