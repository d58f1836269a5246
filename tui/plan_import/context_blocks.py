"""Code blocks that are not tasks: the shared agent-prompt wrapper and the dependency graph."""

from __future__ import annotations

import itertools
import re

from tui.plan_import.dependencies import split_reference_text
from tui.plan_import.markdown import Fence, MarkdownDocument
from tui.plan_import.model import GraphEdge

_ARROW = re.compile(r"\s*(?:-{1,3}>|={1,2}>|[─━-]*[▶►➜➔→⟶⇒>]|─+>)\s*")
_GRAPH_WORDS = re.compile(r"graph|dependenc|critical path|dag|order of work", re.IGNORECASE)
_WRAPPER_WORDS = re.compile(
    r"wrapper|system prompt|every task|each task|all tasks|every prompt|each prompt|shared|preamble|prefix"
    r"|prompt template|agent prompt|boilerplate",
    re.IGNORECASE,
)
_WRAPPER_INFOS = ("text", "txt", "prompt", "")


def _context(doc: MarkdownDocument, fence: Fence) -> str:
    """The heading above a fence and the few lines just before it: what the plan says the block is."""
    heading = doc.heading_before(fence.line)
    before = [line for line in doc.lines[max(0, fence.line - 4) : fence.line - 1] if line.strip()]
    return " ".join([heading.text if heading else "", *before])


def graph_edges_in(fence: Fence) -> list[GraphEdge]:
    """`a → b → c`, `a, b --> c`, `1.3‑1.5 ─▶ 1.6`: one edge for each neighbouring pair of a line."""
    edges: list[GraphEdge] = []
    for offset, line in enumerate(fence.text.split("\n")):
        parts = _ARROW.split(line)
        if len(parts) < 2:
            continue
        for before, after in itertools.pairwise(parts):
            if _has_reference(before) and _has_reference(after):
                edges.append(GraphEdge(before.strip(), after.strip(), fence.line + 1 + offset))
    return edges


def _has_reference(text: str) -> bool:
    return any(any(char.isdigit() for char in token) for token in split_reference_text(text))


def is_graph(doc: MarkdownDocument, fence: Fence) -> bool:
    if fence.info in ("mermaid", "dot", "graphviz"):
        return True
    edges = graph_edges_in(fence)
    return len(edges) >= 2 or (bool(edges) and bool(_GRAPH_WORDS.search(_context(doc, fence))))


def find_graph(doc: MarkdownDocument) -> list[GraphEdge]:
    edges: list[GraphEdge] = []
    for fence in doc.fences:
        if fence.info not in ("yaml", "yml") and is_graph(doc, fence):
            edges.extend(graph_edges_in(fence))
    return edges


def find_wrapper(doc: MarkdownDocument, first_task_line: int) -> Fence | None:
    """The shared agent-prompt wrapper: a ```text block before the first task, named as such nearby
    (or the only ```text block there)."""
    candidates = [
        fence
        for fence in doc.fences
        if fence.line < first_task_line
        and fence.info in _WRAPPER_INFOS
        and fence.text.strip()
        and not is_graph(doc, fence)
    ]
    for fence in candidates:
        if _WRAPPER_WORDS.search(_context(doc, fence)):
            return fence
    labelled = [fence for fence in candidates if fence.info in ("text", "prompt")]
    return labelled[0] if len(labelled) == 1 else None
