"""Settings files: search order, merging, file:line errors, saving a setting carefully."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.config import ExLlamaV2Spec, OpenAISpec, ReplaySpec, load_config, save_user_setting, user_config_path
from tui.engine.registry import create_backend, load_registry
from tui.errors import LocatedError, PatchbayError

LOCAL = """\
models:
  default:
    backend: replay
    transcript: replay.yaml
    rate: 0
  gpu:
    backend: exllamav2
    model_dir: ~/models/qwen
    max_seq_len: 8192
    cache: q6
    gpu_split: [7.5]
theme: local-theme
keymap:
  accept: y
"""

USER = """\
# my settings
models:
  tabby:
    backend: openai
    base_url: http://gpu-box:5000/v1/
    api_key_env: TABBY_API_KEY
    model: Qwen2.5-Coder-7B
  gpu:
    backend: replay
    transcript: /elsewhere.yaml
keymap:
  accept: a
  reject: r
default_model: tabby
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_local_models_override_user_ones_by_name(home):
    write(user_config_path(), USER)
    runbook = home / "runbook"
    write(runbook / "patchbay.yaml", LOCAL)
    config = load_config(runbook)
    assert set(config.models) == {"default", "gpu", "tabby"}
    gpu = config.models["gpu"]
    assert isinstance(gpu, ExLlamaV2Spec) and gpu.cache == "q6" and gpu.gpu_split == [7.5]
    assert gpu.model_dir == home / "home" / "models" / "qwen"
    assert config.models["default"].transcript == runbook / "replay.yaml"  # relative to the file
    tabby = config.models["tabby"]
    assert isinstance(tabby, OpenAISpec) and tabby.base_url == "http://gpu-box:5000/v1"
    assert config.keymap == {"accept": "y", "reject": "r"}
    assert (config.theme, config.default_model) == ("local-theme", "tabby")


def test_config_flag_replaces_the_search(home):
    write(user_config_path(), USER)
    other = write(home / "mine.yaml", LOCAL)
    assert set(load_config(None, other).models) == {"default", "gpu"}
    with pytest.raises(PatchbayError, match="does not exist"):
        load_config(None, home / "missing.yaml")


def test_no_files_means_an_empty_registry_with_a_helpful_error(home):
    registry = load_registry(home)
    assert registry.names() == set()
    with pytest.raises(PatchbayError, match="no models are configured"):
        registry.get("default")


def test_unknown_model_lists_the_known_ones(home):
    write(home / "patchbay.yaml", LOCAL)
    with pytest.raises(PatchbayError, match="there is no model named 'big'; known models: default, gpu"):
        load_registry(home).get("big")


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (
            "models:\n  m:\n    backend: exllamav2\n    model_dir: x\n    max_seq_len: 8000\n",
            ":5:18:",
            "models.m.max_seq_len must be a multiple of 256",
        ),
        (
            "models:\n  m:\n    backend: exllamav2\n    model_dir: x\n    cache: q5\n",
            ":5:12:",
            "models.m.cache",
        ),
        (
            "models:\n  m:\n    backend: openai\n    base_url: x\n    model: y\n",
            ":4:15:",
            "base_url must start with http",
        ),
        (
            "models:\n  m:\n    backend: openai\n    base_url: http://h\n    model: y\n    colour: red\n",
            ":6:5:",
            "unknown setting 'colour' in models.m",
        ),
        (
            "models:\n  m:\n    backend: gguf\n",
            ":3:14:",
            "models.m.backend must be exllamav2, openai or replay",
        ),
        ("models:\n  m:\n    transcript: a\n", ":3:5:", "models.m needs a backend"),
        ("models:\n  m:\n    backend: replay\n", ":3:5:", "models.m.transcript is required"),
        ("theme: [\n", ":2:1:", "not valid YAML"),
        ("- a\n", ":1:1:", "must be a mapping"),
    ],
)
def test_errors_are_one_sentence_at_the_offending_line(home, text, where, says):
    path = write(home / "patchbay.yaml", text)
    with pytest.raises(LocatedError) as caught:
        load_config(home)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}") and says in message and "\n" not in message


def test_create_backend_builds_each_kind_without_loading(home):
    extra = "  tabby:\n    backend: openai\n    base_url: http://h:1/v1\n    model: m\ntheme:"
    write(home / "patchbay.yaml", LOCAL.replace("theme:", extra))
    registry = load_registry(home)
    replay = create_backend(registry.get("default"), replay_rate=5000)
    assert replay.describe() == "replay @ replay.yaml (5000 tok/s)"
    assert create_backend(registry.get("tabby")).describe() == "openai @ http://h:1/v1 (m)"
    assert create_backend(registry.get("gpu")).describe().startswith("exllamav2 @ ")
    assert isinstance(registry.get("default"), ReplaySpec) and registry.default_name() == "default"


def test_importing_the_registry_never_imports_exllamav2_or_textual():
    code = (
        "import sys, tui.engine.registry, tui.config; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('exllamav2', 'textual', 'torch')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_save_setting_keeps_comments_and_other_keys(home):
    path = write(user_config_path(), USER + "theme: old  # chosen in the TUI\n")
    save_user_setting("theme", "solarized-dark")
    text = path.read_text()
    assert text == USER + "theme: solarized-dark  # chosen in the TUI\n"
    assert load_config(None).theme == "solarized-dark"


def test_save_setting_appends_or_creates(home):
    save_user_setting("theme", "nord")
    assert user_config_path().read_text() == "theme: nord\n"
    path = write(user_config_path(), "# only a comment")
    save_user_setting("theme", "yes")  # a word YAML would read as true gets quoted
    assert path.read_text() == '# only a comment\ntheme: "yes"\n'
    assert load_config(None).theme == "yes"
    write(user_config_path(), "theme:\nkeymap: {}\n")
    save_user_setting("theme", "dark")
    assert user_config_path().read_text() == "theme: dark\nkeymap: {}\n"


def test_save_setting_refuses_rather_than_rewriting_a_file_it_cannot_edit(home):
    original = "{models: {}, theme: a}\n"
    path = write(user_config_path(), original)
    with pytest.raises(PatchbayError, match="edit it by hand"):
        save_user_setting("theme", "b")
    broken = "theme: [\n"
    path.write_text(broken)
    with pytest.raises(PatchbayError, match="edit it by hand"):
        save_user_setting("theme", "b")
    assert path.read_text() == broken


def test_save_setting_keeps_a_users_save_that_lands_while_it_writes(home, monkeypatch):
    from tui.runbook import file_swap

    path = write(user_config_path(), USER + "theme: old\n")
    windows = []

    def user_saves_in_the_window(target):
        windows.append(target)
        if len(windows) == 1:  # the user's editor saves between our read and our swap
            target.write_text(target.read_text() + "default_model: mine\n")

    monkeypatch.setattr(file_swap, "after_fsync_hook", user_saves_in_the_window)
    save_user_setting("theme", "nord")
    assert path.read_text() == USER + "theme: nord\ndefault_model: mine\n"
    assert len(windows) == 2  # the first swap saw the user's bytes; the edit was made again on them
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_generation_timeout_is_per_model_with_a_ten_minute_default(home):
    extra = "  tabby:\n    backend: openai\n    base_url: http://h:1/v1\n    model: m\n    generation_timeout: 45\ntheme:"
    write(home / "patchbay.yaml", LOCAL.replace("theme:", extra))
    registry = load_registry(home)
    assert create_backend(registry.get("tabby")).generation_timeout == 45
    assert create_backend(registry.get("default")).generation_timeout == 600
    assert create_backend(registry.get("gpu")).generation_timeout == 600


def test_a_generation_timeout_of_zero_is_refused_at_its_line(home):
    write(home / "patchbay.yaml", LOCAL.replace("    rate: 0\n", "    rate: 0\n    generation_timeout: 0\n"))
    with pytest.raises(LocatedError) as raised:
        load_registry(home)
    assert ":6:" in str(raised.value) and "generation_timeout" in str(raised.value)
