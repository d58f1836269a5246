"""`patchbay run RUNBOOK… [--task ID [--note TEXT]] [--model NAME] [--auto]`: headless runs.

Without --auto: render the prompt, stream the answer to stdout, log it, keep it under outputs/, and
leave the task READY (apply the kept answer with `patchbay apply`, or review it in the TUI).
With --note: the task's last kept answer is sent back with the note (a focused follow-up).
With --auto: the autopilot (tui/autopilot.py) applies, validates and commits unattended; given
several runbooks, their autopilots run side by side sharing the model pool (run_several.py).
The runbook's lock (logs/.lock) is taken first: a runbook driven elsewhere is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from tui.commands.terminal_text import for_terminal, strip_control_sequences
from tui.errors import PatchbayError, UsageError
from tui.plural import counted


def _session(args: argparse.Namespace, runbook: str, backends: dict | None = None):
    from tui.commands.demo import copy_if_shipped_demo
    from tui.session import Session

    path = copy_if_shipped_demo(Path(runbook), _say)
    if getattr(args, "force_unlock", False):
        unlock(path, _say)
    session = Session(
        path,
        config_file=Path(args.config) if args.config else None,
        model_override=args.model,
        replay_rate=args.replay_rate,
        driver="patchbay run",
        backends=backends,
    )
    if session.read_only:
        session.close()
        raise PatchbayError(session.read_only)
    for report in session.recovery:
        _say(report.message)
    return session


def unlock(runbook: Path, say: Callable[[str], None]) -> None:
    """--force-unlock: remove the runbook's lock file and say whose it was."""
    from tui.runbook.driver_lock import force_unlock, force_unlock_sentence
    from tui.runbook.loader import runbook_file_for

    folder = runbook_file_for(Path(runbook)).parent
    say(force_unlock_sentence(folder, force_unlock(folder)))


def _say(text: str) -> None:
    # Messages can quote a server or a model; a terminal gets them without escape sequences.
    if sys.stderr.isatty():
        text = strip_control_sequences(text)
    print(f"patchbay: {text}", file=sys.stderr, flush=True)


def _printer(out):
    def print_text(text: str) -> None:
        out.write(text)
        out.flush()

    return print_text


def run(args: argparse.Namespace) -> int:
    if args.replay_rate is not None and args.replay_rate < 0:
        raise UsageError("--replay-rate must be 0 (instant) or more tokens per second")
    runbooks = args.runbook if isinstance(args.runbook, list) else [args.runbook]
    note = getattr(args, "note", None)
    if note is not None and (not args.task or args.auto or len(runbooks) > 1):
        raise UsageError("--note reruns one task: give one RUNBOOK and --task ID, without --auto")
    if note is not None and not note.strip():
        raise UsageError("--note needs the note's text")
    if len(runbooks) > 1:
        from tui.commands.run_several import run_several

        return run_several(args, runbooks, open_session=lambda path, backends: _session(args, path, backends))
    session = _session(args, runbooks[0])
    try:
        if args.branch:
            _start_branch(session, args.branch)
        if args.auto:
            from tui.autopilot import Autopilot, AutopilotOptions

            options = AutopilotOptions(
                task_id=args.task,
                max_retries=args.max_retries,
                min_fuzzy_score=args.min_fuzzy_score,
                keep_going=args.keep_going,
                parallel=args.parallel,
            )
            # Model text and command output reach a terminal without escape sequences; files
            # under outputs/ (and a redirected stdout) keep the exact text.
            code = Autopilot(session, options, say=_say, out=for_terminal(sys.stdout)).run()
            loaded = {
                name: session.backend(name) for name in session.registry.names() if session.is_loaded(name)
            }
            from tui.commands.run_several import pool_lines

            for line in pool_lines(loaded):
                _say(line)
            return code
        return _run_one(session, args.task, note)
    finally:
        session.close()


@contextlib.contextmanager
def _ctrl_c_cancels(run):
    """While the answer streams, Ctrl-C cancels it (the stream ends, the task is set aside) instead of
    unwinding through the runner, as --auto does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: run.cancel())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_branch(session, name: str) -> None:
    if session.git is None:
        raise PatchbayError(f"--branch needs a git repository, and {session.workdir} is not in one")
    session.git.start_branch(name)
    _say(f"working on the new branch {name}")


def _run_one(session, task_id: str | None, note: str | None = None) -> int:
    if task_id is None:
        task = session.next_ready()
        if task is None:
            raise PatchbayError(f"{session.runbook_path}: no task is READY")
    else:
        task = session.task(task_id)
    if task.type == "MANUAL":
        status = session.effective_status(task.id)
        if status == "DONE":
            raise PatchbayError(f"task {task.id} is MANUAL and already DONE; there is nothing to run")
        raise PatchbayError(
            f"task {task.id} is MANUAL ({status}): do it by hand, then mark it DONE in the TUI "
            f"or with patchbay reset {session.runbook_path} {task.id} --to DONE"
        )
    from tui.runner import TaskRun

    run = TaskRun.begin(session, task.id)
    print_text = _printer(for_terminal(sys.stdout))
    if task.type == "AUTOMATED_SCRIPT":
        result = run.run_script(print_text)
        _say(f"task {task.id}: script exited {result.exit_code}; the task is {run.phase.value.upper()}")
        return 0 if result.passed else 1

    if note is not None:
        from tui.conversation_steps import last_answer

        kept = last_answer(session, task.id)
        if kept is None:
            raise PatchbayError(
                f"task {task.id} has no answer kept under {session.runbook.folder / 'outputs'} to add a note to"
            )
        prepared = run.rerun_with_note(kept, note)
        _say(f"task {task.id}: the note on {kept.name} goes with attempt {run.attempt}")
    else:
        prepared = run.prepare()
    _say(f"task {task.id}: prompt {prepared.budget.label()} for model {prepared.model_name}")
    with _ctrl_c_cancels(run):
        answer = run.generate(
            print_text,
            progress=lambda p: _say(f"loading {p.message} ({p.step}/{p.total})"),
        )
    print(flush=True)
    if answer.error:
        kept = f"; the partial answer is kept in {answer.output_path}" if answer.text else ""
        _say(f"task {task.id}: {answer.error}; the task is ERROR{kept}")
        return 1
    if answer.final and answer.final.finish_reason == "cancelled":
        run.abandon("interrupted")
        _say(
            f"task {task.id}: interrupted; the partial answer is kept in {answer.output_path}; the task is READY"
        )
        return 130
    run.set_aside("answered; not applied (headless run without --auto)")
    final = answer.final
    stats = ""
    if final is not None:
        rate = f", {final.tokens_per_second:.1f} tokens/s" if final.tokens_per_second else ""
        stats = f" ({counted(final.new_tokens, 'token')}{rate})"
    _say(f"task {task.id}: answer kept in {answer.output_path}{stats}")
    _say(f"apply it with: patchbay apply --workdir {session.workdir} {answer.output_path}")
    return 0
