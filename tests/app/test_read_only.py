"""A runbook driven by another process opens read-only in the TUI: it says who holds it, runs
nothing and writes nothing."""

from __future__ import annotations

from app.pilot_helpers import main_screen, settle
from tui.runbook.driver_lock import acquire


async def test_a_held_runbook_opens_read_only_naming_the_holder_and_runs_nothing(demo):
    from tui.app.app import PatchbayApp
    from tui.runner import Session

    before = (demo / "runbook.yaml").read_text()
    with acquire(demo, "patchbay run"):  # the other driver
        session = Session(demo / "runbook.yaml", replay_rate=0, driver="the Patchbay TUI")
        assert session.read_only
        app = PatchbayApp([session], watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = [str(n.message) for n in app._notifications]
            assert any("is being driven by patchbay run" in text and "read-only" in text for text in shown)
            screen = main_screen(app)
            await pilot.press("r")
            await settle(pilot)
            assert screen.run is None
        session.close()
    assert (demo / "runbook.yaml").read_text() == before
    assert not (demo / "outputs").exists()
