"""The prompt pane: the selected task's description (or a manual task's instructions), its fully
rendered prompt with syntax highlighting, the token count against the budget and the review points."""

from __future__ import annotations

from dataclasses import dataclass

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static


@dataclass(frozen=True)
class TaskSummary:
    """What the pane shows about a task, built by the screen from the runner's task."""

    task_id: str
    name: str
    type: str
    status: str
    description: str = ""
    instructions: str = ""  # MANUAL: shown as Markdown
    command: str = ""  # AUTOMATED_SCRIPT: the command that runs
    review_points: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()


class PromptPane(VerticalScroll, can_focus=True):
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

    def compose(self) -> ComposeResult:
        yield Static("Select a task", id="prompt-heading")
        yield Markdown("", id="prompt-description")
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

    def show_rendering(self) -> None:
        self.query_one("#prompt-budget", Static).update("rendering the prompt…")

    def show_prompt(self, text: str, budget_label: str, over: bool, explain: str = "") -> None:
        self._prompt_text = text
        budget = self.query_one("#prompt-budget", Static)
        budget.set_class(over, "over")
        budget.update(f"{budget_label}  ⚠ {explain}" if over and explain else budget_label)
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
        markdown = self.query_one("#prompt-description", Markdown)
        markdown.update(text)
        markdown.display = bool(text)
