"""Command line: argument parsing and dispatch. Each command lives in tui/commands/<name>.py.

Headless commands (validate, status, next, reset, apply, run, import, doctor) must never import Textual;
only the TUI entry points (the default command and `demo`) do, and only when they run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from tui.errors import PatchbayError, UsageError

COMMANDS = ("demo", "validate", "status", "next", "reset", "run", "apply", "import", "doctor")
# One example line per command, shown at the end of its --help (tests/docs checks that each parses).
EXAMPLES = {
    "open": "patchbay runbooks/demo --theme patchbay-light",
    "patchbay": "patchbay validate runbooks/demo",
    "demo": "patchbay demo --dir ~/patchbay-demo",
    "validate": "patchbay validate runbooks/demo",
    "status": "patchbay status runbooks/demo --json",
    "next": "patchbay next runbooks/demo",
    "reset": "patchbay reset my-runbook add_median --to READY",
    "run": "patchbay run runbooks/demo --auto --keep-going --replay-rate 0",
    "apply": "patchbay apply --workdir . --dry-run answer.md",
    "import": "patchbay import PLAN.md -o runbooks/plan",
    "doctor": "patchbay doctor --model default",
}


def _with_example(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    parser.epilog = f"example:\n  {EXAMPLES[name]}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _with_examples(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`parser` (build_parser's) with the example line on itself and on every command it has."""
    _with_example(parser, "patchbay")
    # argparse keeps the commands' parsers only on its subparsers action; applied here, after the
    # parser is built, every command added to build_parser gets its line without more wiring.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                if name in EXAMPLES:
                    _with_example(command, name)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="NAME", help="model name from the registry")
    parser.add_argument("--theme", metavar="NAME", help="colour theme")
    parser.add_argument("--config", metavar="FILE", help="model registry / settings file")
    parser.add_argument(
        "--replay-rate", metavar="N", type=float, help="tokens per second for replay models (0 = instant)"
    )


def _add_force_unlock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force-unlock",
        action="store_true",
        help="remove the runbook's lock (logs/.lock) left by a Patchbay that is gone, then go on; "
        "a process that still runs keeps running",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patchbay",
        description="Work through a runbook of LLM-assisted tasks, reviewing every change.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="copy the demo runbook into a folder and open it")
    p.add_argument("--dir", metavar="DIR", help="where to put the demo (default: a new temporary folder)")
    p.add_argument("--no-tui", action="store_true", help="prepare the demo and print its status only")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary copy after the app exits (it is kept anyway once a commit was made in it)",
    )
    _add_parallel(p)
    _add_common(p)

    p = sub.add_parser("validate", help="check a runbook; errors with file:line:col")
    p.add_argument("runbook", metavar="RUNBOOK")
    _add_common(p)

    p = sub.add_parser("status", help="table of tasks and states")
    p.add_argument("runbook", metavar="RUNBOOK")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    _add_common(p)

    p = sub.add_parser("next", help="the next READY task")
    p.add_argument("runbook", metavar="RUNBOOK")
    _add_common(p)

    p = sub.add_parser("reset", help="set a task's status (default READY)")
    p.add_argument("runbook", metavar="RUNBOOK")
    p.add_argument("task", metavar="TASK")
    p.add_argument("--to", metavar="STATUS", default="READY", help="the status to set (default READY)")
    _add_force_unlock(p)
    _add_common(p)

    p = sub.add_parser("run", help="headless: render, stream, (with --auto) apply, validate, commit")
    p.add_argument("runbook", metavar="RUNBOOK", nargs="+", help="with --auto, several run side by side")
    p.add_argument("--task", metavar="ID", help="this task (default: the next READY one)")
    p.add_argument("--auto", action="store_true", help="apply, validate and commit unattended")
    p.add_argument(
        "--note",
        metavar="TEXT",
        help="rerun --task with this note on its last answer (kept under outputs/)",
    )
    p.add_argument("--max-retries", type=int, default=1, metavar="N")
    p.add_argument("--min-fuzzy-score", type=float, default=0.8, metavar="S")
    p.add_argument("--keep-going", action="store_true")
    _add_parallel(p, default=1)
    p.add_argument("--branch", metavar="NAME", help="create git branch NAME at HEAD and commit there")
    _add_force_unlock(p)
    _add_common(p)

    p = sub.add_parser("apply", help="apply a model answer or a diff to a working tree")
    p.add_argument("file", metavar="FILE|-", nargs="?")
    p.add_argument("--workdir", metavar="DIR", required=True)
    p.add_argument("--dry-run", action="store_true", help="report how each hunk would apply; write nothing")
    p.add_argument("--json", action="store_true", help="print the per-hunk report as JSON")
    p.add_argument(
        "--format",
        default="auto",
        choices=("auto", "unified_diff", "search_replace", "apply_patch", "whole_file"),
        help="the answer's edit format (default: auto, detected per block)",
    )
    p.add_argument(
        "--files-to-modify", metavar="PATH", nargs="*", default=None, help="files the change may touch"
    )
    p.add_argument(
        "--allow-outside", action="store_true", help="also write files outside --files-to-modify (confirmed)"
    )
    _add_common(p)

    p = sub.add_parser("import", help="turn a Markdown plan into a runbook")
    p.add_argument("plan", metavar="PLAN.md")
    p.add_argument("-o", "--output", metavar="DIR", required=True)
    p.add_argument("--force", action="store_true", help="overwrite an existing runbook")
    _add_common(p)

    p = sub.add_parser(
        "doctor",
        help="check this machine for a model: GPU, server, terminal",
        description="Check what this machine has for a model (the GPU box for exllamav2, the server for "
        "openai) and the terminal; models come from ./patchbay.yaml, ~/.config/patchbay/config.yaml or "
        "--config. Exit 0 when everything the chosen model needs is there, 1 otherwise.",
    )
    p.add_argument("--json", action="store_true", help="print JSON (for bug reports)")
    _add_common(p)
    return parser


def build_tui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patchbay",
        description="Open the TUI on a runbook. Commands: " + ", ".join(COMMANDS) + " (patchbay COMMAND -h).",
    )
    parser.add_argument(
        "runbook",
        metavar="RUNBOOK",
        nargs="?",
        default="runbooks",
        help="a runbook.yaml or a folder of runbooks (default ./runbooks)",
    )
    _add_force_unlock(parser)
    _add_parallel(parser)
    _add_common(parser)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def _add_parallel(parser: argparse.ArgumentParser, default: int | None = None) -> None:
    told = "the model's capacity: its servers' max_concurrent added up" if default is None else default
    parser.add_argument(
        "--parallel",
        type=_positive,
        default=default,
        metavar="N",
        help=f"how many independent tasks generate at once (p in the TUI; default {told})",
    )


def parse(argv: Sequence[str]) -> argparse.Namespace:
    if argv and argv[0] in COMMANDS:
        return _with_examples(build_parser()).parse_args(argv)
    if argv and argv[0] in ("-h", "--help"):
        _with_examples(build_parser()).print_help()
        raise SystemExit(0)
    args = _with_example(build_tui_parser(), "open").parse_args(argv)
    args.command = "open"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    module_name = {"import": "import_plan"}.get(args.command, args.command)
    try:
        module = importlib.import_module(f"tui.commands.{module_name}")
        return int(module.run(args) or 0)
    except UsageError as exc:
        _complain(str(exc))
        return 2
    except PatchbayError as exc:
        _complain(str(exc))
        return 1
    except KeyboardInterrupt:
        print("patchbay: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `patchbay status | head`: the reader went away; that is not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except Exception as exc:  # a bug: say so in one sentence and keep the traceback in a file
        if _interrupted(exc):
            # A Ctrl-C that lands while a module is being imported can surface wrapped in another
            # error (Python's class creation turns it into a RuntimeError): it is still a Ctrl-C.
            print("patchbay: interrupted", file=sys.stderr)
            return 130
        report = _write_crash_report()
        print(
            f"patchbay: internal error ({type(exc).__name__}: {exc}); the details are in {report}",
            file=sys.stderr,
        )
        return 70


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt caused `exc` (through its causes and contexts)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _complain(text: str) -> None:
    # An error can quote a path or a line from a model's answer: no escape sequences to a terminal.
    if sys.stderr.isatty():
        from tui.commands.terminal_text import strip_control_sequences

        text = strip_control_sequences(text)
    print(f"patchbay: {text}", file=sys.stderr)


def _write_crash_report() -> str:
    # Imported here: every command, and the TUI's first frame, would pay for them otherwise.
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="patchbay-crash-", suffix=".txt")
    with os.fdopen(fd, "w") as handle:
        handle.write(traceback.format_exc())
    return name
