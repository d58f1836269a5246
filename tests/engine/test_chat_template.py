"""Chat templates: the model's own (sandboxed), fallbacks, and end markers."""

from __future__ import annotations

import json

import pytest

from tui.config import CHAT_FORMATS
from tui.engine.base import ChatMessage, EngineError
from tui.engine.chat_template import FALLBACK_FORMATS, ChatTemplate, find_chat_template, render_chat

MESSAGES = [ChatMessage("system", "Be brief."), ChatMessage("user", "Héllo")]


def test_config_and_engine_agree_on_the_built_in_formats():
    assert set(CHAT_FORMATS) == set(FALLBACK_FORMATS)


def test_search_order_jinja_file_then_json_then_tokenizer_config(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": "TC"}))
    assert find_chat_template(tmp_path, "chatml").origin == "tokenizer_config.json"
    (tmp_path / "chat_template.json").write_text(json.dumps({"chat_template": "CJ"}))
    assert find_chat_template(tmp_path, "chatml").source == "CJ"
    (tmp_path / "chat_template.jinja").write_text("JJ")
    assert find_chat_template(tmp_path, "chatml").source == "JJ"
    assert find_chat_template(tmp_path, "chatml", choice="llama3").origin == "fallback llama3"


def test_named_template_lists_pick_default(tmp_path):
    data = {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(data))
    assert find_chat_template(tmp_path, "chatml").source == "D"


def test_no_template_uses_the_fallback_and_unknown_fallback_is_an_error(tmp_path):
    assert find_chat_template(tmp_path, "chatml").origin == "fallback chatml"
    with pytest.raises(EngineError, match="unknown chat_template_fallback 'nope'"):
        find_chat_template(tmp_path, "nope")


def test_chatml_rendering_and_end_markers():
    template = find_chat_template_from("chatml")
    text = render_chat(template, MESSAGES)
    assert (
        text
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHéllo<|im_end|>\n<|im_start|>assistant\n"
    )
    assert template.end_markers() == ["<|im_end|>"]


def find_chat_template_from(name):
    return ChatTemplate(FALLBACK_FORMATS[name], name)


def test_templates_that_reject_system_messages_get_them_folded_in():
    strict = ChatTemplate(
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
        "[{{ m.role }}]{{ m.content }}{% endfor %}",
        "tokenizer_config.json",
    )
    assert render_chat(strict, MESSAGES) == "[user]Be brief.\n\nHéllo"


def test_the_sandbox_refuses_unsafe_templates():
    evil = ChatTemplate("{{ messages.__class__.__mro__[1].__subclasses__() }}", "tokenizer_config.json")
    with pytest.raises(EngineError, match="refused the prompt"):
        render_chat(evil, MESSAGES)


def test_tojson_keeps_non_ascii_like_hugging_face():
    template = ChatTemplate("{{ messages[1].content | tojson }}", "x")
    assert render_chat(template, MESSAGES) == '"Héllo"'


@pytest.mark.parametrize("name", sorted(FALLBACK_FORMATS))
def test_every_fallback_renders_every_message(name):
    text = render_chat(
        find_chat_template_from(name),
        [*MESSAGES, ChatMessage("assistant", "Hi!")],
        bos_token="<s>",
        eos_token="</s>",
    )
    assert "Be brief." in text and "Héllo" in text and "Hi!" in text
