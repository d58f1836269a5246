"""The TUI says at start what recovery of an interrupted apply did — including when it left the
tree alone because the user's work came after the crash."""

from __future__ import annotations

from textual.notifications import Notify

from app.pilot_helpers import make_app, settle
from tui.workspace.journal import FileWrite, apply_atomically
from tui.workspace.journal_store import Journal


async def test_start_names_an_interrupted_apply_it_left_alone(demo):
    project = demo / "project"
    stats = project / "textkit" / "stats.py"
    original = stats.read_bytes()
    change = apply_atomically(project, [FileWrite("textkit/stats.py", original + b"# half\n", original)])
    journal = Journal(project)
    entry = next(item for item in journal.entries() if item.id == change.id)
    entry.state = "in_progress"  # what a kill after the rename leaves
    journal.save(entry)
    stats.write_bytes(original + b"# the user's own line, typed after the crash\n")
    seen: list = []
    app = make_app(demo)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
    notices = [item.notification.message for item in seen if isinstance(item, Notify)]
    assert any(
        f"An interrupted apply (change {change.id}) was left as it is because the tree moved on" in text
        for text in notices
    ), notices
    assert stats.read_bytes() == original + b"# the user's own line, typed after the crash\n"
