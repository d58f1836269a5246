"""`?`: every key of every screen, read from the BINDINGS (with the user's keymap applied)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.widgets.key_bar import DialogKeys


def _sections(app) -> list[tuple[str, list]]:
    from textual.screen import Screen

    from tui.app.screens.main import MainScreen
    from tui.app.screens.modals import ConfirmScreen, NoteInput, NoteScreen
    from tui.app.widgets.follow_up_dialog import FollowUpPrompt
    from tui.app.widgets.review_dialogs import ConfirmOutsideScope, UndecidedHunks
    from tui.app.widgets.runbook_tree import RunbookTree

    sections = [
        ("Everywhere", [*type(app).BINDINGS, *Screen.BINDINGS]),
        ("Main screen", MainScreen.BINDINGS),
        ("Runbook tree", RunbookTree.BINDINGS),
    ]
    try:
        from tui.app.screens.review import ReviewScreen

        sections.append(("Review screen", ReviewScreen.BINDINGS))
    except ImportError:  # the review screen is optional while it is being built
        pass
    sections += [
        ("Before applying", [*UndecidedHunks.BINDINGS, *ConfirmOutsideScope.BINDINGS]),
        ("Follow-up", FollowUpPrompt.BINDINGS),
        ("Questions", ConfirmScreen.BINDINGS),
        ("Note", [*NoteInput.BINDINGS, *NoteScreen.BINDINGS]),
        ("This help", HelpScreen.BINDINGS),
    ]
    return sections


# Textual's own bindings, said the way this app uses them
PLAIN_TEXT = {
    "app.focus_next": "Next pane (tree, prompt, output)",
    "app.focus_previous": "Previous pane",
}


def _keys(app, binding: Binding) -> str:
    keymap = getattr(app, "_keymap", {}) or {}
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(app.get_key_display(Binding(key, binding.action, key_display=binding.key_display)))
    return " / ".join(dict.fromkeys(shown))


def help_table(app) -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = "Keys (read from the bindings, with your keymap)"
    table.add_column(justify="right", style="bold")
    table.add_column()
    for title, raw in _sections(app):
        bindings = [b for b in Binding.make_bindings(raw) if b.description or b.id]
        if not bindings:
            continue
        table.add_row(Text(title, style="bold underline"), "")
        seen = set()
        for binding in bindings:
            entry = (binding.action, binding.description)
            if entry in seen:
                continue
            seen.add(entry)
            text = (
                PLAIN_TEXT.get(binding.action)
                or binding.tooltip
                or binding.description
                or binding.action.replace("_", " ")
            )
            row = Text(text)
            if binding.id:  # the name a keymap entry uses to move this key
                row.append(f"  {binding.id}", style="dim")
            table.add_row(_keys(app, binding), row)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_table(self.app), id="help-table")
        yield DialogKeys()

    def action_close(self) -> None:
        self.dismiss(None)
