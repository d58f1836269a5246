"""The replay backend: transcript checks with file:line, answer choice, pacing, cancel."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine.base import (
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
)
from tui.engine.replay import ReplayBackend, load_transcript, split_tokens
from tui.errors import LocatedError

TRANSCRIPT = """\
rate: 0
answers:
  - task: add_hints
    text: "generic answer"
  - task: add_hints
    attempt: 2
    text: |
      second   attempt
      with lines
  - task: other
    attempt: 1
    text: first only
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "replay.yaml"
    path.write_text(text)
    return path


def play(backend, task, attempt=1, **settings):
    items = list(
        backend.stream(
            GenerationRequest(
                [ChatMessage("user", "hi there")], GenerationSettings(**settings), task, attempt
            )
        )
    )
    assert isinstance(items[-1], FinalRecord)
    assert all(isinstance(i, Chunk) for i in items[:-1])
    return "".join(i.text for i in items[:-1]), items[-1]


@given(st.text(alphabet=" \n\tab.é", max_size=60))
def test_tokens_join_back_to_the_text(text):
    tokens = split_tokens(text)
    assert "".join(tokens) == text
    assert all(token.strip() for token in tokens[:-1])


def test_a_token_is_a_word_with_the_spaces_before_it():
    assert split_tokens("  def add(a, b):\n") == ["  def", " add(a,", " b):\n"]


def test_exact_attempt_beats_an_answer_for_any_attempt(tmp_path):
    backend = ReplayBackend(write(tmp_path, TRANSCRIPT))
    assert play(backend, "add_hints", 1)[0] == "generic answer"
    assert play(backend, "add_hints", 2)[0] == "second   attempt\nwith lines\n"
    assert play(backend, "add_hints", 3)[0] == "generic answer"


def test_no_answer_is_one_sentence_naming_file_task_and_attempt(tmp_path):
    path = write(tmp_path, TRANSCRIPT)
    with pytest.raises(EngineError) as caught:
        play(ReplayBackend(path), "other", 2)
    assert str(caught.value) == f"the replay transcript {path} has no answer for task other (attempt 2)"


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("rate: fast\nanswers: []\n", ":1:7:", "rate must be a number"),
        ("answers:\n  - task: a\n    txt: x\n", ":3:5:", "unknown key 'txt'"),
        ("answers:\n  - task: a\n    text: [1]\n", ":3:11:", "text must be a string"),
        ("answers:\n  - task: a\n    attempt: 0\n    text: x\n", ":3:14:", "attempt must be a whole number"),
        ("answers:\n  - text: x\n", ":2:5:", "needs 'task'"),
        ("answers: [\n", ":2:1:", "not valid YAML"),
        ("rate: 5\n", ":1:1:", "needs an 'answers' list"),
    ],
)
def test_bad_transcripts_point_at_the_line(tmp_path, text, where, says):
    path = write(tmp_path, text)
    with pytest.raises(LocatedError) as caught:
        load_transcript(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert says in str(caught.value)


def test_max_new_tokens_cuts_the_answer_and_reports_length(tmp_path):
    backend = ReplayBackend(write(tmp_path, "answers:\n  - task: t\n    text: one two three four\n"), rate=0)
    text, final = play(backend, "t", max_new_tokens=2)
    assert text == "one two" and final.finish_reason == "length" and final.new_tokens == 2


def test_stop_strings_end_the_answer_like_a_model(tmp_path):
    backend = ReplayBackend(
        write(tmp_path, "answers:\n  - task: t\n    text: keep this END not this\n"), rate=0
    )
    text, final = play(backend, "t", stop=["END"])
    assert text == "keep this " and final.finish_reason == "stop"


def test_rate_override_beats_the_transcript(tmp_path):
    path = write(tmp_path, "rate: 7\nanswers: []\n")
    backend = ReplayBackend(path)
    backend.load()
    assert backend.rate() == 7
    assert ReplayBackend(path, rate=0).rate() == 0


def test_paced_play_batches_tokens_when_the_rate_is_high(tmp_path):
    words = " ".join(f"w{i}" for i in range(2000))
    backend = ReplayBackend(write(tmp_path, f"answers:\n  - task: t\n    text: {words}\n"), rate=5000)
    items = list(backend.stream(GenerationRequest([], GenerationSettings(max_new_tokens=5000), "t")))
    chunks = [i for i in items if isinstance(i, Chunk)]
    assert "".join(c.text for c in chunks) == words
    assert len(chunks) < 2000  # several tokens per wake-up rather than one sleep per token
    assert items[-1].new_tokens == 2000 and items[-1].finish_reason == "stop"


def test_cancel_mid_stream_ends_with_cancelled(tmp_path):
    words = " ".join(f"w{i}" for i in range(1000))
    backend = ReplayBackend(write(tmp_path, f"answers:\n  - task: t\n    text: {words}\n"), rate=100)
    items = backend.stream(GenerationRequest([], task_id="t"))
    first = next(items)
    threading.Thread(target=backend.cancel).start()
    rest = list(items)
    final = rest[-1]
    assert isinstance(first, Chunk) and final.finish_reason == "cancelled"
    assert 1 <= final.new_tokens < 1000


def test_a_cancel_after_the_stream_does_not_touch_the_next_one(tmp_path):
    backend = ReplayBackend(write(tmp_path, "answers:\n  - task: t\n    text: a b\n"), rate=0)
    play(backend, "t")
    backend.cancel()
    assert play(backend, "t")[1].finish_reason == "stop"


def test_counts_are_the_replay_models_own_tokens(tmp_path):
    backend = ReplayBackend(write(tmp_path, TRANSCRIPT))
    count = backend.count_tokens([ChatMessage("user", "one two  three"), ChatMessage("system", "four")])
    assert (count.count, count.exact) == (4, True)


def test_describe(tmp_path):
    assert ReplayBackend(write(tmp_path, TRANSCRIPT), rate=0).describe() == "replay @ replay.yaml (instant)"


def test_pacing_schedules_against_the_start_clock(tmp_path, monkeypatch):
    # A fake clock shows the schedule: token k is due at k/rate, whatever the waits took.
    backend = ReplayBackend(write(tmp_path, "answers:\n  - task: t\n    text: a b c d e f\n"), rate=2)
    backend.generation_timeout = None  # its timer would wait on the patched Event too
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])

    class LateEvent(threading.Event):
        def wait(self, timeout=None):  # every wait oversleeps by 1.2 s (a busy machine)
            now[0] += timeout + 1.2
            return False

    monkeypatch.setattr(threading, "Event", LateEvent)
    chunks = [i.text for i in backend.stream(GenerationRequest([], task_id="t")) if isinstance(i, Chunk)]
    # Sleeping 1/rate per token would drift to 6 x 1.7 s; the schedule catches up instead.
    assert chunks == ["a b c", " d e f"]
    assert now[0] - 100.0 == pytest.approx(3.2)


def test_a_stream_past_its_generation_deadline_ends_in_an_error_with_the_text_kept(tmp_path):
    backend = ReplayBackend(
        write(tmp_path, "answers:\n  - task: t\n    text: " + "w " * 200 + "\n"), rate=100
    )
    backend.generation_timeout = 0.3  # 200 tokens at 100/s would take 2 s
    texts, error = [], None
    try:
        for item in backend.stream(GenerationRequest([], task_id="t")):
            assert isinstance(item, Chunk), "no final record once the deadline has passed"
            texts.append(item.text)
    except EngineError as exc:
        error = exc
    assert error is not None and str(error).startswith("the answer was stopped after 0.3 s")
    assert 0 < len("".join(texts).split()) < 200
