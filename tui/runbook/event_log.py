"""The run log: every action on a runbook, one JSON object per line in `logs/run_log.jsonl`.

Each record is written with a single `write` on a file opened with O_APPEND, then fsynced, so
concurrent writers (threads or processes) never interleave within a line and a crash can at worst
leave a torn last line — which `read` skips and the next `append` starts after. Writers also take
an advisory `flock` (where available) so checking for a torn tail cannot race another process.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import threading
from pathlib import Path, PurePath
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: O_APPEND alone still keeps lines whole
    fcntl = None  # type: ignore[assignment]

LOG_FOLDER = "logs"
LOG_NAME = "run_log.jsonl"


class EventType(str, enum.Enum):
    """What happened. Values are the names written to the log."""

    START_TASK = "START_TASK"
    COMPLETE_TASK = "COMPLETE_TASK"
    ERROR_TASK = "ERROR_TASK"
    SKIP_TASK = "SKIP_TASK"
    RESET_TASK = "RESET_TASK"
    AI_PROMPT_SENT = "AI_PROMPT_SENT"
    AI_RESPONSE_RECEIVED = "AI_RESPONSE_RECEIVED"
    AI_GENERATION_CANCELLED = "AI_GENERATION_CANCELLED"
    AI_GENERATION_RESTARTED = "AI_GENERATION_RESTARTED"  # a failed pool server's partial answer
    PATCH_APPLIED = "PATCH_APPLIED"
    PATCH_REJECTED = "PATCH_REJECTED"
    PATCH_UNDONE = "PATCH_UNDONE"
    VALIDATION_RUN = "VALIDATION_RUN"
    SCRIPT_RUN = "SCRIPT_RUN"
    COMMIT_CREATED = "COMMIT_CREATED"
    MANUAL_ACTION = "MANUAL_ACTION"
    ROLLBACK = "ROLLBACK"
    RETRY = "RETRY"
    REVIEW_NOTE = "REVIEW_NOTE"  # a reviewer's note on a hunk or on the whole answer
    HUNK_REGENERATED = "HUNK_REGENERATED"  # one hunk asked again; the new hunks that replace it

    def __str__(self) -> str:
        return self.value


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """`moment` (default: now) as an ISO 8601 UTC string ending in Z, to the millisecond."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class EventLog:
    """Appends records to `<runbook_folder>/logs/run_log.jsonl`; safe to share between threads."""

    def __init__(self, runbook_folder: Path) -> None:
        self.path = Path(runbook_folder) / LOG_FOLDER / LOG_NAME
        self._lock = threading.Lock()

    def append(
        self,
        task_id: str | None,
        event_type: EventType | str,
        *,
        status_change: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write one record and return it. `status_change` reads like "READY->RUNNING"."""
        record = {
            "timestamp": utc_timestamp(),
            "task_id": task_id,
            "event_type": str(EventType(event_type)),
            "status_change": status_change,
            "details": dict(details or {}),
        }
        # no indent: json.dumps escapes newlines inside strings, so a record is always one line
        line = (json.dumps(record, ensure_ascii=False, default=_json_default) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    # other processes append too; the lock makes "is the last line torn?" race-free
                    fcntl.flock(fd, fcntl.LOCK_EX)
                if _ends_torn(fd):
                    line = b"\n" + line  # a crash left half a line: start ours on a fresh one
                _write_all(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return record

    def read(self) -> list[dict[str, Any]]:
        """All records written so far (see `read`)."""
        return read(self.path)


def read(path: Path) -> list[dict[str, Any]]:
    """Records of a run log in order; a missing file is empty, and torn or garbled lines are skipped."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    records: list[dict[str, Any]] = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue  # a line cut short by a crash
        if isinstance(record, dict):
            records.append(record)
    return records


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _write_all(fd: int, data: bytes) -> None:
    # one write() normally takes the whole line; loop only for the rare short write
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc_timestamp(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot log a {type(value).__name__}")
