"""The prompt pane: the selected task's description (or a manual task's instructions), its fully
rendered prompt with syntax highlighting, the token count against the budget and the review points.

It owns the prompt's preview (rendered and counted in a worker, debounced on cursor moves; counting
may be an HTTP call) and the one-off edits made with `e` for a task's next run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tui.app import messages as m
from tui.app.widgets.task_summary import TaskSummary
from tui.errors import PatchbayError

if TYPE_CHECKING:
    from tui.session import PreparedPrompt, Session

TaskKey = tuple[int, str]
PREVIEW_DELAY = 0.12  # seconds the cursor must rest on a task before its prompt is rendered


class PromptPane(VerticalScroll, can_focus=True):
    class Edited(Message):
        """A prompt was edited for its task's next run: the screen shows it again."""

    DEFAULT_CSS = """
    PromptPane #prompt-heading { text-style: bold; }
    PromptPane #prompt-budget { color: $text-muted; margin: 1 0 0 0; }
    PromptPane #prompt-budget.over { color: $warning; text-style: bold; }
    PromptPane #prompt-description { margin: 0; padding: 0; }
    PromptPane #prompt-review { margin: 1 0 0 0; }
    PromptPane #prompt-body { margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pygments_style = "monokai"
        self._prompt_text = ""
        self._summary: TaskSummary | None = None
        self._description = ""
        self.overrides: dict[TaskKey, str] = {}  # edited with `e`, for the task's next run only
        self._wanted: TaskKey | None = None  # the preview on its way; None while a run's prompt shows
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        # The description's Markdown widget is mounted with the first description: markdown-it, its
        # CSS and pygments (for the prompt's Syntax) stay out of the first frame.
        yield Static("Select a task", id="prompt-heading")
        yield Static("", id="prompt-budget")
        yield Static("", id="prompt-review")
        yield Static("", id="prompt-body")

    @property
    def shown_summary(self) -> TaskSummary | None:
        return self._summary

    @property
    def prompt_text(self) -> str:
        return self._prompt_text

    def show_task(self, summary: TaskSummary | None) -> None:
        """Show a task; the rendered prompt is kept while the same task stays selected."""
        if summary == self._summary:
            return
        same_task = (
            summary is not None and self._summary is not None and summary.task_id == self._summary.task_id
        )
        self._summary = summary
        heading = self.query_one("#prompt-heading", Static)
        if summary is None:
            heading.update("Select a task")
            self._set_markdown("")
            self._clear_prompt()
            self.query_one("#prompt-review", Static).update("")
            return
        # A visible separator: spaces alone vanish when the screen's text is copied or exported.
        heading.update(
            Text.assemble((summary.name, "bold"), (f" · {summary.task_id} · {summary.status}", "dim"))
        )
        parts = []
        if summary.description:
            parts.append(summary.description.strip())
        if summary.instructions:
            parts.append(summary.instructions.strip())
        if summary.command:
            parts.append(f"Runs:\n\n```\n{summary.command}\n```")
        if summary.blocked_by:
            parts.append(f"*Waits for {', '.join(summary.blocked_by)}.*")
        if summary.issues:
            parts.append("**Last issue:** " + summary.issues[-1])
        self._set_markdown("\n\n".join(parts))
        review = self.query_one("#prompt-review", Static)
        if summary.review_points:
            review.update("Review points:\n" + "\n".join(f"  ☐ {point}" for point in summary.review_points))
        else:
            review.update("")
        if not same_task:
            self._clear_prompt()

    # -- the preview, rendered off the event loop ----------------------------------------------------
    def follow(
        self,
        key: TaskKey | None,
        session: Session | None,
        summary: TaskSummary | None,
        running: PreparedPrompt | None,
    ) -> None:
        """The selection is `key`: show its task, and its run's prompt or a fresh preview."""
        previous = self._summary
        self.show_task(summary)
        if key is None or session is None:
            return
        if running is not None:
            self.show_running(running)
        elif previous is None or previous.task_id != key[1] or not self.prompt_text:
            self.refresh_preview(key, session, None)

    def refresh_preview(
        self, key: TaskKey | None, session: Session | None, running: PreparedPrompt | None
    ) -> None:
        """Render the selected AI task's prompt again (a run's own prompt, when there is one, stays)."""
        try:
            task = session.task(key[1]) if key is not None and session is not None else None
        except PatchbayError:
            task = None
        if task is None or task.type != "AI_ASSISTED" or running is not None:
            self.stop_preview()
        else:
            self.preview(key, session)

    def preview(self, key: TaskKey, session: Session) -> None:
        """Render `key`'s prompt once the cursor rests on it (a newer call replaces an older one)."""
        self._wanted = key
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, lambda: self._start_preview(key, session))

    def stop_preview(self) -> None:
        """Nothing to render for the selection (not an AI task): a preview on its way is dropped."""
        self._wanted = None
        if self._timer is not None:
            self._timer.stop()

    def _start_preview(self, key: TaskKey, session: Session) -> None:
        if self._wanted != key:
            return
        self.show_rendering()
        self.render_prompt(key, session, m.PromptPreviewReady)

    def edit(self, key: TaskKey, session: Session) -> None:
        """`e`: render the prompt off the event loop, then open it in $EDITOR."""
        self.render_prompt(key, session, m.PromptForEditing)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def render_prompt(
        self, key: TaskKey, session: Session, reply: type[m.PromptPreviewReady] | type[m.PromptForEditing]
    ) -> None:
        try:
            prepared = session.preview_prompt(key[1], prompt_override=self.overrides.get(key))
        except PatchbayError as exc:
            self.post_message(reply(key, None, str(exc)))
            return
        self.post_message(reply(key, prepared, None))

    def on_prompt_preview_ready(self, message: m.PromptPreviewReady) -> None:
        if message.task_key != self._wanted:
            return  # the cursor moved on meanwhile, or a run's prompt is shown
        if message.error or message.prompt is None:
            self.show_prompt_error(message.error or "")
        else:
            self.show_prepared(message.prompt, edited=message.task_key in self.overrides)

    def show_running(self, prepared: PreparedPrompt) -> None:
        """A run's own prompt: it wins over any preview still on its way."""
        self._wanted = None
        self.show_prepared(prepared)

    def show_prepared(self, prepared: PreparedPrompt, *, edited: bool = False) -> None:
        budget = prepared.budget
        text = prepared.rendered.text
        if edited:
            text = "(edited for the next run)\n\n" + text
        self.show_prompt(text, budget.label(), budget.over, budget.explain() if budget.over else "")

    def on_prompt_for_editing(self, message: m.PromptForEditing) -> None:
        from tui.app.prompt_edit import edit_in_editor

        if message.error or message.prompt is None:
            self.notify(message.error or "The prompt cannot be rendered.", severity="error")
            return
        original = message.prompt.rendered.user
        edited = edit_in_editor(self.app, original, suffix=".md")
        if edited is None:
            return
        if edited == original:
            self.notify("The prompt is unchanged.")
            return
        self.overrides[message.task_key] = edited
        self.notify("The edited prompt is used for the next run of this task only.")
        self.post_message(self.Edited())

    def show_rendering(self) -> None:
        self.query_one("#prompt-budget", Static).update("rendering the prompt…")

    def show_prompt(self, text: str, budget_label: str, over: bool, explain: str = "") -> None:
        self._prompt_text = text
        budget = self.query_one("#prompt-budget", Static)
        budget.set_class(over, "over")
        budget.update(f"{budget_label}  ⚠ {explain}" if over and explain else budget_label)
        from rich.syntax import Syntax

        self.query_one("#prompt-body", Static).update(
            Syntax(text, "markdown", theme=self.pygments_style, word_wrap=True, background_color="default")
        )

    def show_prompt_error(self, sentence: str) -> None:
        self._prompt_text = ""
        budget = self.query_one("#prompt-budget", Static)
        budget.add_class("over")
        budget.update(f"The prompt cannot be rendered: {sentence}")
        self.query_one("#prompt-body", Static).update("")

    def _clear_prompt(self) -> None:
        self._prompt_text = ""
        budget = self.query_one("#prompt-budget", Static)
        budget.remove_class("over")
        budget.update("")
        self.query_one("#prompt-body", Static).update("")

    def _set_markdown(self, text: str) -> None:
        self._description = text
        self.call_later(self._show_description)

    async def _show_description(self) -> None:
        """Show the latest description; queued on this pane, so a Markdown still mounting is
        never handed text that its own mount would then overwrite."""
        from textual.widgets import Markdown

        text = self._description
        shown = self.query("#prompt-description")
        if not shown:
            if text:
                await self.mount(Markdown(text, id="prompt-description"), after="#prompt-heading")
            return
        markdown = shown.only_one(Markdown)
        markdown.display = bool(text)
        await markdown.update(text)
