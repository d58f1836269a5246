"""Backlogs: numbered lists of issues (`**[Issue #13: Title](url)**`) with nested detail bullets."""

from __future__ import annotations

import re

from tui.plan_import.markdown import MarkdownDocument, clean_inline, group_name
from tui.plan_import.model import DependencyText, Note, PlanTask

_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:\d+[.)]|[-*+])[ \t]+(?P<rest>.*)$")
_ISSUE = re.compile(r"^(?:issue\s*)?#(?P<number>\d+)\b\s*[:\-–—.)]?\s*(?P<title>.*)$", re.IGNORECASE)
# bold, linked or "Issue"-labelled, so a numbered note that happens to start with "#3" is left alone
_LOOKS_LIKE_ISSUE = re.compile(
    r"^(?:\*\*|__)?\[?(?:\*\*)?\s*(?:issue\s*#\d|#\d+\b.*(?:\]\(|\*\*))", re.IGNORECASE
)
_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z][\w /()-]{0,40}?)\s*:\s*(?P<value>.*)$")
_URL = re.compile(r"\]\((https?://[^)\s]+)\)")
_ISSUE_REF = re.compile(r"#\d+")
_DEPENDS_KEYS = ("depend", "blocked by", "requires", "prerequisite", "after")
_PROMPT_KEYS = ("prompt",)
_REVIEW_KEYS = ("acceptance", "done when", "criteria", "definition of done")
_CHECKBOX = re.compile(r"^(?:[-*+]|\d+[.)])?\s*\[[ xX]?\]\s*")
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+")


def read_backlog(doc: MarkdownDocument, notes: list[Note]) -> list[PlanTask]:
    tasks: list[PlanTask] = []
    lines = doc.lines
    index = 0
    while index < len(lines):
        item = None if doc.in_fence[index] else _ITEM.match(lines[index])
        issue = (
            _ISSUE.match(_strip_decoration(item["rest"]))
            if item and _LOOKS_LIKE_ISSUE.match(item["rest"])
            else None
        )
        if not item or not issue:
            index += 1
            continue
        indent = len(item["indent"].expandtabs(4))
        heading = doc.heading_before(index + 1, min_level=2)
        title = clean_inline(issue["title"]).strip(" *]") or f"Issue #{issue['number']}"
        group = group_name(heading.text) if heading else None
        task = PlanTask(id=issue["number"], name=title, line=index + 1, group=group, source="backlog")
        link = _URL.search(item["rest"])
        if link:
            task.description.append(f"Issue: {link.group(1)}")
        index = _read_details(doc, index + 1, indent, task)
        tasks.append(task)
    return tasks


def _strip_decoration(text: str) -> str:
    return clean_inline(text).lstrip("*[ ").strip()


def _read_details(doc: MarkdownDocument, index: int, indent: int, task: PlanTask) -> int:
    """Reads the bullets nested under an issue; returns the index of the first line after them."""
    lines = doc.lines
    section = ""
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        depth = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if depth <= indent and not doc.in_fence[index]:
            break
        if doc.in_fence[index]:
            index = _read_fenced(doc, index, task, section)
            continue
        nested = _ITEM.match(line)
        text = clean_inline(nested["rest"] if nested else line)
        pair = _KEY_VALUE.match(text)
        if pair:
            section = pair["key"].strip().lower()
            _detail(task, section, pair["value"].strip(), index + 1)
        elif section and any(key in section for key in _REVIEW_KEYS):
            _add_review_point(task, text)
        elif section and any(key in section for key in _PROMPT_KEYS):
            task.prompt = f"{task.prompt}\n{text}" if task.prompt else text
        else:
            task.description.append(text)
        index += 1
    return index


def _read_fenced(doc: MarkdownDocument, index: int, task: PlanTask, section: str) -> int:
    fence = next((fence for fence in doc.fences if fence.line == index + 1), None)
    if fence is None:  # a line inside a fence we entered mid-way: step over it
        return index + 1
    if any(key in section for key in _REVIEW_KEYS):
        for line in fence.text.split("\n"):  # criteria in a fence are still a checklist, one per line
            _add_review_point(task, clean_inline(line))
    elif any(key in section for key in _PROMPT_KEYS) or fence.info in ("text", "prompt"):
        task.prompt = f"{task.prompt}\n{fence.text}" if task.prompt else fence.text
    else:
        task.description.append(f"```{fence.info}\n{fence.text}\n```")
    return fence.end_line


def _detail(task: PlanTask, key: str, value: str, line: int) -> None:
    if any(word in key for word in _DEPENDS_KEYS):
        if value:
            task.dependency_texts.append(DependencyText(value, line))
        return
    if key == "status":
        task.description.append(f"Status: {value}")
        if "blocked" in value.lower() and _ISSUE_REF.search(value):
            task.dependency_texts.append(DependencyText(" ".join(_ISSUE_REF.findall(value)), line))
        return
    if any(word in key for word in _PROMPT_KEYS):
        if value:
            task.prompt = value.strip('"“”')
        return
    if any(word in key for word in _REVIEW_KEYS):
        if value:
            _add_review_point(task, value)
        return
    if key in ("validation", "verification", "validation command", "test command"):
        task.validation_command = value.strip("`") or None
        return
    if key in ("description", "details", "summary"):
        if value:
            task.description.append(value)
        return
    task.description.append(f"{key.capitalize()}: {value}" if value else key.capitalize())


def _add_review_point(task: PlanTask, text: str) -> None:
    """One acceptance criterion, without its checkbox or bullet (`- [ ] Works offline`)."""
    point = _BULLET.sub("", _CHECKBOX.sub("", text.strip())).strip()
    if point:
        task.review_points.append(point)
