"""The run log: one JSON object per line, whole lines only, even with concurrent writers and crashes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tui.runbook import event_log
from tui.runbook.event_log import EventLog, EventType


def test_records_are_json_lines_with_the_documented_fields(tmp_path):
    log = EventLog(tmp_path)
    log.append("t1", EventType.START_TASK, status_change="READY->RUNNING", details={"model": "default"})
    log.append(
        "t1",
        "VALIDATION_RUN",
        details={
            "exit_code": 1,
            "output": "line one\nline two",
            "when": dt.datetime(2026, 1, 2, 3, 4, 5),
            "file": Path("a/b.py"),
        },
    )
    log.append(None, EventType.MANUAL_ACTION)

    lines = (tmp_path / "logs" / "run_log.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert set(first) == {"timestamp", "task_id", "event_type", "status_change", "details"}
    assert first["event_type"] == "START_TASK" and first["status_change"] == "READY->RUNNING"
    assert first["timestamp"].endswith("Z")
    dt.datetime.fromisoformat(first["timestamp"].removesuffix("Z"))  # a real ISO timestamp
    assert second["details"] == {
        "exit_code": 1,
        "output": "line one\nline two",
        "when": "2026-01-02T03:04:05.000Z",
        "file": "a/b.py",
    }
    assert second["status_change"] is None
    assert third == {**third, "task_id": None, "event_type": "MANUAL_ACTION", "details": {}}
    assert log.read() == [first, second, third]


def test_unknown_event_type_is_a_bug_not_a_line(tmp_path):
    log = EventLog(tmp_path)
    with pytest.raises(ValueError):
        log.append("t1", "NOT_AN_EVENT")
    assert log.read() == []
    assert not (tmp_path / "logs" / "run_log.jsonl").exists()


def test_concurrent_threads_never_interleave_lines(tmp_path):
    log = EventLog(tmp_path)
    threads_count, per_thread = 8, 60
    padding = "x" * 20_000  # long lines make interleaving likely if a record were written in pieces

    def work(worker: int) -> None:
        for seq in range(per_thread):
            log.append(f"w{worker}", EventType.AI_RESPONSE_RECEIVED, details={"seq": seq, "pad": padding})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    raw = (tmp_path / "logs" / "run_log.jsonl").read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b"" and len(lines) == threads_count * per_thread + 1
    records = [json.loads(line) for line in lines[:-1]]
    for worker in range(threads_count):
        seqs = [r["details"]["seq"] for r in records if r["task_id"] == f"w{worker}"]
        assert seqs == list(range(per_thread))


def test_concurrent_processes_never_interleave_lines(tmp_path):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tui.runbook.event_log import EventLog\n"
        "log = EventLog(Path(sys.argv[1]))\n"
        "for seq in range(50):\n"
        "    log.append(sys.argv[2], 'PATCH_APPLIED', details={'seq': seq, 'pad': 'y' * 30000})\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"p{n}"]) for n in range(4)]
    assert [worker.wait() for worker in workers] == [0, 0, 0, 0]
    records = event_log.read(tmp_path / "logs" / "run_log.jsonl")
    raw_lines = (tmp_path / "logs" / "run_log.jsonl").read_bytes().splitlines()
    assert len(records) == len(raw_lines) == 200
    assert sorted(r["task_id"] for r in records) == sorted(f"p{n}" for n in range(4) for _ in range(50))


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_on_a_fresh_line(tmp_path):
    log = EventLog(tmp_path)
    log.append("t1", EventType.START_TASK)
    with open(log.path, "ab") as handle:  # what a crash in the middle of a write would leave
        handle.write(b'{"timestamp": "2026-01-01T00:00:00Z", "task_id": "t1", "eve')
    assert [r["event_type"] for r in log.read()] == ["START_TASK"]

    log.append("t1", EventType.ERROR_TASK, status_change="RUNNING->ERROR")
    assert [r["event_type"] for r in log.read()] == ["START_TASK", "ERROR_TASK"]
    assert log.path.read_bytes().endswith(b"\n")


def test_reading_a_missing_log_gives_no_records(tmp_path):
    assert event_log.read(tmp_path / "logs" / "run_log.jsonl") == []


def test_timestamps_are_utc_with_z():
    moment = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert event_log.utc_timestamp(moment) == "2026-11-21T10:00:00.000Z"
