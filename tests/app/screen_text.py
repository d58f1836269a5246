"""The text a Pilot-driven app shows right now, one string per terminal row (for assertions)."""

from __future__ import annotations


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))
