"""Themes: Patchbay's listed first in the palette, and every theme, Textual's own included, keeps
added, removed and changed-word colours distinct from each other and from the surface when the
terminal has only 256 colours (COLORTERM unset)."""

from __future__ import annotations

from app.pilot_helpers import make_app, settle
from tui.app.themes import DIFF_VARIABLES, colour_256, palette_order

SIZE = (120, 40)


async def test_every_theme_keeps_distinct_diff_colours_in_256_colours(demo, monkeypatch):
    monkeypatch.delenv("COLORTERM", raising=False)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(app.available_themes) > 10
        clashes = {}
        for name in app.available_themes:
            app.theme = name  # an ANSI theme too: it must not break the stylesheet
            await pilot.pause()
            variables = app.get_css_variables()
            colours = [colour_256(variables[key]) for key in DIFF_VARIABLES]
            surface = colour_256(variables["surface"])  # None: an ANSI theme's terminal default
            known = [*colours, surface] if surface is not None else colours
            if None in colours or len(set(known)) != len(known):
                clashes[name] = known
        assert clashes == {}


async def test_the_palette_lists_patchbays_themes_first(demo):
    from tui.app.commands import PatchbayCommands

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [title for title, _call, _help in PatchbayCommands(app.screen)._commands()]
        themes = [
            title.removeprefix("Switch theme: ") for title in titles if title.startswith("Switch theme: ")
        ]
        assert themes[:3] == ["patchbay-contrast", "patchbay-dark", "patchbay-light"]
        assert len(themes) > 3
    assert palette_order(["nord", "patchbay-light", "dracula"]) == ["patchbay-light", "dracula", "nord"]
