"""What the review screen says: its header (task, position, format, counts) and the line about
the current hunk. Plain functions of the run and the review state; the screen shows them."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tui.patch.review_state import ReviewState


def review_points(task: Any) -> list[str]:
    details = getattr(task, "ai_details", None)
    return [str(point) for point in (getattr(details, "review_points", None) or [])]


def review_title(run: Any, state: ReviewState) -> Text:
    task = run.task
    hunk, hunks = state.position()
    accepted, rejected, undecided = state.counts()
    title = Text()  # wraps onto a second line rather than cutting the counts off
    title.append(f"{getattr(task, 'id', run.task_id)}", style="bold")
    title.append(f" · {getattr(task, 'name', '')}")
    change = state.current_file
    # Which edit format the answer used for this file (auto detects it per block), in words,
    # and what one change is called in it: `block 2 of 5` for SEARCH/REPLACE, not `hunk`.
    written = f" ({change.format_name})" if change is not None and change.format_name else ""
    title.append(
        f" · {state.unit()} {hunk} of {hunks} · file {state.file_index + 1} of "
        f"{len(state.files)}{written} · "
        f"{accepted} accepted · {rejected} rejected · {undecided} undecided"
    )
    return title


def current_hunk_text(run: Any, state: ReviewState, *, comparing: bool) -> str:
    """What the current hunk is: a refused file or a hunk that failed says why and where, then
    what the conversation knows of it (its attempt, the version shown)."""
    text = ""
    hunk = state.current_hunk
    change = state.current_file
    if change is not None and change.error is not None:
        text = f"{change.path}: {change.error}"
    elif change is not None and hunk is not None and not hunk.placement.placed:
        why = hunk.placement.describe().removeprefix("failed: ")
        text = f"This {change.unit} could not be placed, so it cannot be accepted: {why}."
    if hunk is not None:
        text = " ".join(
            part for part in (text, run.conversation.describe(hunk.id, comparing=comparing)) if part
        )
    return text


def one_sentence(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "The change could not be applied."
    return first if first.endswith((".", "!", "?")) else first + "."
