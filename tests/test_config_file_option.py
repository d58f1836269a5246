"""`--config FILE` adds to the runbook's patchbay.yaml (the demo still runs with it); where both
name the same model the file given on the command line wins; the user config is not read then."""

from __future__ import annotations

from tui.commands.demo import prepare_demo
from tui.config import load_config
from tui.runner import TaskRun
from tui.session import Session

EXTRA = """\
models:
  tabby:
    backend: openai
    base_url: http://127.0.0.1:5000/v1
    model: Qwen2.5-Coder-7B
theme: patchbay-light
"""


def test_config_file_adds_models_to_the_runbooks_own(tmp_path):
    demo = prepare_demo(tmp_path / "demo")
    extra = tmp_path / "extra.yaml"
    extra.write_text(EXTRA)
    config = load_config(demo, extra)
    assert {"demo", "tabby"} <= set(config.models)
    assert config.theme == "patchbay-light"
    session = Session(demo, config_file=extra, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")  # the demo's replay model is still there
    run.prepare()
    assert run.generate().text


def test_the_config_file_wins_over_the_runbooks_entry_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home"))
    user = tmp_path / "home" / "patchbay" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("theme: nord\n")
    demo = prepare_demo(tmp_path / "demo")
    extra = tmp_path / "extra.yaml"
    extra.write_text("models:\n  demo:\n    backend: replay\n    transcript: replay.yaml\n    rate: 7\n")
    config = load_config(demo, extra)
    assert config.models["demo"].rate == 7
    assert config.theme is None  # the user config is replaced by --config, not read as well
    assert load_config(demo, None).theme == "nord"
