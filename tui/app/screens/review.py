"""The review screen: every hunk of a change set, accepted or rejected like `git add -p`, then applied.

Pushed by the main screen as `ReviewScreen(run)` with `run.change_set` built (phase REVIEWING).
It dismisses with one of `ReviewScreen.OUTCOMES`; the main screen drives what follows.
"""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static

from tui.app import collector
from tui.app.widgets.diff_view import SCROLL_STEP, SIDE_BY_SIDE_MIN, DiffView
from tui.app.widgets.file_list import FileList
from tui.app.widgets.follow_up_dialog import FollowUpPrompt
from tui.app.widgets.key_bar import KeyBar
from tui.app.widgets.review_checklist import ReviewChecklist
from tui.app.widgets.review_dialogs import ConfirmOutsideScope, UndecidedAnswer, UndecidedHunks
from tui.commands.terminal_text import strip_control_sequences
from tui.errors import PatchbayError
from tui.patch.follow_up import follow_up_for
from tui.patch.model import FileChange
from tui.patch.review import FileRows, build_file_rows, with_earlier_version
from tui.patch.review_state import ReviewState
from tui.patch.whole_file import content_change
from tui.plural import counted, plural
from tui.runner import Action

Outcome = Literal["applied", "retry", "error", "manual_done", "back"]


def review_points(task: Any) -> list[str]:
    details = getattr(task, "ai_details", None)
    return [str(point) for point in (getattr(details, "review_points", None) or [])]


class ReviewScreen(Screen[str]):
    OUTCOMES = ("applied", "retry", "error", "manual_done", "back")
    CSS_PATH = "review.tcss"
    AUTO_FOCUS = "DiffView"
    NARROW = 100  # below this many columns the side panel gives the diff more room
    BINDINGS = [
        Binding("y", "accept_hunk", "Accept", id="review.accept-hunk"),
        Binding("n", "reject_hunk", "Reject", id="review.reject-hunk"),
        Binding("N", "reject_with_note", "Reject + note", id="review.reject-with-note"),
        Binding("A", "accept_all", "Accept all", id="review.accept-all"),
        # Not a priority binding: it must queue behind the keys typed before it (`A` then `enter`).
        Binding("enter", "apply", "Apply", id="review.apply"),
        Binding("right_square_bracket", "move_hunk(1)", "Next hunk", key_display="]", id="review.next-hunk"),
        Binding("right_curly_bracket", "move_file(1)", "Next file", key_display="}", id="review.next-file"),
        Binding("s", "toggle_layout(True)", "Unified", id="review.toggle-layout"),
        Binding("s", "toggle_layout(False)", "Side by side", id="review.toggle-layout"),
        Binding("w", "toggle_wrap(False)", "No wrap", id="review.toggle-wrap"),
        Binding("w", "toggle_wrap(True)", "Wrap", id="review.toggle-wrap"),
        Binding("a", "accept_file", "Accept file", id="review.accept-file"),
        Binding("d", "reject_file", "Reject file", id="review.reject-file"),
        Binding("q,escape", "finish('back')", "Back", id="review.back"),
        Binding("r", "retry", "Retry", id="review.retry"),
        Binding("g", "regenerate", "Regenerate hunk", id="review.regenerate"),
        Binding("p", "compare", "Earlier version", id="review.compare"),
        Binding("o", "note_hunk", "Note", show=False, id="review.note-hunk"),
        Binding("O", "note_answer", "Note on answer", show=False, id="review.note-answer"),
        Binding(
            "left_square_bracket",
            "move_hunk(-1)",
            "Prev hunk",
            key_display="[",
            show=False,
            id="review.prev-hunk",
        ),
        Binding(
            "left_curly_bracket",
            "move_file(-1)",
            "Prev file",
            key_display="{",
            show=False,
            id="review.prev-file",
        ),
        Binding("left", "scroll_sideways(-1)", "Left", key_display="←", show=False, id="review.scroll-left"),
        Binding(
            "right", "scroll_sideways(1)", "Right", key_display="→", show=False, id="review.scroll-right"
        ),
        Binding("home", "scroll_sideways(0)", "Line start", show=False, id="review.scroll-home"),
        Binding("e", "edit_file", "Edit", show=False, id="review.edit-file"),
        Binding("x", "finish('error')", "Error", show=False, id="review.mark-error"),
        Binding("m", "finish('manual_done')", "Done by hand", show=False, id="review.manual-done"),
        Binding("c", "copy_diff", "Copy", show=False, id="review.copy-diff"),
    ]

    class ApplyFinished(Message):
        """The apply worker is over: `error` is the refusal sentence, None when the change is applied."""

        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, run: Any) -> None:
        super().__init__()
        self.run = run
        self.applying = False  # the apply worker writes the tree: every key waits for it
        if run.change_set is None:
            raise PatchbayError(f"task {run.task_id} has no change set to review")
        self.state = ReviewState(run.change_set, run.decisions)
        self.comparing = False  # the current hunk is shown as its earlier version (`p`)
        # A large change set is many long-lived objects; full collections walking them while the
        # screen draws cost more than the drawing (measured: ~65 ms of a 50,000-line first frame).
        # Existing objects are set aside from collection while the screen is open.
        collector.set_aside()
        self._rows: dict[int, FileRows] = {}  # built per file, the first time it is shown
        self._shown_file: int | None = None
        self.message = ""
        self.layout_note = ""  # why the view is unified (a narrow terminal), shown under the diff

    # -- layout ---------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # Set before the first frame (a breakpoint class arriving later restyles, and so redraws,
        # the whole diff once more).
        self.set_class(self.app.size.width < self.NARROW, "-narrow")
        yield Static(id="review-title", markup=False)
        with Horizontal(id="review-body"):
            with Vertical(id="review-side"):
                yield Label("Files", classes="review-heading")
                with VerticalScroll(id="review-files"):
                    yield FileList(id="file-list")
                points = review_points(self.run.task)
                if points:
                    yield Label("Review points", classes="review-heading")
                    yield ReviewChecklist(points, id="review-checklist")
            yield DiffView(id="diff")
        yield Static(id="review-message", markup=False)
        # The keys arrive one refresh after the diff: the first frame is the diff's alone.
        yield Lazy(KeyBar(id="review-keys"))

    def on_mount(self) -> None:
        self._show_current(force=True)

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW, "-narrow")

    def on_unmount(self) -> None:
        collector.renew()  # the change set's objects go; the runbook's stay set aside

    def on_theme_switched(self) -> None:
        """Called by the app after a theme change: colours and the pygments style follow it."""
        self.query_one(DiffView).refresh()
        self.query_one(FileList).show(self.state.files, self.state.file_index)

    # -- keeping the widgets in step with the state -----------------------------------------------------
    def file_rows(self, index: int) -> FileRows:
        rows = self._rows.get(index)
        if rows is None:
            attempts = self.run.conversation.hunk_attempt
            rows = self._rows[index] = build_file_rows(self.state.files[index], attempts)
        return rows

    def _show_current(self, *, force: bool = False) -> None:
        state = self.state
        diff = self.query_one(DiffView)
        if state.current_file is not None and (force or self._shown_file != state.file_index):
            change = state.current_file
            failed = frozenset(hunk.id for hunk in change.hunks if not state.acceptable(hunk))
            rows = self.file_rows(state.file_index)
            earlier = self.run.conversation.previous.get(state.hunk_id or "")
            if self.comparing and earlier is not None:
                attempt = self.run.conversation.attempt_of(earlier.id)
                change, rows = with_earlier_version(change, state.hunk_id, earlier, attempt)
                failed = failed if earlier.edit is not None else failed | {state.hunk_id}
            diff.show_file(change.path, rows, failed, state.hunk_id)
            self._shown_file = state.file_index
        diff.set_decisions(state.decisions, state.hunk_id)
        if state.hunk_id is not None:
            diff.scroll_to_hunk(state.hunk_id)
        self.query_one(FileList).show(state.files, state.file_index)
        self._update_title()
        self.refresh_bindings()

    def _update_title(self) -> None:
        task = self.run.task
        hunk, hunks = self.state.position()
        accepted, rejected, undecided = self.state.counts()
        title = Text()  # wraps onto a second line rather than cutting the counts off
        title.append(f"{getattr(task, 'id', self.run.task_id)}", style="bold")
        title.append(f" · {getattr(task, 'name', '')}")
        change = self.state.current_file
        # Which edit format the answer used for this file (auto detects it per block), in words,
        # and what one change is called in it: `block 2 of 5` for SEARCH/REPLACE, not `hunk`.
        written = f" ({change.format_name})" if change is not None and change.format_name else ""
        title.append(
            f" · {self.state.unit()} {hunk} of {hunks} · file {self.state.file_index + 1} of "
            f"{len(self.state.files)}{written} · "
            f"{accepted} accepted · {rejected} rejected · {undecided} undecided"
        )
        self.query_one("#review-title", Static).update(title)
        self._update_message()

    def _update_message(self) -> None:
        """The refusal sentence, else what the current hunk is (a failed one says why and where)."""
        text = self.message
        hunk = self.state.current_hunk
        change = self.state.current_file
        if not text and change is not None and change.error is not None:
            text = f"{change.path}: {change.error}"
        elif not text and hunk is not None and not hunk.placement.placed:
            why = hunk.placement.describe().removeprefix("failed: ")
            text = f"This {change.unit} could not be placed, so it cannot be accepted: {why}."
        if not self.message and hunk is not None:
            text = " ".join(
                part
                for part in (text, self.run.conversation.describe(hunk.id, comparing=self.comparing))
                if part
            )
        if not text:
            text = self.layout_note
        # Paths and reasons come from the model's answer: shown as plain text, never as markup or
        # terminal escape sequences.
        self.query_one("#review-message", Static).update(Text(strip_control_sequences(text)))
        self.query_one("#review-message").set_class(bool(self.message), "-error")

    def say(self, sentence: str) -> None:
        self.message = sentence
        self._update_message()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that do nothing right now are hidden from the footer (and pass through).
        if self.applying:
            return False
        if self.run.step is not None:  # a hunk is being regenerated: q/escape cancels it
            return action == "finish" and self.run.step == "generating"
        if action in ("reject_with_note", "note_hunk", "regenerate"):
            allowed = Action.NOTE if action != "regenerate" else Action.REGENERATE
            return self.state.current_hunk is not None and allowed in self.run.allowed()
        if action == "note_answer":
            return Action.NOTE in self.run.allowed()
        if action == "compare":
            return (self.state.hunk_id or "") in self.run.conversation.previous
        if action == "accept_hunk":
            return self.state.acceptable(self.state.current_hunk)
        if action == "reject_hunk":
            return self.state.current_hunk is not None
        if action == "toggle_layout":
            # Two bindings share `s`; only the one that changes the layout shows.
            return parameters[0] != self.query_one(DiffView).unified
        if action == "toggle_wrap":
            return parameters[0] != self.query_one(DiffView).wrap
        if action == "scroll_sideways":
            return not self.query_one(DiffView).wrap
        # `enter` always applies or asks: hiding it while nothing is accepted yet would drop an
        # `enter` typed right after `A` (bindings are checked before `A` has been handled).
        return True

    # -- decisions ------------------------------------------------------------------------------------
    def _decided(self) -> None:
        self.message = ""
        if self.comparing:
            self.comparing = False
            self._show_current(force=True)
            return
        self._show_current()

    def action_accept_hunk(self) -> None:
        if not self.state.accept_current():
            unit = self.state.current_file.unit if self.state.current_file else "hunk"
            self.say(f"This {unit} could not be placed in the file, so it can only be rejected.")
            return
        self._decided()

    def action_reject_hunk(self) -> None:
        self.state.reject_current()
        self._decided()

    def action_accept_file(self) -> None:
        self.state.decide_rest_of_file("accepted")
        self._decided()

    def action_reject_file(self) -> None:
        self.state.decide_rest_of_file("rejected")
        self._decided()

    def action_accept_all(self) -> None:
        self.state.accept_everything()
        self._decided()

    def action_move_hunk(self, step: int) -> None:
        if self.state.move_hunk(step):
            self._decided()

    def action_move_file(self, step: int) -> None:
        if self.state.move_file(step):
            self._decided()

    def action_toggle_layout(self, unified: bool) -> None:
        diff = self.query_one(DiffView)
        diff.layout_chosen_by_user = True
        diff.unified = unified
        self.layout_note = ""
        self._update_message()
        self.refresh_bindings()

    def on_diff_view_layout_chosen(self, event: DiffView.LayoutChosen) -> None:
        self.layout_note = (
            f"Unified view: the terminal is too narrow for {SIDE_BY_SIDE_MIN} columns a side "
            "(s shows side by side)."
            if event.narrow
            else ""
        )
        self._update_message()
        self.refresh_bindings()

    def action_toggle_wrap(self, wrap: bool) -> None:
        self.query_one(DiffView).wrap = wrap
        self.refresh_bindings()

    def action_scroll_sideways(self, direction: int) -> None:
        self.query_one(DiffView).scroll_sideways(direction * SCROLL_STEP if direction else None)

    # -- the conversation: notes, a focused retry, one hunk again, its earlier version ---------------
    def action_reject_with_note(self) -> None:
        """Reject now; the note is asked for next (escape cancels the note, not the rejection)."""
        hunk = self.state.current_hunk
        if hunk is None:
            return
        self.state.reject_current()
        self._decided()
        self._ask_note(hunk.id, "rejected", f"Why is {hunk.id} rejected? (the model is told)")

    def action_note_hunk(self) -> None:
        hunk = self.state.current_hunk
        if hunk is not None:
            decision = self.state.decisions.get(hunk.id)
            self._ask_note(hunk.id, decision, f"A note on {hunk.id} (its decision stays)")

    def action_note_answer(self) -> None:
        self._ask_note(None, None, "A note on the whole answer (the model is told on a retry)")

    def _ask_note(self, hunk_id: str | None, decision: str | None, question: str) -> None:
        from tui.app.screens.modals import NoteScreen

        def noted(text: str | None) -> None:
            if not text:
                return
            self.run.note(hunk_id, text, decision)
            self._update_message()

        self.app.push_screen(NoteScreen(question, "what should change, in one line"), noted)

    def action_retry(self) -> None:
        """A follow-up that says something (hunks rejected or failed, a note on the answer) is shown
        before it is sent; otherwise the whole change is asked again, as before."""
        decisions = dict(self.state.decisions)
        follow_up = follow_up_for(self.state.change_set, decisions, self.run.conversation)
        if not follow_up.says_something:
            self.dismiss("retry")
            return
        try:
            prompt = self.run.preview_follow_up(decisions)
        except PatchbayError as error:
            self.say(_one_sentence(str(error)))
            return

        def recount(text: str):
            return self.run.preview_follow_up(decisions, prompt_override=text)

        def answered(text: str | None) -> None:
            if text is None:
                self.say("Nothing was sent; the review goes on.")
                return
            edited = text if text != prompt.rendered.user else None
            self.run.hold_review(decisions, edited)
            self.dismiss("retry")

        self.app.push_screen(FollowUpPrompt(prompt, recount, focused=follow_up.focused), answered)

    def action_regenerate(self) -> None:
        hunk = self.state.current_hunk
        if hunk is None:
            return
        self.say(f"Asking the model for {hunk.id} again…")
        self.regenerate_worker(hunk.id)

    class Regenerated(Message):
        """A hunk was asked for again: the ids that replace it, or why it stays."""

        def __init__(self, hunk_id: str, new_ids: list[str], error: str | None) -> None:
            super().__init__()
            self.hunk_id, self.new_ids, self.error = hunk_id, new_ids, error

    @work(thread=True, exclusive=True, group="regenerate", exit_on_error=False)
    def regenerate_worker(self, hunk_id: str) -> None:
        try:
            new_ids = self.run.regenerate_hunk(hunk_id)
        except PatchbayError as error:
            self.post_message(self.Regenerated(hunk_id, [], str(error)))
            return
        except Exception as error:  # a bug: say it rather than leave the review waiting for ever
            why = f"Internal error while regenerating ({type(error).__name__}: {error})."
            self.post_message(self.Regenerated(hunk_id, [], why))
            return
        self.post_message(self.Regenerated(hunk_id, new_ids, None))

    def on_review_screen_regenerated(self, message: Regenerated) -> None:
        hunk_id, new_ids = message.hunk_id, message.new_ids
        self.refresh_bindings()
        if message.error is not None:
            self.say(_one_sentence(message.error))
            return
        self.state.reindex(select=new_ids[0] if new_ids else None)
        self._rows.clear()
        self.comparing = False
        self.message = ""
        self._show_current(force=True)
        if not new_ids:
            self.say(f"The new answer only repeated hunks already here; {hunk_id} was dropped.")
            return
        attempt = self.run.conversation.attempt_of(new_ids[0])
        self.notify(f"{hunk_id} is now {', '.join(new_ids)} (attempt {attempt} of that hunk).")

    def action_compare(self) -> None:
        self.comparing = not self.comparing
        self._show_current(force=True)

    # -- apply and the other endings -------------------------------------------------------------------
    def action_apply(self) -> None:
        undecided = self.state.undecided_ids()
        if undecided:
            unplaceable = sum(1 for hunk_id in undecided if not self._acceptable_id(hunk_id))
            accepted = len(self.state.accepted_ids())
            question = UndecidedHunks(undecided, unplaceable, accepted, self.state.unit())
            self.app.push_screen(question, self._answered_undecided)
            return
        self._apply_accepted()

    def _acceptable_id(self, hunk_id: str) -> bool:
        change = self.state.file_of(hunk_id)
        hunk = next((h for h in change.hunks if h.id == hunk_id), None) if change else None
        return self.state.acceptable(hunk)

    def _answered_undecided(self, answer: UndecidedAnswer | None) -> None:
        if answer is None:
            units = plural(self.state.unit())
            self.say(f"Nothing was applied: the undecided {units} are waiting (y accepts, n rejects).")
            return
        if answer == "accept":
            self.state.accept_undecided()
        else:
            self.state.reject_undecided()
        self._decided()
        self._apply_accepted()

    def _apply_accepted(self) -> None:
        accepted = self.state.accepted_ids()
        if not accepted:
            unit = self.state.unit()
            self.say(f"Nothing is accepted yet: press y on a {unit}, or A to accept everything.")
            return
        outside = [change.path for change in self.state.accepted_files() if change.outside_scope]
        if outside:
            self.app.push_screen(ConfirmOutsideScope(outside), self._confirmed_outside)
            return
        self._apply(accepted, confirm_outside=False)

    def _confirmed_outside(self, answer: bool | None) -> None:
        if answer:
            self._apply(self.state.accepted_ids(), confirm_outside=True)
        else:
            self.say("Nothing was applied: the files outside files_to_modify were not confirmed.")

    def _apply(self, accepted: set[str], *, confirm_outside: bool) -> None:
        self.applying = True
        self.query_one("#review-message", Static).update("Applying…")
        self.refresh_bindings()
        self.apply_worker(accepted, confirm_outside)

    @work(thread=True, exclusive=True, group="review-apply", exit_on_error=False)
    def apply_worker(self, accepted: set[str], confirm_outside: bool) -> None:
        """The journaled, fsynced writes run off the event loop; the handler below owns the outcome."""
        try:
            self.run.apply(accepted, confirm_outside=confirm_outside)
        except PatchbayError as error:
            self.post_message(self.ApplyFinished(_one_sentence(str(error))))
            return
        except Exception as error:  # a bug: say it rather than leave the screen waiting for ever
            self.post_message(
                self.ApplyFinished(f"Internal error while applying ({type(error).__name__}: {error}).")
            )
            return
        self.post_message(self.ApplyFinished(None))

    def on_review_screen_apply_finished(self, message: ApplyFinished) -> None:
        self.applying = False
        if message.error is None:
            self.dismiss("applied")
            return
        self.say(message.error)
        self.refresh_bindings()

    def action_finish(self, outcome: str) -> None:
        if self.run.step == "generating":
            self.run.cancel()  # the regeneration stops; its hunk stays as it was
            return
        self.dismiss(outcome)

    # -- copy and edit --------------------------------------------------------------------------------
    def action_copy_diff(self) -> None:
        change = self.state.current_file
        if change is None:
            return
        text = file_diff_text(change)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the diff of {change.path} ({counted(text.count(chr(10)), 'line')}).")

    def action_edit_file(self) -> None:
        change = self.state.current_file
        if change is None or change.error is not None:
            self.say("This file cannot be edited here: it was refused.")
            return
        proposed = change.new_text or ""
        suffix = Path(change.path).suffix
        with tempfile.TemporaryDirectory(prefix="patchbay-edit-") as folder:
            path = Path(folder) / f"proposed{suffix}"
            path.write_text(proposed, encoding="utf-8", newline="")
            editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
            command = [*shlex.split(editor), str(path)]
            try:
                if self.app.is_headless:  # no terminal to hand over (tests): run the editor as is
                    subprocess.call(command, stdin=subprocess.DEVNULL)
                else:
                    with self.app.suspend():
                        subprocess.call(command)
            except (OSError, SuspendNotSupported) as error:
                self.say(f"Could not open the editor ({editor}): {error}.")
                return
            try:
                edited = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                self.say("The edited file is not UTF-8 text; the proposal is unchanged.")
                return
        self.use_edited_text(edited)

    def use_edited_text(self, edited: str) -> None:
        """The edited text replaces the proposal for the current file (its decisions start over)."""
        index = self.state.file_index
        change = self.state.current_file
        if change is None or edited == (change.new_text or ""):
            self.say("The file was not changed in the editor.")
            return
        # Line endings are normalised (the edited text takes the file's own endings back).
        replacement = content_change(change.path, change.old_bytes, edited.replace("\r\n", "\n"))
        replacement.outside_scope = change.outside_scope
        replacement.note = "edited in $EDITOR"
        self.state.replace_file(index, replacement)
        self._rows.pop(index, None)
        self.message = ""
        self._show_current(force=True)
        self.notify(f"{change.path}: your edit is now the proposal; review its hunks again.")


def _one_sentence(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "The change could not be applied."
    return first if first.endswith((".", "!", "?")) else first + "."


def file_diff_text(change: FileChange) -> str:
    """The file's proposed change as a unified diff (every placed hunk)."""
    old = change.old_text.splitlines(keepends=True)
    new = (change.new_text or "").splitlines(keepends=True)
    before = "/dev/null" if change.kind == "create" else f"a/{change.path}"
    after = "/dev/null" if change.kind == "delete" else f"b/{change.path}"
    lines = difflib.unified_diff(old, new, before, after)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
