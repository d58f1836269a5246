"""The banner over the tree while a runbook's YAML is invalid, and the toasts that say a reload
worked or failed. It owns which runbooks are invalid now (the tree shows the sentence too)."""

from __future__ import annotations

from textual.widgets import Static


class RunbookBanner(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.errors: dict[int, str] = {}  # runbook index -> why its YAML cannot be loaded

    def on_mount(self) -> None:
        self.display = False

    def reloaded(self, index: int, error: str | None) -> None:
        had_error = index in self.errors
        if error:
            self.errors[index] = error
            self.update(f"⚠ {error}")
            self.display = True
            self.notify(error, title="The runbook is invalid", severity="error", timeout=8)
            return
        self.errors.pop(index, None)
        self.display = bool(self.errors)
        if self.errors:
            self.update("⚠ " + next(iter(self.errors.values())))
        if had_error:
            self.app.clear_notifications()  # the stale "invalid" toast goes at once
        self.notify("The runbook is valid again: reloaded." if had_error else "Runbook reloaded.", timeout=2)
