"""The review's blocking calls, made from its worker threads: applying the accepted hunks and
asking for one hunk again. Each failure comes back as the one sentence the screen shows."""

from __future__ import annotations

from typing import Any

from tui.app.screens.review_text import one_sentence
from tui.errors import PatchbayError


def apply_refusal(run: Any, accepted: set[str], confirm_outside: bool) -> str | None:
    """Applies (journaled, fsynced); None when the change is in, else why it is not."""
    try:
        run.apply(accepted, confirm_outside=confirm_outside)
    except PatchbayError as error:
        return one_sentence(str(error))
    except Exception as error:  # a bug: say it rather than leave the screen waiting for ever
        return f"Internal error while applying ({type(error).__name__}: {error})."
    return None


def regenerate(run: Any, hunk_id: str) -> tuple[list[str], str | None]:
    """The ids that replace the hunk, or why it stays (then no ids)."""
    try:
        return run.regenerate_hunk(hunk_id), None
    except PatchbayError as error:
        return [], str(error)
    except Exception as error:  # a bug: say it rather than leave the review waiting for ever
        return [], f"Internal error while regenerating ({type(error).__name__}: {error})."
