"""The writer's self-check: an edited text must mean exactly the old data plus the intended change.

Fast path: the parser events outside the edited mapping must be identical, and the mapping's own
events must load to the old mapping with the change applied. Loading whole files goes through
PyYAML's Python constructor (slow on big runbooks), so it is kept for the cases the fast path cannot
judge: anchors or aliases in the edited mapping, whose meaning depends on the rest of the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import yaml

from tui.runbook.limits import alias_bomb, events_expand_too_far
from tui.runbook.yaml_edit_tree import (
    PARSER_LOADER,
    EditRefused,
    Mapping,
    Node,
    Scalar,
    Sequence,
    parse_document,
)


def verify_edit(
    old_text: str,
    old_root: Node | None,
    old_events: list[yaml.Event],
    new_text: str,
    task_index: int | None,
    change: Callable[[dict], None],
    what: str,
) -> None:
    """Refuse unless `new_text` equals `old_text` with `change` applied to the target mapping."""
    try:
        new_root, new_events = parse_document(new_text)
    except EditRefused:
        raise EditRefused(f"changing {what} would break the YAML; nothing was written.") from None
    old_target, new_target = _target(old_root, task_index), _target(new_root, task_index)
    if old_target is not None and new_target is not None and not _shares_anchors(old_events, old_target):
        fast = _fast_check(old_events, old_target, new_events, new_target, change)
        if fast is not None:
            if not fast:
                _refuse(what)
            return
    if events_expand_too_far(old_events):
        raise EditRefused(alias_bomb() + " Nothing was written.")
    _full_check(old_text, new_text, task_index, change, what)


def _target(root: Node | None, task_index: int | None) -> Node | None:
    if task_index is None:
        return root
    if not isinstance(root, Mapping):
        return None
    tasks = [value for key, value in root.pairs if isinstance(key, Scalar) and key.value == "tasks"]
    if len(tasks) != 1 or not isinstance(tasks[0], Sequence) or task_index >= len(tasks[0].items):
        return None
    return tasks[0].items[task_index]


def _shares_anchors(events: list[yaml.Event], target: Node) -> bool:
    window = events[target.first_event : target.last_event + 1]
    return any(isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) for event in window)


def _fast_check(
    old_events: list[yaml.Event],
    old_target: Node,
    new_events: list[yaml.Event],
    new_target: Node,
    change: Callable[[dict], None],
) -> bool | None:
    """True/False when judged on events alone; None when the window cannot be loaded on its own."""
    old_before, old_after = old_events[: old_target.first_event], old_events[old_target.last_event + 1 :]
    new_before, new_after = new_events[: new_target.first_event], new_events[new_target.last_event + 1 :]
    if [_signature(e) for e in old_before] != [_signature(e) for e in new_before]:
        return False
    if [_signature(e) for e in old_after] != [_signature(e) for e in new_after]:
        return False
    try:
        expected = _load_window(old_events[old_target.first_event : old_target.last_event + 1])
        actual = _load_window(new_events[new_target.first_event : new_target.last_event + 1])
    except (yaml.YAMLError, ValueError, TypeError):
        return None
    if not isinstance(expected, dict):
        return None
    change(expected)
    return same_data(expected, actual)


def _signature(event: yaml.Event) -> tuple:
    return (
        type(event).__name__,
        getattr(event, "anchor", None),
        getattr(event, "tag", None),
        getattr(event, "implicit", None),
        getattr(event, "value", None),
        getattr(event, "style", None) or "",
        bool(getattr(event, "flow_style", False)),
    )


def _load_window(events: list[yaml.Event]) -> Any:
    stream = [
        yaml.StreamStartEvent(),
        yaml.DocumentStartEvent(explicit=False),
        *events,
        yaml.DocumentEndEvent(explicit=False),
        yaml.StreamEndEvent(),
    ]
    return yaml.load(yaml.emit(stream, allow_unicode=True), Loader=PARSER_LOADER)


def verify_whole(old_text: str, new_text: str, change: Callable[[Any], None], what: str) -> None:
    """Refuse unless `new_text` loads to `old_text` loaded with `change` made to the whole document."""
    _full_check(old_text, new_text, None, change, what)


def _full_check(
    old_text: str, new_text: str, task_index: int | None, change: Callable[[dict], None], what: str
) -> None:
    try:
        expected = yaml.load(old_text, Loader=PARSER_LOADER)
        change(expected if task_index is None else expected["tasks"][task_index])
        actual = yaml.load(new_text, Loader=PARSER_LOADER)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise EditRefused(f"the YAML cannot be loaded ({exc}); nothing was written.") from None
    if not same_data(expected, actual):
        _refuse(what)


def _refuse(what: str) -> None:
    raise EditRefused(
        f"changing {what} in place would change other values too (a YAML anchor used elsewhere?); "
        "nothing was written."
    )


def same_data(left: Any, right: Any) -> bool:
    """Equality of loaded YAML where NaN equals NaN (a `.nan` in the file must not block writes)."""
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_data(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same_data(a, b) for a, b in zip(left, right, strict=True))
    return left == right
