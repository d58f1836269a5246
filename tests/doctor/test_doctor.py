"""`patchbay doctor`: run on this GPU-less machine, and against real HTTP servers on 127.0.0.1
that answer, refuse the key, or lack the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.fake_openai_server import FakeOpenAIServer, content_event, sse
from tests.engine.test_gpu_smoke import load_script
from tui.cli import main
from tui.config import ExLlamaV2Spec
from tui.doctor.exllamav2_checks import exllamav2_checks
from tui.engine.exllamav2_env import GpuInfo, TorchInfo


def doctor(tmp_path: Path, monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    code = main(["doctor", *argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out


def line(output: str, name: str) -> str:
    return next(row for row in output.splitlines() if row.strip()[2:].startswith(name + " "))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return load_script().build_tiny_llama(tmp_path_factory.mktemp("doctor") / "tiny")


def write_config(folder: Path, text: str) -> None:
    (folder / "patchbay.yaml").write_text(text)


def test_on_a_machine_without_a_gpu_it_says_so_and_exits_1(tmp_path, monkeypatch, capsys, tiny_model):
    write_config(tmp_path, f"models:\n  tiny:\n    backend: exllamav2\n    model_dir: {tiny_model}\n")
    code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "tiny")
    assert code == 1
    torch_line = line(out, "PyTorch")
    assert torch_line.lstrip().startswith("✗")
    assert any(
        s in torch_line for s in ("CPU-only build", "sees no GPU", "not installed", "cannot be imported")
    )
    assert "ExLlamaV2 needs an NVIDIA (CUDA) or AMD (ROCm) GPU" in out
    # the model folder is still checked, and the estimate given
    assert line(out, "architecture").lstrip().startswith("✓ architecture     LlamaForCausalLM")
    assert line(out, "tokenizer.json").lstrip().startswith("✓")
    assert "no GPU here to compare with" in out
    assert out.rstrip().endswith("something needed is missing (✗ above)")


def test_json_report_for_bug_reports(tmp_path, monkeypatch, capsys, tiny_model):
    write_config(tmp_path, f"models:\n  tiny:\n    backend: exllamav2\n    model_dir: {tiny_model}\n")
    code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "tiny", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    names = [c["name"] for c in report["checks"]]
    assert names[:3] == ["Python", "Patchbay", "Textual"]
    assert {"TERM", "colours", "model", "exllamav2", "PyTorch", "architecture", "VRAM"} <= set(names)
    assert all(c["status"] in ("ok", "fail", "info") for c in report["checks"])


def _chat_server(server: FakeOpenAIServer, models: list[str]) -> None:
    server.script.models = {"object": "list", "data": [{"id": m, "object": "model"} for m in models]}
    server.script.tabby_encode = True
    server.script.chat.frames = sse(
        [content_event("OK"), content_event(".", finish="stop"), "data: [DONE]\n\n"]
    )


def test_a_server_that_answers_passes_with_exit_0(tmp_path, monkeypatch, capsys):
    with FakeOpenAIServer() as server:
        _chat_server(server, ["qwen"])
        write_config(
            tmp_path,
            f"models:\n  srv:\n    backend: openai\n    base_url: {server.base_url}\n    model: qwen\n",
        )
        code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "srv")
    assert code == 0, out
    assert line(out, "answers").lstrip().startswith("✓")
    assert "✓ model" in line(out, "model") or "qwen is listed" in out
    assert "exact (the server has a tokenize endpoint)" in out
    assert "streamed" in line(out, "completion") and "first after" in line(out, "completion")
    chat = [body for method, path, _, body in server.script.requests if path == "/v1/chat/completions"]
    assert chat[0]["max_tokens"] == 4
    assert out.rstrip().endswith("everything the chosen model needs is here")


def test_a_server_that_refuses_the_key_is_named_as_such(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCTOR_TEST_KEY", "wrong")
    with FakeOpenAIServer() as server:
        _chat_server(server, ["qwen"])
        server.script.api_key = "right"
        write_config(
            tmp_path,
            f"models:\n  srv:\n    backend: openai\n    base_url: {server.base_url}\n    model: qwen\n"
            "    api_key_env: DOCTOR_TEST_KEY\n",
        )
        code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "srv")
    assert code == 1
    key_line = line(out, "API key")
    assert key_line.lstrip().startswith("✗") and "refused the API key (401)" in key_line
    assert "put the server's key in DOCTOR_TEST_KEY" in out


def test_a_server_without_the_model_fails_and_lists_what_it_has(tmp_path, monkeypatch, capsys):
    with FakeOpenAIServer() as server:
        _chat_server(server, ["llama-3-8b", "mistral"])
        write_config(
            tmp_path,
            f"models:\n  srv:\n    backend: openai\n    base_url: {server.base_url}\n    model: qwen\n",
        )
        code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "srv")
    assert code == 1
    model_line = next(row for row in out.splitlines() if "is not among" in row)
    assert model_line.lstrip().startswith("✗") and "(llama-3-8b, mistral)" in model_line


def test_a_server_that_is_not_running_is_one_sentence(tmp_path, monkeypatch, capsys):
    with FakeOpenAIServer() as server:
        url = server.base_url  # a port that was just free and is closed again below
    write_config(tmp_path, f"models:\n  srv:\n    backend: openai\n    base_url: {url}\n    model: qwen\n")
    code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "srv")
    assert code == 1
    assert "is the server running?" in line(out, "answers")


def test_an_unknown_model_name_is_a_failed_check_not_a_crash(tmp_path, monkeypatch, capsys):
    write_config(tmp_path, "models:\n  a:\n    backend: replay\n    transcript: t.jsonl\n")
    code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "nope")
    assert code == 1 and "there is no model named 'nope'; known models: a" in out


def test_without_any_model_only_the_machine_is_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    code, out = doctor(tmp_path, monkeypatch, capsys)
    assert code == 0
    assert "none chosen" in line(out, "model")


def test_terminal_lines_report_colours_and_tmux(monkeypatch):
    from tui.doctor.system import terminal_checks

    checks = {
        c.name: c
        for c in terminal_checks({"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"})
    }
    assert checks["colours"].detail == "truecolor (COLORTERM=truecolor)"
    assert "NO_COLOR" in checks
    plain = {c.name: c for c in terminal_checks({"TERM": "xterm-256color", "PATH": ""})}
    assert plain["colours"].detail == "256 colours" and "NO_COLOR" not in plain


TURING = GpuInfo(0, "NVIDIA GeForce RTX 2080", (7, 5), 7 * 2**30, 8 * 2**30)


def test_on_a_turing_card_flash_attn_is_reported_off_and_the_fit_judged(tiny_model, monkeypatch):
    monkeypatch.setattr("tui.engine.exllamav2_env.flash_attn_version", lambda: "2.6.3")
    spec = ExLlamaV2Spec(backend="exllamav2", model_dir=tiny_model, max_seq_len=1024, max_batch_size=4)
    checks = {c.name: c for c in exllamav2_checks(spec, TorchInfo("2.7.0", "12.8", None, [TURING]))}
    assert checks["GPU 0"].detail.startswith(
        "NVIDIA GeForce RTX 2080, compute 7.5, 7.00 GiB free of 8.00 GiB"
    )
    flash = checks["flash-attn"]
    assert "not used" in flash.detail and "RTX 2080 (compute 7.5) is older" in flash.detail
    assert "unpaged, one job at a time" in flash.detail
    vram = checks["VRAM"]
    assert vram.status == "ok" and "1024-token q4 cache" in vram.detail  # unpaged: one context
    assert vram.advice == "largest max_seq_len that fits: 2048"  # the model's own limit


def test_a_model_too_big_for_the_card_fails_with_the_largest_length(tiny_model):
    # ~2.6 MiB of weights (the embedding stays in RAM), 4 MiB of FP16 cache for 2048 tokens (2 KiB
    # each) and the 512 MiB allowance: 519 MiB; 517 MiB leaves room for 1024 tokens
    small = GpuInfo(0, "Tiny GPU", (8, 6), 517 * 2**20, 1 * 2**30)
    spec = ExLlamaV2Spec(backend="exllamav2", model_dir=tiny_model, max_seq_len=2048, cache="fp16")
    checks = {c.name: c for c in exllamav2_checks(spec, TorchInfo("2.7.0", "12.8", None, [small]))}
    vram = checks["VRAM"]
    assert vram.status == "fail" and "only 517 MiB free" in vram.detail
    assert vram.advice == "largest max_seq_len that fits: 1024; or use cache: q4"


def test_doctor_does_not_import_textual(tmp_path):
    probe = (
        "import sys\nfrom tui.cli import main\ncode = main(['doctor'])\n"
        "print('TEXTUAL:' + ','.join(n for n in sys.modules if n.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "TEXTUAL:\n" in result.stdout + "\n", result.stdout


def test_a_flash_attn_that_does_not_load_is_a_failure_with_the_fix(tiny_model, tmp_path, monkeypatch):
    package = tmp_path / "flash_attn"
    package.mkdir()
    (package / "__init__.py").write_text(
        "raise ImportError('flash_attn_2_cuda.so: undefined symbol: _ZN3c10')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "flash_attn", raising=False)
    monkeypatch.setattr("tui.engine.exllamav2_env.flash_attn_version", lambda: "2.7.4")
    spec = ExLlamaV2Spec(backend="exllamav2", model_dir=tiny_model, max_seq_len=1024)
    ampere = GpuInfo(0, "NVIDIA GeForce RTX 3090", (8, 6), 20 * 2**30, 24 * 2**30)
    checks = {c.name: c for c in exllamav2_checks(spec, TorchInfo("2.7.0", "12.8", None, [ampere]))}
    flash = checks["flash-attn"]
    assert flash.status == "fail" and flash.needed
    assert flash.detail == "2.7.4 is installed but does not load"
    assert "pip uninstall flash-attn" in flash.advice


def test_inside_tmux_its_escape_time_and_clipboard_are_read_from_the_server(tmp_path):
    import os
    import shutil

    from tui.doctor.system import terminal_checks

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    socket = f"patchbay-doctor-{os.getpid()}"
    subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", "new", "-d", "-s", "s"], check=True)
    try:
        subprocess.run(["tmux", "-L", socket, "set", "-sg", "escape-time", "500"], check=True)
        subprocess.run(["tmux", "-L", socket, "set", "-g", "set-clipboard", "off"], check=True)
        path = subprocess.run(
            ["tmux", "-L", socket, "display", "-p", "#{socket_path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        env = {"TERM": "tmux-256color", "TMUX": f"{path},1,0", "PATH": os.environ["PATH"]}
        checks = {c.name: c for c in terminal_checks(env)}
        assert checks["tmux escape-time"].detail == "500 ms"
        assert "set -sg escape-time 10" in checks["tmux escape-time"].advice
        assert checks["tmux set-clipboard"].detail == "off"
        assert "set -g set-clipboard on" in checks["tmux set-clipboard"].advice
        subprocess.run(["tmux", "-L", socket, "set", "-sg", "escape-time", "10"], check=True)
        subprocess.run(["tmux", "-L", socket, "set", "-g", "set-clipboard", "on"], check=True)
        checks = {c.name: c for c in terminal_checks(env)}
        assert (checks["tmux escape-time"].status, checks["tmux set-clipboard"].status) == ("ok", "ok")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)


def test_an_unset_length_that_does_not_fit_is_fine_when_a_halved_one_does(tiny_model, tmp_path):
    import json
    import shutil

    folder = Path(shutil.copytree(tiny_model, tmp_path / "long"))
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "max_position_embeddings": 8192}))
    # FP16 cache: 2 KiB a token; 8192 tokens need ~531 MiB in all, 4096 ~523 MiB
    card = GpuInfo(0, "Small GPU", (8, 6), 525 * 2**20, 1 * 2**30)
    spec = ExLlamaV2Spec(backend="exllamav2", model_dir=folder, cache="fp16")
    vram = {c.name: c for c in exllamav2_checks(spec, TorchInfo("2.7.0", "12.8", None, [card]))}["VRAM"]
    assert vram.status == "ok" and "8192-token fp16 cache" in vram.detail
    assert vram.advice == "Patchbay will take 4096 tokens"
    fixed = ExLlamaV2Spec(backend="exllamav2", model_dir=folder, cache="fp16", max_seq_len=8192)
    vram = {c.name: c for c in exllamav2_checks(fixed, TorchInfo("2.7.0", "12.8", None, [card]))}["VRAM"]
    assert vram.status == "fail"


def test_a_pool_is_checked_server_by_server_and_passes_while_one_server_works(tmp_path, monkeypatch, capsys):
    with FakeOpenAIServer() as healthy, FakeOpenAIServer() as other:
        _chat_server(healthy, ["qwen"])
        down = other.base_url  # free a moment ago, closed once this block ends
    with FakeOpenAIServer() as healthy:
        _chat_server(healthy, ["qwen"])
        write_config(
            tmp_path,
            "models:\n  pool:\n    backend: openai\n    model: qwen\n    servers:\n"
            f"      - base_url: {healthy.base_url}\n      - base_url: {down}\n",
        )
        code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "pool")
    assert code == 0, out
    assert "(openai @ a pool of 2 servers)" in out
    assert f"Server 1/2 {healthy.base_url}" in out and f"Server 2/2 {down}" in out
    assert "is the server running?" in out and "the pool goes on without this server" in out


def test_a_pool_whose_every_server_is_down_fails(tmp_path, monkeypatch, capsys):
    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        urls = [one.base_url, two.base_url]
    write_config(
        tmp_path,
        "models:\n  pool:\n    backend: openai\n    model: qwen\n    servers:\n"
        + "".join(f"      - base_url: {url}\n" for url in urls),
    )
    code, out = doctor(tmp_path, monkeypatch, capsys, "--model", "pool")
    assert code == 1
    assert out.count("is the server running?") == 2
