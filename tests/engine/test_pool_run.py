"""`patchbay run --auto --parallel N` against a pool of three real HTTP servers on 127.0.0.1 (one
slow, one that drops connections mid-stream, one healthy): the streams spread over the servers,
a dropped answer restarts elsewhere, and every task's change is applied exactly once."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from tui.cli import main
from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook

from .fake_openai_server import FakeOpenAIServer, content_event, sse

TASKS = [f"t{i}" for i in range(1, 7)]


def answer_for(body: dict) -> list[bytes]:
    """A diff adding one line to the task's own file, a line per frame (so a drop lands mid-diff)."""
    task = re.search(r"task (t\d+)", body["messages"][-1]["content"]).group(1)
    diff = f"```diff\n--- a/{task}.txt\n+++ b/{task}.txt\n@@ -1 +1,2 @@\n base {task}\n+done by {task}\n```\n"
    events = [content_event(line) for line in diff.splitlines(keepends=True)]
    return sse([*events, content_event(finish="stop"), "data: [DONE]\n\n"])


def make_pool_runbook(folder: Path, servers: list[FakeOpenAIServer], tasks: list[str] = TASKS) -> Path:
    work = folder / "work"
    (folder / "prompt_templates").mkdir(parents=True)
    work.mkdir()
    (folder / "prompt_templates/t.j2").write_text("Please do task {{ task.id }}.\n")
    lines = ["name: pooled", "workdir: work", "defaults: {model: coder, commit: true}", "tasks:"]
    for task in tasks:
        (work / f"{task}.txt").write_text(f"base {task}\n")
        lines.append(
            f"  - {{id: {task}, name: {task}, type: AI_ASSISTED, "
            f"ai_details: {{prompt_template: t.j2, files_to_modify: [{task}.txt]}}}}"
        )
    (folder / "runbook.yaml").write_text("\n".join(lines) + "\n")
    entries = "".join(f"      - {{base_url: {s.base_url}, max_concurrent: 1}}\n" for s in servers)
    (folder / "patchbay.yaml").write_text(
        f"models:\n  coder:\n    backend: openai\n    model: coder\n    read_timeout: 10\n    servers:\n{entries}"
    )
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=work, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "base"],
        cwd=work,
        check=True,
    )
    subprocess.run(["git", "config", "user.name", "t"], cwd=work, check=True)
    subprocess.run(["git", "config", "user.email", "t@t.invalid"], cwd=work, check=True)
    return folder


def chats(server: FakeOpenAIServer) -> int:
    return sum(1 for _method, path, *_ in server.script.requests if path == "/v1/chat/completions")


@pytest.fixture
def pool_servers():
    with ExitStack() as stack:
        slow, dropping, healthy = (stack.enter_context(FakeOpenAIServer()) for _ in range(3))
        for server in (slow, dropping, healthy):
            server.script.chat.frames_for = answer_for
        slow.script.chat.delay = 0.05
        dropping.script.chat.drop_after = 3
        yield slow, dropping, healthy


def test_parallel_run_spreads_over_the_pool_fails_over_and_applies_each_change_once(
    tmp_path, pool_servers, capsys
):
    slow, dropping, healthy = pool_servers
    folder = make_pool_runbook(tmp_path / "rb", [slow, dropping, healthy])
    code = main(["run", str(folder), "--auto", "--parallel", "6"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "6 done, 0 failed" in err
    assert "patchbay: model coder: servers 2/3 up · streams 0+0+0" in err
    assert f"patchbay: model coder: {dropping.base_url} is out of rotation: the connection to" in err
    # Distribution: the first three streams went one to each server, never two on one at once.
    assert chats(dropping) == 1  # it dropped its stream and stayed out of rotation (30 s back-off)
    assert chats(slow) >= 1 and chats(healthy) >= 2
    assert chats(slow) + chats(healthy) == 6  # five answers plus the restarted one
    assert [s.script.peak_streaming for s in pool_servers] == [1, 1, 1]
    # Every task's change applied exactly once, and committed once.
    for task in TASKS:
        assert (folder / f"work/{task}.txt").read_text() == f"base {task}\ndone by {task}\n"
    log = read_log(folder / "logs/run_log.jsonl")
    applied = Counter(event["task_id"] for event in log if event["event_type"] == "PATCH_APPLIED")
    assert applied == Counter(TASKS)
    subjects = subprocess.run(
        ["git", "log", "--format=%s"], cwd=folder / "work", capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(subjects) == 7
    # The dropped partial answer is in the log and outputs/, and was never reviewed.
    (restart,) = [event for event in log if event["event_type"] == "AI_GENERATION_RESTARTED"]
    assert restart["details"]["server"] == dropping.base_url
    partial = Path(restart["details"]["partial_output"]).read_text()
    assert partial.startswith("```diff\n--- a/") and "+done by" not in partial
    (answer,) = [
        event
        for event in log
        if event["event_type"] == "AI_RESPONSE_RECEIVED" and event["task_id"] == restart["task_id"]
    ]
    reviewed = Path(answer["details"]["output"]).read_text()
    assert reviewed.count("--- a/") == 1 and reviewed.startswith("```diff\n")  # the partial is not in it
    assert {task.status for task in load_runbook(folder).tasks} == {"DONE"}
    json.dumps(log)  # the log stays plain JSON


def test_several_runbooks_run_side_by_side_sharing_one_pool(tmp_path, pool_servers, capsys):
    slow, _dropping, healthy = pool_servers
    first = make_pool_runbook(tmp_path / "one", [slow, healthy], tasks=["t1", "t2", "t3"])
    second = make_pool_runbook(tmp_path / "two", [slow, healthy], tasks=["t4", "t5", "t6"])
    code = main(["run", str(first), str(second), "--auto", "--parallel", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    summaries = [line for line in err.splitlines() if "passed over (exit" in line]
    assert err.splitlines()[-1] == "patchbay: model coder: servers 2/2 up · streams 0+0"
    assert summaries == [
        f"patchbay: {first}: 3 done, 0 failed, 0 retries, 0 passed over (exit 0)",
        f"patchbay: {second}: 3 done, 0 failed, 0 retries, 0 passed over (exit 0)",
    ]
    for folder, tasks in ((first, ["t1", "t2", "t3"]), (second, ["t4", "t5", "t6"])):
        for task in tasks:
            assert (folder / f"work/{task}.txt").read_text() == f"base {task}\ndone by {task}\n"
        assert not (folder / "logs/.lock").exists()
    # Four streams were wanted at once, but the two runbooks share one pool: never two on a server.
    assert slow.script.peak_streaming == 1 and healthy.script.peak_streaming == 1
    assert chats(slow) + chats(healthy) == 6


def test_several_runbooks_need_auto_and_their_own_working_trees(tmp_path, pool_servers, capsys):
    first = make_pool_runbook(tmp_path / "one", pool_servers[2:], tasks=["t1"])
    assert main(["run", str(first), str(first / "runbook.yaml"), "--auto"]) == 2
    assert main(["run", str(first), str(tmp_path / "one"), "--task", "t1", "--auto"]) == 2
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "runbook.yaml").write_text(f"name: twin\nworkdir: {first / 'work'}\ntasks: []\n")
    assert main(["run", str(first), str(twin)]) == 2
    assert main(["run", str(first), str(twin), "--auto"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("runbook.yaml is given twice")
    assert "give that runbook alone" in err[1] and "only with --auto" in err[2]
    assert (
        err[3]
        == f"patchbay: {first} and {twin} work on the same working tree {first / 'work'}; run them one after the other"
    )
    assert not (first / "logs/.lock").exists() and not (twin / "logs/.lock").exists()
