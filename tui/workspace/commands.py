"""Running validation and script commands: streamed output, timeouts, cancel, no stray processes.

The command runs exactly as written in the runbook. Patchbay never interpolates template
variables (task ids, paths from model output, ...) into a shell line, so nothing a model writes
can become shell syntax; a runbook that wants shell features says `shell: true` itself.

run_command blocks, so callers run it off the event loop: the TUI in a thread worker
(`@work(thread=True)`, setting `cancel_event` when the worker is cancelled and posting messages
from `on_output`, which is called on a reader thread), asyncio code through run_command_async.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import select
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.errors import PatchbayError
from tui.workspace.shell_syntax import shell_syntax

OUTPUT_CAP_CHARS = 1_000_000  # about 1 MB of the most recent output
KILL_GRACE_SECONDS = 2.0
# After the command exits, how long to wait for its output pipe to close before ending the
# background processes it left holding it.
DRAIN_SECONDS = 0.5
_POLL_SECONDS = 0.05
_READ_SIZE = 65536


@dataclass(frozen=True)
class CommandResult:
    exit_code: int  # negative: killed by that signal; 127 not found; 126 not executable
    output: str  # stdout and stderr merged; the last OUTPUT_CAP_CHARS at most, with a note
    timed_out: bool
    cancelled: bool
    duration: float  # seconds
    error: str | None = None  # why the command could not start, when it could not

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.cancelled


def run_command(
    command: str | list[str],
    cwd: Path,
    *,
    shell: bool = False,
    timeout: float | None = None,
    on_output: Callable[[str], None] | None = None,
    cancel_event: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> CommandResult:
    """Run `command` in `cwd` in its own process group, streaming merged output to `on_output`.

    A string is split like a POSIX shell would (shlex) unless `shell` is true, when it goes to
    `/bin/sh -c` as written. `env` adds to (and overrides) the inherited environment. On timeout
    or cancel the whole process group gets SIGTERM, then SIGKILL after `kill_grace` seconds.
    Raises PatchbayError only for a malformed command line (unbalanced quotes, empty command, shell
    syntax in a string that runs without a shell).
    """
    argv = _argv(command, shell)
    started = time.monotonic()
    full_env = None if env is None else {**os.environ, **env}
    if not Path(cwd).is_dir():
        return _not_started(
            127, f"The folder {cwd} to run the command in does not exist.", started, on_output
        )
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so we can end its children too
        )
    except FileNotFoundError:
        missing = argv if isinstance(argv, str) else argv[0]
        return _not_started(127, f"Command not found: {missing}.", started, on_output)
    except PermissionError:
        missing = argv if isinstance(argv, str) else argv[0]
        return _not_started(126, f"Command cannot be run (permission denied): {missing}.", started, on_output)

    assert process.stdout is not None
    pipe = os.fstat(process.stdout.fileno()).st_ino
    collector = _OutputCollector(on_output)
    reader = threading.Thread(target=collector.read_all, args=(process.stdout,), daemon=True)
    reader.start()
    cancel_event = cancel_event if cancel_event is not None else threading.Event()
    deadline = None if timeout is None else started + timeout
    try:
        timed_out, cancelled, abandoned = _supervise(
            process, pipe, reader, collector, cancel_event, deadline, kill_grace
        )
    except BaseException:
        # Ctrl-C in this thread (KeyboardInterrupt): the command is in its own session, out of
        # the terminal's reach, so it ends here or it would run on unseen.
        _end_command(process.pid, pipe, kill_grace)
        collector.stop()
        raise
    process.wait()
    _await_group_gone(process.pid)
    if collector.callback_error is not None:
        raise collector.callback_error
    if abandoned:
        collector.note(
            "\n[patchbay: stopped reading: a process the command started still holds its output]\n"
        )
    if timed_out:
        collector.note(f"\n[patchbay: stopped after the {timeout:g} s timeout]\n")
    elif cancelled:
        collector.note("\n[patchbay: cancelled]\n")
    return CommandResult(
        exit_code=process.returncode,
        output=collector.text(),
        timed_out=timed_out,
        cancelled=cancelled,
        duration=time.monotonic() - started,
    )


def _supervise(
    process: subprocess.Popen,
    pipe: int,
    reader: threading.Thread,
    collector: _OutputCollector,
    cancel_event: threading.Event,
    deadline: float | None,
    kill_grace: float,
) -> tuple[bool, bool, bool]:
    """Wait for the command and its output; (timed out, cancelled, stopped reading early)."""
    timed_out = cancelled = abandoned = False
    while process.poll() is None:
        if cancel_event.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if cancelled or timed_out:
            _end_command(process.pid, pipe, kill_grace)
            break
        cancel_event.wait(_POLL_SECONDS)
    if not _drained(reader, DRAIN_SECONDS, cancel_event):
        # Processes the command started (in the background, maybe detached with setsid) still
        # hold its output open; they belong to the command, so they end with it.
        cancelled = cancelled or (cancel_event.is_set() and not timed_out)
        _end_command(process.pid, pipe, kill_grace)
        if not _drained(reader, DRAIN_SECONDS, None):
            collector.stop()  # a holder we may not signal: stop reading rather than wait on it
            reader.join()
            abandoned = True
    else:
        _end_command(process.pid, None, 0)  # anything left that closed its output
    return timed_out, cancelled, abandoned


async def run_command_async(command: str | list[str], cwd: Path, **options) -> CommandResult:
    """run_command on a worker thread; cancelling the awaiting task ends the process group.

    Takes the same keyword options as run_command. `on_output` is still called on a thread.
    """
    cancel_event = options.pop("cancel_event", None) or threading.Event()
    task = asyncio.ensure_future(
        asyncio.to_thread(run_command, command, cwd, cancel_event=cancel_event, **options)
    )
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        cancel_event.set()
        with contextlib.suppress(Exception):
            await task  # let the process group be ended before we report the cancel
        raise


def _argv(command: str | list[str], shell: bool) -> str | list[str]:
    if shell:
        if not isinstance(command, str):
            command = shlex.join(command)
        if not command.strip():
            raise PatchbayError("The command is empty.")
        return command
    if isinstance(command, str):
        found = shell_syntax(command)
        if found is not None:
            # Run without a shell it would not mean what it says (`a; exit 3` prints "a; exit 3").
            raise PatchbayError(
                f"The command {command!r} uses shell syntax ({found}) but was not marked `shell: true`."
            )
        try:
            argv = shlex.split(command)
        except ValueError as error:
            raise PatchbayError(f"The command {command!r} cannot be split into words: {error}.") from None
    else:
        argv = list(command)
    if not argv:
        raise PatchbayError("The command is empty.")
    return argv


def _not_started(code: int, message: str, started: float, on_output) -> CommandResult:
    if on_output is not None:
        on_output(message + "\n")
    return CommandResult(code, message + "\n", False, False, time.monotonic() - started, error=message)


def _drained(reader: threading.Thread, seconds: float, cancel_event: threading.Event | None) -> bool:
    """Wait up to `seconds` for the output to close; a cancel cuts the wait short."""
    give_up = time.monotonic() + seconds
    while reader.is_alive():
        left = give_up - time.monotonic()
        if left <= 0 or (cancel_event is not None and cancel_event.is_set()):
            return False
        reader.join(min(left, _POLL_SECONDS))
    return True


def _end_command(leader: int, pipe: int | None, grace: float) -> None:
    """SIGTERM everything the command started, then SIGKILL what is left after `grace` seconds.

    That is its process group and its session (it leads both), and, when `pipe` is given, any
    other process holding its output pipe: a child that called setsid() left both.
    """
    if grace > 0:
        _signal_all(leader, _command_processes(leader, pipe), signal.SIGTERM)
        give_up = time.monotonic() + grace
        while time.monotonic() < give_up and _command_processes(leader, pipe):
            time.sleep(_POLL_SECONDS)
    # Children may ignore SIGTERM even when the leader obeyed it. A fresh look, so a pid that
    # ended meanwhile (and may have been reused) is not signalled.
    _signal_all(leader, _command_processes(leader, pipe), signal.SIGKILL)


def _signal_all(leader: int, processes: set[int], sig: int) -> None:
    _signal_group(leader, sig)
    for pid in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _command_processes(leader: int, pipe: int | None) -> set[int]:
    """Live processes in the command's group or session, or holding the pipe with inode `pipe`."""
    found: set[int] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return found  # elsewhere the process group is all we can reach
    me = os.getpid()
    holder_link = f"pipe:[{pipe}]"
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue  # zombies hold nothing
        if leader in (int(fields[2]), int(fields[3])) or (pipe is not None and _holds(entry, holder_link)):
            found.add(int(entry.name))
    return found


def _holds(entry: Path, link: str) -> bool:
    try:
        descriptors = list((entry / "fd").iterdir())
    except OSError:
        return False  # another user's process (not ours to end), or gone
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(descriptor) == link:
                return True
    return False


def _signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when no process of the group is left."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _await_group_gone(pgid: int, limit: float = 1.0) -> None:
    """A killed process lingers a moment while the kernel tears it down; let it go before returning.

    Bounded, in case the kernel is slow or /proc is missing (then zombies count as alive).
    """
    deadline = time.monotonic() + limit
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs; zombies do not count (they hold nothing)."""
    if not _signal_group(pgid, 0):
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class _OutputCollector:
    """Keeps the last OUTPUT_CAP_CHARS of output and passes each chunk on as it arrives."""

    def __init__(self, on_output: Callable[[str], None] | None) -> None:
        self._on_output = on_output
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chunks: deque[str] = deque()
        self._size = 0
        self._dropped = 0
        self._notes: list[str] = []
        self._stop = threading.Event()
        self.callback_error: BaseException | None = None

    def read_all(self, stream) -> None:
        fd = stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(_POLL_SECONDS * 1000):
                continue  # nothing yet; look at the stop flag again
            data = os.read(fd, _READ_SIZE)
            if not data:
                break
            self._add(self._decoder.decode(data))
        self._add(self._decoder.decode(b"", final=True))
        stream.close()

    def stop(self) -> None:
        """Stop reading at the next poll, even though the pipe is still open."""
        self._stop.set()

    def note(self, text: str) -> None:
        self._notes.append(text)
        self._emit(text)

    def text(self) -> str:
        head = ""
        if self._dropped:
            head = f"[patchbay: {self._dropped:,} earlier characters of output were dropped]\n"
        return head + "".join(self._chunks) + "".join(self._notes)

    def _emit(self, text: str) -> None:
        if self._on_output is None:
            return
        try:
            self._on_output(text)
        except BaseException as error:
            # Keep reading (a full pipe would freeze the command); run_command re-raises it after.
            self.callback_error = error
            self._on_output = None

    def _add(self, text: str) -> None:
        if not text:
            return
        self._emit(text)
        self._chunks.append(text)
        self._size += len(text)
        while self._size > OUTPUT_CAP_CHARS and self._chunks:
            excess = self._size - OUTPUT_CAP_CHARS
            first = self._chunks[0]
            if len(first) <= excess:
                self._chunks.popleft()
                cut = len(first)
            else:
                self._chunks[0] = first[excess:]
                cut = excess
            self._size -= cut
            self._dropped += cut
