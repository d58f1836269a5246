"""Each way a task run fails, through every front end: the TUI (Pilot), `patchbay run`, `--auto` and
`--auto --parallel 2` end it the same way — the same status in the YAML, the same `issues` entry
naming the cause, the same events in the run log (issue 11's table).

Where a front end cannot meet a failure (`patchbay run` without --auto never applies), the row
leaves it out. In the TUI the user makes the autopilot's choice: x (error) once the change cannot
be used. Cancels land where a person's would: Ctrl-C (a real SIGINT) or escape, during the stream
and during the validation command.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sys
from dataclasses import dataclass

import failure_kinds as kinds
import pytest

from app.pilot_helpers import main_screen, make_app, settle, wait_for
from app.test_main_flows import SIZE, on_review
from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook

PROMOTED = "its dependencies are done"  # READY promotions written when a session opens


@dataclass(frozen=True)
class Ending:
    status: str
    cause: str | None  # the type of the task's first issue (None: no issue)
    events: tuple[str, ...]


BEFORE_ANSWER_PROMPT = Ending("ERROR", "PROMPT_FAIL", ("START_TASK", "ERROR_TASK"))
ANSWERED = ("START_TASK", "AI_PROMPT_SENT", "AI_RESPONSE_RECEIVED")
APPLIED = (*ANSWERED, "PATCH_APPLIED", "VALIDATION_RUN")

TABLE = {
    "over_budget": (kinds.over_budget, BEFORE_ANSWER_PROMPT),
    "template_error": (kinds.template_error, BEFORE_ANSWER_PROMPT),
    "server_down": (kinds.server_down, Ending("ERROR", "GENERATION_FAIL", ("START_TASK", "ERROR_TASK"))),
    "apply_refused": (kinds.apply_refused, Ending("ERROR", "PATCH_FAIL", (*ANSWERED, "ERROR_TASK"))),
    "validation_fails": (
        kinds.validation_fails,
        Ending("ERROR", "VALIDATION_FAIL", (*APPLIED, "ROLLBACK", "ERROR_TASK")),
    ),
    "cancel_generation": (
        lambda demo: None,
        Ending("READY", None, ("START_TASK", "AI_PROMPT_SENT", "AI_GENERATION_CANCELLED", "RESET_TASK")),
    ),
    "cancel_validation": (kinds.slow_validation, Ending("READY", None, (*APPLIED, "ROLLBACK", "RESET_TASK"))),
}
NEVER_APPLIES = {"apply_refused", "validation_fails", "cancel_validation"}  # `patchbay run` stops earlier


def same_words(detail: str | None, demo) -> str | None:
    """The detail with what differs between two copies (their folder, a free port) left out."""
    if detail is None:
        return None
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", detail.replace(str(demo), "DEMO"))


def ending(demo) -> tuple[str, str | None, tuple[str, ...], str | None]:
    task = load_runbook(demo).task(kinds.TASK)
    events = tuple(
        record["event_type"]
        for record in read_log(demo / "logs" / "run_log.jsonl")
        if record["task_id"] == kinds.TASK and (record.get("details") or {}).get("reason") != PROMOTED
    )
    first = task.issues[0] if task.issues else None
    return (
        task.status,
        first.type if first else None,
        events,
        same_words(first.detail if first else None, demo),
    )


class CtrlC(io.StringIO):
    """Standard output that sends the process a real SIGINT once `trigger` is printed."""

    def __init__(self, trigger: str) -> None:
        super().__init__()
        self.trigger = trigger
        self.sent = False

    def write(self, text: str) -> int:
        written = super().write(text)
        if not self.sent and self.trigger in self.getvalue():
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return written


def headless(demo, front_end: str, kind: str, monkeypatch) -> int:
    rate = "50" if kind == "cancel_generation" else "0"
    args = ["run", str(demo), "--replay-rate", rate]
    if front_end == "run":
        args += ["--task", kinds.TASK]
    elif front_end == "auto":
        args += ["--auto", "--task", kinds.TASK, "--max-retries", "0"]
    else:
        args += ["--auto", "--parallel", "2", "--max-retries", "0"]
    if kind == "cancel_validation":
        monkeypatch.setattr(sys, "stdout", CtrlC("checking"))  # the command's own output
    elif kind == "cancel_generation" and front_end == "auto_parallel":
        # a batch prints its answers once they are all in: interrupt as it starts generating
        monkeypatch.setattr(sys, "stderr", CtrlC("attempt 1"))
    elif kind == "cancel_generation":
        monkeypatch.setattr(sys, "stdout", CtrlC("```"))  # the answer, as it streams
    return main(args)


async def through_the_tui(demo, kind: str) -> None:
    from tui.app.screens.modals import NoteScreen

    app = make_app(demo, rate=10 if kind == "cancel_generation" else 0)  # slow: escape lands mid-answer
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")

        async def give_up() -> None:
            await pilot.press("x")
            await settle(pilot, lambda: isinstance(app.screen, NoteScreen))
            await pilot.press(*"no good", "enter")

        if kind == "cancel_generation":
            await wait_for(pilot, lambda: screen.busy == "generating" and "```" in screen.output.answer_text)
            await pilot.press("escape")
        elif kind in NEVER_APPLIES:
            await settle(pilot, lambda: on_review(app))
            if kind == "apply_refused":
                await give_up()
            else:
                await pilot.press("A", "enter")
                if kind == "cancel_validation":
                    await wait_for(pilot, lambda: "checking" in screen.output.text)
                    await pilot.press("escape")
                else:
                    await settle(pilot, lambda: not on_review(app) and screen.busy is None)
                    await give_up()
        await settle(pilot, lambda: screen.run is None and screen.busy is None and app.screen is screen)


def check(demo, tmp_path, kind: str, monkeypatch) -> None:
    setup, expected = TABLE[kind]
    status, cause, events, detail = ending(demo)
    assert (status, cause, events) == (expected.status, expected.cause, expected.events)
    if cause is not None:
        # the same sentence everywhere: the autopilot's, on a fresh copy
        reference = prepare_demo(tmp_path / "reference")
        setup(reference)
        headless(reference, "auto", kind, monkeypatch)
        assert detail == ending(reference)[3]


def prepared(tmp_path, kind: str):
    demo = prepare_demo(tmp_path / "demo")
    TABLE[kind][0](demo)
    return demo


@pytest.mark.parametrize("front_end", ["run", "auto", "auto_parallel"])
@pytest.mark.parametrize("kind", list(TABLE))
def test_each_failure_ends_the_same_headless(tmp_path, kind, front_end, monkeypatch):
    if front_end == "run" and kind in NEVER_APPLIES:
        pytest.skip("patchbay run without --auto never applies the answer")
    demo = prepared(tmp_path, kind)
    code = headless(demo, front_end, kind, monkeypatch)
    assert code == (130 if kind.startswith("cancel") else 1)
    monkeypatch.undo()
    check(demo, tmp_path, kind, monkeypatch)


@pytest.mark.parametrize("kind", list(TABLE))
async def test_each_failure_ends_the_same_in_the_tui(tmp_path, kind, monkeypatch):
    demo = prepared(tmp_path, kind)
    await through_the_tui(demo, kind)
    check(demo, tmp_path, kind, monkeypatch)
