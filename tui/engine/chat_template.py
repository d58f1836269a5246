"""Chat prompts for in-process models: the model's own Jinja template, or a named fallback format.

ExLlamaV2 applies no chat template itself, so we render the Hugging Face template the way serving
layers do (TabbyAPI): a sandboxed, immutable Jinja environment with `raise_exception` and
`strftime_now`, trim_blocks and lstrip_blocks on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tui.engine.base import ChatMessage, EngineError

_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_LLAMA3 = (
    "<|begin_of_text|>{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n"
    "{{ m.content | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
# Llama 2 / Mistral instruct: the system prompt rides inside the first user turn.
_LLAMA2 = (
    "{% set ns = namespace(system='') %}{% for m in messages %}{% if m.role == 'system' %}"
    "{% set ns.system = m.content + '\n\n' %}{% elif m.role == 'user' %}"
    "{{ bos_token }}[INST] {{ ns.system }}{{ m.content | trim }} [/INST]{% set ns.system = '' %}"
    "{% else %} {{ m.content | trim }}{{ eos_token }}{% endif %}{% endfor %}"
)
_GEMMA = (
    "{{ bos_token }}{% set ns = namespace(system='') %}{% for m in messages %}"
    "{% if m.role == 'system' %}{% set ns.system = m.content + '\n\n' %}{% else %}"
    "<start_of_turn>{{ 'model' if m.role == 'assistant' else 'user' }}\n{{ ns.system }}"
    "{{ m.content | trim }}<end_of_turn>\n{% set ns.system = '' %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
_PHI3 = (
    "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
_RAW = (
    "{% for m in messages %}{{ m.role | capitalize }}: {{ m.content }}\n\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

FALLBACK_FORMATS: dict[str, str] = {
    "chatml": _CHATML,
    "llama3": _LLAMA3,
    "llama2": _LLAMA2,
    "mistral": _LLAMA2,
    "gemma": _GEMMA,
    "phi3": _PHI3,
    "raw": _RAW,
}

# Markers that end an assistant turn in common templates; any the template mentions (and the
# tokenizer knows as one token) become stop tokens next to EOS.
END_OF_TURN_MARKERS = (
    "<|im_end|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|EOT|>",
    "<｜end▁of▁sentence｜>",
    "</s>",
)


@dataclass(frozen=True)
class ChatTemplate:
    source: str
    origin: str  # where it came from, for messages: "tokenizer_config.json", "fallback chatml", ...

    def end_markers(self) -> list[str]:
        return [marker for marker in END_OF_TURN_MARKERS if marker in self.source]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read {path}: {exc}") from None


def _template_from(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list):  # [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
        named = {e.get("name"): e.get("template") for e in value if isinstance(e, dict)}
        chosen = named.get("default") or next(iter(named.values()), None)
        return chosen if isinstance(chosen, str) and chosen.strip() else None
    return None


def find_chat_template(model_dir: Path, fallback: str, choice: str = "auto") -> ChatTemplate:
    """`choice` "auto": the model's own template (chat_template.jinja, chat_template.json,
    tokenizer_config.json), else the `fallback` format; any other `choice` names a built-in format."""
    if choice != "auto":
        return fallback_template(choice)
    jinja_file = model_dir / "chat_template.jinja"
    if jinja_file.is_file():
        return ChatTemplate(jinja_file.read_text(encoding="utf-8"), "chat_template.jinja")
    for name in ("chat_template.json", "tokenizer_config.json"):
        data = _read_json(model_dir / name)
        source = _template_from(data.get("chat_template")) if isinstance(data, dict) else None
        if source:
            return ChatTemplate(source, name)
    return fallback_template(fallback)


def fallback_template(name: str) -> ChatTemplate:
    if name not in FALLBACK_FORMATS:
        known = ", ".join(sorted(FALLBACK_FORMATS))
        raise EngineError(f"unknown chat_template_fallback '{name}'; choose one of {known}")
    return ChatTemplate(FALLBACK_FORMATS[name], f"fallback {name}")


class _TemplateRaised(Exception):
    pass


def _raise_exception(message: str) -> None:
    raise _TemplateRaised(message)


def _tojson(value: Any, indent: int | None = None) -> str:
    # Hugging Face's tojson keeps non-ASCII text as is (jinja's escapes it for HTML).
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    env.filters["tojson"] = _tojson
    return env


def _merge_system(messages: list[ChatMessage]) -> list[ChatMessage]:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if system and rest and rest[0].role == "user":
        rest[0] = ChatMessage("user", f"{system}\n\n{rest[0].content}")
    elif system:
        rest.insert(0, ChatMessage("user", system))
    return rest


def render_chat(
    template: ChatTemplate,
    messages: list[ChatMessage],
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """Render a chat prompt. A template that rejects system messages (some Mistral ones do) gets
    them folded into the first user turn, the way those models are meant to be prompted."""
    try:
        compiled = _environment().from_string(template.source)
    except TemplateError as exc:
        raise EngineError(f"the chat template from {template.origin} does not parse: {exc}") from None
    attempts = [messages]
    if any(m.role == "system" for m in messages):
        attempts.append(_merge_system(messages))
    problem = ""
    for attempt in attempts:
        try:
            return compiled.render(
                messages=[{"role": m.role, "content": m.content} for m in attempt],
                bos_token=bos_token,
                eos_token=eos_token,
                add_generation_prompt=add_generation_prompt,
            )
        except (_TemplateRaised, TemplateError, TypeError, ValueError) as exc:
            problem = str(exc)
    raise EngineError(
        f"the chat template from {template.origin} refused the prompt ({problem}); "
        "set chat_template: chatml (or another built-in format) in the model's config to use that instead"
    )
