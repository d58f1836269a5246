"""The command steps of a task run: the validation command after an apply (TaskRun.validate) and
an AUTOMATED_SCRIPT task's command (TaskRun.run_script), each logged, with its failure recorded
as the task's issue. A cancel stops the command; one that came before it means it never starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.run_issues import SCRIPT_FAIL, VALIDATION_FAIL, RunnerError, command_failure
from tui.run_phase import Phase
from tui.runbook.event_log import EventType
from tui.session import task_settings
from tui.workspace.commands import CommandResult, run_command

if TYPE_CHECKING:
    from tui.runner import TaskRun


def validate_applied(run: TaskRun, on_output: Callable[[str], None]) -> CommandResult | None:
    """Run the task's validation command; pass → commit (if on) and DONE, fail → VALIDATION_FAILED."""
    settings = task_settings(run.task)
    command = settings.validation_command
    if not command:
        run._complete()
        return None
    run.phase = Phase.VALIDATING
    result = _run(
        run,
        command,
        shell=settings.validation_shell,
        timeout=settings.validation_timeout,
        on_output=on_output,
    )
    run.validation = result
    run.session.log.append(
        run.task_id,
        EventType.VALIDATION_RUN,
        details={
            "command": command,
            "exit_code": result.exit_code,
            "timed_out": result.timed_out,
            "cancelled": result.cancelled,
            "seconds": round(result.duration, 3),
        },
    )
    if result.passed:
        run._complete()
    elif result.cancelled:  # a stopped check says nothing about the change; abandon() ends it
        run.phase = Phase.CANCELLED
    else:
        run.failure = command_failure(command, result)
        run.phase = Phase.VALIDATION_FAILED
        run.session.append_issue(run.task_id, VALIDATION_FAIL, run.failure[-500:])
        run.session.set_last_run_outcome(run.task_id, "FAILURE")
    return result


def run_script(run: TaskRun, on_output: Callable[[str], None]) -> CommandResult:
    """AUTOMATED_SCRIPT: run the command; exit 0 → DONE, anything else → ERROR."""
    script = task_settings(run.task).script
    if script is None:
        raise RunnerError(f"task {run.task_id} has no script_details.command to run")
    run._start()
    result = _run(run, script.command, shell=script.shell, timeout=script.timeout, on_output=on_output)
    run.session.log.append(
        run.task_id,
        EventType.SCRIPT_RUN,
        details={
            "command": script.command,
            "exit_code": result.exit_code,
            "seconds": round(result.duration, 3),
        },
    )
    if result.passed:
        run.session.write_status(run.task_id, "DONE", event=EventType.COMPLETE_TASK)
        run.phase = Phase.DONE
    elif result.cancelled:
        run.phase = Phase.CANCELLED  # abandon() makes it READY again
    else:
        run._fail(command_failure(script.command, result)[-500:], issue_type=SCRIPT_FAIL)
    return result


def _run(run: TaskRun, command: str, **options) -> CommandResult:
    """Run a validation or script command; a cancel that came before it means it never starts."""
    if run._cancel.is_set():
        return CommandResult(exit_code=-2, output="", timed_out=False, cancelled=True, duration=0.0)
    return run_command(command, run.session.workdir, cancel_event=run._cancel, **options)
