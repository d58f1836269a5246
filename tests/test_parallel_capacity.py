"""How many tasks `p` generates at once when `--parallel` is not given: what the model's servers
serve together, read from its configuration."""

from __future__ import annotations

from pathlib import Path

from tui.cli import parse
from tui.config import ExLlamaV2Spec, OpenAISpec, ReplaySpec
from tui.parallel import pool_capacity


def test_a_pool_serves_its_servers_max_concurrent_added_up():
    pool = OpenAISpec(
        backend="openai",
        model="m",
        servers=[
            {"base_url": "http://127.0.0.1:5001/v1", "max_concurrent": 4},
            {"base_url": "http://127.0.0.1:5002/v1", "max_concurrent": 2},
        ],
    )
    assert pool_capacity(pool) == 6


def test_one_server_and_an_in_process_model_serve_one_at_a_time(tmp_path: Path):
    assert pool_capacity(OpenAISpec(backend="openai", model="m", base_url="http://127.0.0.1:5001/v1")) == 1
    assert pool_capacity(ExLlamaV2Spec(backend="exllamav2", model_dir=tmp_path, max_batch_size=8)) == 1


def test_a_replay_transcript_has_no_limit_of_its_own(tmp_path: Path):
    (tmp_path / "replay.yaml").write_text("answers: {}\n")
    assert pool_capacity(ReplaySpec(backend="replay", transcript=tmp_path / "replay.yaml")) is None


def test_the_tui_leaves_parallel_unset_unless_given():
    assert parse([]).parallel is None
    assert parse(["--parallel", "3"]).parallel == 3
    assert parse(["run", "runbooks/demo"]).parallel == 1  # headless runs stay one at a time
