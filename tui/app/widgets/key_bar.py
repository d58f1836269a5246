"""A one-line footer that shows the keys that fit and says when there are more.

Each dialog (a modal screen) has its own, `DialogKeys`: the footer of the screen under a dialog
shows that screen's keys, which do not work while the dialog is up.

Textual's Footer lays every key out in a grid and lets the overflow spill under its command-palette
key, leaving a stray letter at the end of the line on narrow terminals. This bar stops before the
edge and ends with `? all keys` whenever a shown key did not fit (`?` lists every key).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

MORE = "? all keys"


class KeyBar(Static):
    more = MORE  # ends the line when a key did not fit
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.refresh_keys)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.refresh_keys()

    def on_resize(self) -> None:
        self.refresh_keys()

    def keys(self) -> list[tuple[str, str]]:
        """(key as shown, description) of every enabled key the screen shows, first binding per action."""
        shown: list[tuple[str, str]] = []
        actions: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in actions:
                continue
            actions.add(binding.action)
            shown.append((self.app.get_key_display(binding), binding.description))
        return shown

    def refresh_keys(self) -> None:
        width = self.size.width
        if width <= 0:
            return
        key_style = self.app.theme_variables.get("footer-key-foreground", "") or ""
        text = Text(no_wrap=True, overflow="crop")
        used = 0
        items = self.keys()
        for position, (key, description) in enumerate(items):
            piece = f" {key} {description} "
            last = position == len(items) - 1
            room = width - used - (0 if last else cell_len(self.more) + 2)
            if cell_len(piece) > room:
                text.append(f" {self.more} ", style=f"bold {key_style}".strip())
                break
            text.append(f" {key}", style=f"bold {key_style}".strip())
            text.append(f" {description} ")
            used += cell_len(piece)
        self.update(text)


class DialogKeys(KeyBar):
    """A dialog's keys, on the terminal's bottom line over the footer of the screen beneath."""

    more = "…"  # `?` does not reach through a dialog; its text says every key it takes

    DEFAULT_CSS = """
    DialogKeys {
        dock: bottom;
    }
    """
