"""The review screen: every hunk of a change set, accepted or rejected like `git add -p`, then applied.

Pushed by the main screen as `ReviewScreen(run)` with `run.change_set` built (phase REVIEWING).
It dismisses with one of `ReviewScreen.OUTCOMES`; the main screen drives what follows. Its keys
are in `review_keys`, what its header and message line say in `review_text`, `e` and `c` in
`review_edit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static

from tui.app import collector
from tui.app.screens.review_edit import ProposalNotEdited, edit_proposal, file_diff_text
from tui.app.screens.review_keys import REVIEW_BINDINGS, key_applies
from tui.app.screens.review_text import current_hunk_text, one_sentence, review_points, review_title
from tui.app.screens.review_work import apply_refusal, regenerate
from tui.app.widgets.diff_view import SCROLL_STEP, SIDE_BY_SIDE_MIN, DiffView
from tui.app.widgets.file_list import FileList
from tui.app.widgets.follow_up_dialog import FollowUpPrompt
from tui.app.widgets.key_bar import KeyBar
from tui.app.widgets.review_checklist import ReviewChecklist
from tui.app.widgets.review_dialogs import ConfirmOutsideScope, UndecidedAnswer, UndecidedHunks
from tui.commands.terminal_text import strip_control_sequences
from tui.errors import PatchbayError
from tui.patch.follow_up import follow_up_for
from tui.patch.review import FileRows, build_file_rows, with_earlier_version
from tui.patch.review_state import ReviewState
from tui.patch.whole_file import content_change
from tui.plural import counted, plural

Outcome = Literal["applied", "retry", "error", "manual_done", "back"]


class ReviewScreen(Screen[str]):
    OUTCOMES = ("applied", "retry", "error", "manual_done", "back")
    CSS_PATH = "review.tcss"
    AUTO_FOCUS = "DiffView"
    NARROW = 100  # below this many columns the side panel gives the diff more room
    BINDINGS = REVIEW_BINDINGS

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
        self._unfollow: Callable[[], None] | None = None  # stops following the run's announcements

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
        self._stop_following()
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
        self.query_one("#review-title", Static).update(review_title(self.run, self.state))
        self._update_message()

    def _update_message(self) -> None:
        """The refusal sentence, else what the current hunk is (a failed one says why and where)."""
        text = self.message or current_hunk_text(self.run, self.state, comparing=self.comparing)
        text = text or self.layout_note
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
        return key_applies(action, parameters, self.run, self.state, lambda: self.query_one(DiffView))

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
            self.say(one_sentence(str(error)))
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
        # The keys follow the run's step (preparing, generating) as the session announces it.
        task_id = self.run.task_id
        self._unfollow = self.run.session.subscribe(
            lambda changed: self.post_message(self.RunChanged()) if changed == task_id else None
        )
        self.refresh_bindings()
        self.regenerate_worker(hunk.id)

    class RunChanged(Message):
        """The run announced a change of its phase or step (posted from whichever thread)."""

    def on_review_screen_run_changed(self, _message: RunChanged) -> None:
        self.refresh_bindings()

    def _stop_following(self) -> None:
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None

    class Regenerated(Message):
        """A hunk was asked for again: the ids that replace it, or why it stays."""

        def __init__(self, hunk_id: str, new_ids: list[str], error: str | None) -> None:
            super().__init__()
            self.hunk_id, self.new_ids, self.error = hunk_id, new_ids, error

    @work(thread=True, exclusive=True, group="regenerate", exit_on_error=False)
    def regenerate_worker(self, hunk_id: str) -> None:
        self.post_message(self.Regenerated(hunk_id, *regenerate(self.run, hunk_id)))

    def on_review_screen_regenerated(self, message: Regenerated) -> None:
        hunk_id, new_ids = message.hunk_id, message.new_ids
        self._stop_following()
        self.refresh_bindings()
        if message.error is not None:
            self.say(one_sentence(message.error))
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
            unplaceable = sum(1 for hunk_id in undecided if not self.state.acceptable_id(hunk_id))
            accepted = len(self.state.accepted_ids())
            question = UndecidedHunks(undecided, unplaceable, accepted, self.state.unit())
            self.app.push_screen(question, self._answered_undecided)
            return
        self._apply_accepted()

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
        self.post_message(self.ApplyFinished(apply_refusal(self.run, accepted, confirm_outside)))

    def on_review_screen_apply_finished(self, message: ApplyFinished) -> None:
        self.applying = False
        if message.error is None:
            self.dismiss("applied")
            return
        self.say(message.error)
        self.refresh_bindings()

    def action_finish(self, outcome: str) -> None:
        self.dismiss(outcome)

    def action_stop_regenerating(self) -> None:
        self.run.cancel()  # the regeneration stops; its hunk stays as it was

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
        try:
            edited = edit_proposal(self.app, change)
        except ProposalNotEdited as why:
            self.say(str(why))
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
