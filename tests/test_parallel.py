"""Parallel tasks: which tasks may generate together, generating them at once, and
`patchbay run --auto --parallel N` on copies of the demo (real files, git, commands, replay model)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.parallel import ParallelGeneration, ancestors, independent_ready
from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook
from tui.runner import Phase, TaskRun
from tui.session import Session

TASKS = """\
name: scheduling
workdir: work
defaults: {model: demo}
tasks:
  - {id: a, name: A, type: AI_ASSISTED, ai_details: {prompt_template: t.j2, files_to_modify: [x.py]}}
  - {id: b, name: B, type: AI_ASSISTED, depends_on: [a], ai_details: {prompt_template: t.j2, files_to_modify: [y.py]}}
  - {id: c, name: C, type: AI_ASSISTED, ai_details: {prompt_template: t.j2, files_to_modify: [y.py, x.py]}}
  - {id: d, name: D, type: AI_ASSISTED, ai_details: {prompt_template: t.j2, files_to_modify: [./z.py]}}
  - {id: e, name: E, type: AI_ASSISTED, ai_details: {prompt_template: t.j2}}
  - {id: s, name: S, type: AUTOMATED_SCRIPT, script_details: {command: "true"}}
  - {id: g, name: G, type: MANUAL, status: DONE, manual_instructions: done}
  - {id: f, name: F, type: AI_ASSISTED, depends_on: [g], ai_details: {prompt_template: t.j2, files_to_modify: [w.py]}}
  - {id: m, name: M, type: MANUAL, status: DONE, depends_on: [a], manual_instructions: done early}
  - {id: h, name: H, type: AI_ASSISTED, depends_on: [m], ai_details: {prompt_template: t.j2, files_to_modify: [q.py]}}
"""


def make_runbook(folder: Path, tasks: str = TASKS, rate: int = 0) -> Path:
    (folder / "prompt_templates").mkdir(parents=True)
    (folder / "work").mkdir()
    (folder / "prompt_templates/t.j2").write_text("Please do {{ task.name }}.\n")
    (folder / "runbook.yaml").write_text(tasks)
    (folder / "patchbay.yaml").write_text(
        "models:\n  demo:\n    backend: replay\n    transcript: replay.yaml\n"
    )
    answers = "".join(
        f'  - task: {task}\n    text: "{" ".join(f"{task}{i}" for i in range(12))}"\n' for task in "abcdefh"
    )
    (folder / "replay.yaml").write_text(f"rate: {rate}\nanswers:\n{answers}")
    return folder


def ids(tasks) -> list[str]:
    return [task.id for task in tasks]


def test_ancestors_follow_dependencies_transitively(tmp_path):
    runbook = load_runbook(make_runbook(tmp_path / "rb"))
    reach = ancestors(runbook)
    assert reach["h"] == {"m", "a"} and reach["b"] == {"a"} and reach["a"] == set()


def test_only_independent_ready_ai_tasks_with_disjoint_files_are_chosen(tmp_path):
    runbook = load_runbook(make_runbook(tmp_path / "rb"))
    # b waits for a; c shares x.py with a; e names no files; s is a script; h reaches a through m.
    assert ids(independent_ready(runbook, 10)) == ["a", "d", "f"]
    assert ids(independent_ready(runbook, 2)) == ["a", "d"]
    assert ids(independent_ready(runbook, 1)) == ["a"]


def test_without_a_the_tasks_it_blocked_from_pairing_can_join(tmp_path):
    runbook = load_runbook(make_runbook(tmp_path / "rb"))
    assert ids(independent_ready(runbook, 10, exclude={"a"})) == ["c", "d", "f", "h"]


def test_a_task_without_files_to_modify_runs_alone(tmp_path):
    runbook = load_runbook(make_runbook(tmp_path / "rb"))
    assert ids(independent_ready(runbook, 10, exclude={"a", "c", "d"})) == ["e"]


def expected_answer(task: str) -> str:
    return " ".join(f"{task}{i}" for i in range(12))


def generate_together(folder: Path, slots: int | None = None) -> tuple[list[str], dict[str, str], Session]:
    session = Session(folder)
    if slots is not None:  # a model that takes only this many streams at once
        session.load_model("demo")
        session._stream_slots["demo"] = threading.BoundedSemaphore(slots)
    runs = [TaskRun.begin(session, task_id) for task_id in ("a", "d", "f")]
    order: list[str] = []
    texts = {run.task_id: "" for run in runs}
    lock = threading.Lock()

    def on_chunk(task_id: str, text: str) -> None:
        with lock:
            order.append(task_id)
            texts[task_id] += text

    outcomes = ParallelGeneration(runs, on_chunk=on_chunk).run()
    assert [o.task_id for o in outcomes] == ["a", "d", "f"]
    assert all(o.error is None and o.run.phase is Phase.ANSWERED for o in outcomes)
    return order, texts, session


def switches(order: list[str]) -> int:
    return sum(1 for before, after in itertools.pairwise(order) if before != after)


def test_tasks_generate_at_once_and_each_gets_its_own_answer(tmp_path):
    order, texts, session = generate_together(make_runbook(tmp_path / "rb", rate=60))
    assert texts == {task: expected_answer(task) for task in "adf"}
    assert switches(order) > 2  # the streams interleaved: they ran side by side
    assert {session.effective_status(t) for t in "adf"} == {"RUNNING"}
    log = read_log(tmp_path / "rb/logs/run_log.jsonl")
    assert sorted(r["task_id"] for r in log if r["event_type"] == "AI_RESPONSE_RECEIVED") == ["a", "d", "f"]
    # every task's own YAML write survived the others (no lost read-modify-write)
    text = (tmp_path / "rb/runbook.yaml").read_text()
    assert text.count("last_run") == 3 and text.count("RUNNING") == 3


def test_streams_beyond_what_the_model_takes_wait_their_turn(tmp_path):
    order, texts, _session = generate_together(make_runbook(tmp_path / "rb", rate=200), slots=1)
    assert texts == {task: expected_answer(task) for task in "adf"}
    assert switches(order) == 2  # one whole answer after another


def test_cancel_stops_every_stream_of_the_batch(tmp_path):
    session = Session(make_runbook(tmp_path / "rb", rate=5))
    runs = [TaskRun.begin(session, task_id) for task_id in ("a", "d")]
    generation = ParallelGeneration(runs)
    generation.start()
    time.sleep(0.3)
    generation.cancel()
    outcomes = generation.wait()
    assert [o.run.phase for o in outcomes] == [Phase.CANCELLED, Phase.CANCELLED]
    assert all(o.answer.final.finish_reason == "cancelled" for o in outcomes)


# -- the autopilot on the demo ------------------------------------------------------------------------


def demo_copy(folder: Path, *, independent: bool) -> Path:
    demo = prepare_demo(folder)
    if independent:  # add_cli_flag (cli.py) no longer waits for add_median (stats.py, tests)
        runbook = demo / "runbook.yaml"
        text = runbook.read_text()
        runbook.write_text(text.replace("depends_on: [add_median]", "depends_on: [add_type_hints]"))
    return demo


def commits(project: Path) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def statuses(folder: Path) -> dict[str, str]:
    return {task.id: task.status for task in load_runbook(folder).tasks}


def autopilot(demo: Path, capsys, *extra: str) -> str:
    code = main(["run", str(demo), "--auto", "--keep-going", "--replay-rate", "0", *extra])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def assert_applies_never_overlapped(demo: Path) -> None:
    """From one PATCH_APPLIED to the end of that task's turn, no other task touches the tree."""
    holder = None
    for record in read_log(demo / "logs/run_log.jsonl"):
        kind, task = record["event_type"], record["task_id"]
        if kind == "PATCH_APPLIED":
            assert holder in (None, task), f"{task} applied while {holder} held the working tree"
            holder = task
        elif kind in ("COMPLETE_TASK", "ROLLBACK", "ERROR_TASK") and task == holder:
            holder = None
        elif kind in ("VALIDATION_RUN", "COMMIT_CREATED"):
            assert task == holder


@pytest.mark.parametrize("independent", [False, True])
def test_parallel_autopilot_ends_like_the_sequential_one(tmp_path, capsys, independent):
    sequential = demo_copy(tmp_path / "sequential", independent=independent)
    parallel = demo_copy(tmp_path / "parallel", independent=independent)
    autopilot(sequential, capsys)
    err = autopilot(parallel, capsys, "--parallel", "2")
    assert "6 done, 0 failed, 1 retry, 2 passed over" in err
    assert statuses(parallel) == statuses(sequential)
    assert sorted(commits(parallel / "project")) == sorted(commits(sequential / "project"))
    for name in ("textkit/stats.py", "textkit/cli.py", "tests/test_stats.py"):
        assert (parallel / "project" / name).read_bytes() == (sequential / "project" / name).read_bytes()
    assert_applies_never_overlapped(parallel)
    together = "generating add_median, add_cli_flag in parallel" in err
    assert together is independent


def test_independent_tasks_were_both_asked_before_either_applied(tmp_path, capsys):
    demo = demo_copy(tmp_path / "demo", independent=True)
    autopilot(demo, capsys, "--parallel", "2")
    kinds = [(r["event_type"], r["task_id"]) for r in read_log(demo / "logs/run_log.jsonl")]
    first_apply = min(kinds.index(("PATCH_APPLIED", t)) for t in ("add_median", "add_cli_flag"))
    assert kinds.index(("AI_PROMPT_SENT", "add_median")) < first_apply
    assert kinds.index(("AI_PROMPT_SENT", "add_cli_flag")) < first_apply


def test_ctrl_c_while_a_batch_generates_leaves_both_tasks_ready(tmp_path):
    """A real SIGINT to a real `patchbay run --auto --parallel 2` while two answers stream."""
    demo = demo_copy(tmp_path / "demo", independent=True)
    # add_type_hints is done by hand first, so the run starts with the parallel pair.
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    run.generate()
    run.review()
    run.apply()
    run.validate()
    session.close()
    before = {name: (demo / "project" / name).read_bytes() for name in ("textkit/stats.py", "textkit/cli.py")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "run", str(demo), "--auto", "--parallel", "2", "--replay-rate", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    seen = ""
    deadline = time.monotonic() + 30
    while "in parallel" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "generating add_median, add_cli_flag in parallel" in seen
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _out, rest = proc.communicate(timeout=30)
    assert proc.returncode == 130, seen + rest
    assert "nothing was left half-applied" in rest
    final = statuses(demo)
    assert final["add_median"] == final["add_cli_flag"] == "READY"
    assert {name: (demo / "project" / name).read_bytes() for name in before} == before
    assert len(commits(demo / "project")) == 2  # the demo's own and add_type_hints
