"""The Patchbay application: themes, keymap, the command palette, and the main screen."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding

from tui.app.commands import PatchbayCommands
from tui.app.themes import DEFAULT_THEME, LoadedTheme, load_themes, pygments_style_for, theme_defaults
from tui.resources import shipped

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel


@cache
def shipped_themes() -> dict[str, LoadedTheme]:
    """The themes Patchbay ships, read once: the theme check and the app both want them before
    the first frame."""
    return load_themes(shipped("themes"))


class PatchbayApp(App, inherit_bindings=False):
    TITLE = "Patchbay"
    COMMANDS = {PatchbayCommands}
    ALLOW_SELECT = False
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette", show=False),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+q", "quit", "Quit now", id="app.quit_now", show=False, priority=True),
    ]

    def __init__(
        self,
        sessions: list[Any] | Callable[[], list[Any]],
        *,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        watch: bool = True,
        remember_theme: bool = True,
        parallel: int | None = None,
    ) -> None:
        super().__init__()
        # How many tasks `p` generates at once (--parallel); None: what the model's servers serve.
        self.parallel = None if parallel is None else max(1, parallel)
        # A callable builds the sessions in a worker after the first frame (see launch.py).
        self.sessions_loader = sessions if callable(sessions) else None
        self.sessions: list[Any] = [] if callable(sessions) else sessions
        self.startup_error: str | None = None
        self.watch_files = watch
        self._remember_theme = remember_theme
        self._theme_ready = False
        self.themes: dict[str, LoadedTheme] = dict(shipped_themes())
        for loaded in self.themes.values():
            self.register_theme(loaded.theme)
        chosen = theme if theme in self.available_themes else None
        if chosen is None:
            chosen = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = chosen
        self._keymap_setting = dict(keymap or {})

    # -- themes ----------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes know nothing of Patchbay's variables: derive them from its colours.
        return theme_defaults(self.current_theme)

    @property
    def pygments_style(self) -> str:
        """The pygments style matching the current theme (the review screen highlights code with it)."""
        return pygments_style_for(self.themes, self.theme, self.current_theme.dark)

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready and self._remember_theme:
            self._save_theme(theme)
        main = self._main_screen()
        if main is not None:
            main.on_theme_switched()

    def _save_theme(self, theme: str) -> None:
        from tui.config import save_user_setting

        try:
            save_user_setting("theme", theme)
        except Exception as exc:  # remembering is a convenience; say why it failed, keep going
            self.notify(f"The theme is not remembered: {exc}", severity="warning")

    @staticmethod
    def known_theme_names() -> set[str]:
        from textual.theme import BUILTIN_THEMES

        return set(shipped_themes()) | set(BUILTIN_THEMES)

    def apply_settings(self, config, requested_theme: str | None) -> None:
        """The full settings arrived (after the first frame): keymap, and the remembered theme."""
        if config.keymap:
            self._keymap_setting = dict(config.keymap)
            self.set_keymap(self._keymap_setting)
        theme = requested_theme or config.theme
        if theme and theme != self.theme and theme in self.available_themes:
            remember, self._remember_theme = self._remember_theme, False
            self.theme = theme
            self._remember_theme = remember

    # -- start -----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from tui.app.screens.main import MainScreen

        if self._keymap_setting:
            self.set_keymap(self._keymap_setting)
        self._theme_ready = True
        self.push_screen(MainScreen(self.sessions))

    async def on_ready(self) -> None:
        # The first frame is on screen: the collector launch() held off comes back, without
        # rescanning start-up's long-lived objects (frozen); now mount the rest of the main
        # screen, and import and load the runbook, its models and git.
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        main = self._main_screen()
        if main is not None:
            await main.first_frame_shown(self.sessions_loader)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # Notices quote paths and lines from a model's answer or the runbook: shown as they are
        # (a `[` in a file name is no markup, nor an action) and without escape sequences.
        from tui.commands.terminal_text import strip_control_sequences

        super().notify(
            strip_control_sequences(message),
            title=strip_control_sequences(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def set_model_override(self, name: str) -> None:
        main = self._main_screen()
        if main is not None:
            main.switch_model(name)

    def _main_screen(self):
        from tui.app.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None
