"""The command palette (ctrl+p): run task, next READY, switch theme, switch model, open log, reload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.app.themes import palette_order


class PatchbayCommands(Provider):
    def _main(self):
        from tui.app.screens.main import MainScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        main = self._main()
        app = self.app
        if main is not None:
            allowed = main.allowed_now()  # the runner's answer, as for the keys and the footer
            if "run" in allowed:
                yield "Run the selected task", main.action_run, "r"
            yield "Next READY task", main.action_next_ready, "n"
            if "run_parallel" in allowed:
                yield (
                    "Run independent tasks in parallel",
                    main.action_run_parallel,
                    "p: up to N READY tasks at once, each in its own output tab",
                )
            if "review_next" in allowed:
                yield "Review the next waiting answer", main.action_review_next, "v (after a parallel run)"
            yield "Reload the runbook", main.action_reload, "read runbook.yaml and the task files again"
            yield "Open the run log", main.action_open_log, "logs/run_log.jsonl"
            if "undo" in allowed:
                yield "Undo the last applied change", main.action_undo, "u"
            if "reset" in allowed:
                yield "Reset the selected task to READY", main.action_reset, "R (also for interrupted tasks)"
            if main.run is None and not main.batch_panel.pending and main.busy is None:
                for index, session in enumerate(main.sessions):
                    for task in session.runbook.tasks:
                        if session.effective_status(task.id) == "READY" and task.type != "MANUAL":
                            yield f"Run task {task.id}", partial(main.run_task, (index, task.id)), task.name
            names = sorted({name for s in main.sessions for name in _model_names(s)})
            for name in names:
                yield f"Switch model: {name}", partial(main.switch_model, name), "for the tasks run from now"
        for name in palette_order(list(app.available_themes)):  # Patchbay's own first
            yield f"Switch theme: {name}", partial(setattr, app, "theme", name), "remembered for next time"
        yield "Show the keys", app.action_help, "?"
        yield "Quit", main.action_quit if main is not None else app.exit, "q"

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            if title.startswith(("Run task ", "Switch theme: ")):
                continue  # long lists: found by typing, not listed up front
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def _model_names(session) -> list[str]:
    return sorted(session.registry.names())
