"""Patchbay settings and the model registry's data (PRODUCT.md §5).

Files, in order: `~/.config/patchbay/config.yaml` (XDG_CONFIG_HOME respected), then `patchbay.yaml`
beside the runbook, whose models override the user's by name. `--config FILE` replaces the search.
Every validation error is one sentence with file:line:col.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tui.config_files import config_files, user_config_path
from tui.engine.base import DEFAULT_GENERATION_TIMEOUT
from tui.errors import LocatedError, Location, PatchbayError
from tui.runbook.file_swap import replace_if_unchanged
from tui.workspace.atomic import write_atomically

# Built-in chat formats an ExLlamaV2 model can fall back to (tui/engine/chat_template.py has them).
CHAT_FORMATS = ("chatml", "llama3", "llama2", "mistral", "gemma", "phi3", "raw")
SAVABLE_SETTINGS = ("theme", "default_model")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _base_dir(info: ValidationInfo) -> Path | None:
    return (info.context or {}).get("base_dir")


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    value = Path(os.path.expandvars(str(value))).expanduser()
    base = _base_dir(info)
    return value if value.is_absolute() or base is None else base / value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The most seconds one answer may take, first request to last token (every backend).
    generation_timeout: float = Field(default=DEFAULT_GENERATION_TIMEOUT, gt=0)
    # The edit format this model writes best: its tasks' default output_parser (a task's own
    # output_parser wins) and the format instructions its prompts include.
    edit_format: Literal["auto", "unified_diff", "search_replace", "apply_patch", "whole_file"] | None = None


class ExLlamaV2Spec(_Spec):
    backend: Literal["exllamav2"]
    model_dir: Path
    max_seq_len: int | None = None  # None: 8192 or what the card holds
    cache: Literal["fp16", "q8", "q6", "q4"] = "q4"
    gpu_split: Literal["auto"] | list[Annotated[float, Field(gt=0)]] = "auto"
    max_batch_size: int = Field(default=1, ge=1, le=64)
    # Tokens of the cache all jobs share (paged mode only); None: max_batch_size full contexts,
    # or as much as fits.
    cache_tokens: int | None = None
    chat_template: str = "auto"  # "auto": the model's own; or one of CHAT_FORMATS
    chat_template_fallback: str = "chatml"

    _model_dir = field_validator("model_dir")(_resolve_path)

    @field_validator("max_seq_len", "cache_tokens")
    @classmethod
    def _multiple_of_256(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and (value < 256 or value % 256):
            raise ValueError(
                f"{info.field_name} must be a multiple of 256 (e.g. {max(256, round(value / 256) * 256)})"
            )
        return value

    @field_validator("chat_template")
    @classmethod
    def _known_choice(cls, value: str) -> str:
        if value != "auto" and value not in CHAT_FORMATS:
            raise ValueError(f"chat_template must be auto or one of {', '.join(CHAT_FORMATS)}")
        return value

    @field_validator("chat_template_fallback")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in CHAT_FORMATS:
            raise ValueError(f"chat_template_fallback must be one of {', '.join(CHAT_FORMATS)}")
        return value


def _check_http_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise ValueError("base_url must start with http:// or https://, e.g. http://127.0.0.1:5000/v1")
    return value.rstrip("/")


class ServerSpec(BaseModel):
    """One OpenAI-compatible server of a pool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    # Streams this server gets at once: its batch size or slots (README, "Beyond one box").
    max_concurrent: int = Field(default=1, ge=1, le=256)
    api_key_env: str | None = None  # None: the model entry's api_key_env

    _base_url = field_validator("base_url")(_check_http_url)


class OpenAISpec(_Spec):
    backend: Literal["openai"]
    base_url: str | None = None
    servers: list[ServerSpec] | None = None  # a pool, instead of one base_url
    model: str
    api_key_env: str | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=120.0, gt=0)
    context_length: int | None = Field(default=None, gt=0)  # when the server cannot say
    include_usage: bool = True
    # Seconds a failing pool server stays out of rotation (doubling while it keeps failing).
    backoff: float = Field(default=30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    @field_validator("servers")
    @classmethod
    def _some_servers(cls, value: list[ServerSpec] | None) -> list[ServerSpec] | None:
        if value is not None and not value:
            raise ValueError("servers must list at least one server (base_url, max_concurrent)")
        if value is not None:
            urls = [server.base_url for server in value]
            repeated = sorted({url for url in urls if urls.count(url) > 1})
            if repeated:
                raise ValueError(f"servers names {repeated[0]} twice; list each server once")
        return value

    @model_validator(mode="after")
    def _one_way_to_the_server(self) -> OpenAISpec:
        if (self.base_url is None) == (self.servers is None):
            raise ValueError(
                "an openai model names both base_url and servers; keep servers for a pool, base_url for one server"
                if self.base_url
                else "an openai model needs base_url (one server) or servers (a pool of them)"
            )
        return self

    def per_server(self) -> list[OpenAISpec]:
        """This model as one single-server entry per server (what a check of one server takes)."""
        return [
            self.model_copy(
                update={
                    "base_url": server.base_url,
                    "servers": None,
                    "api_key_env": server.api_key_env or self.api_key_env,
                }
            )
            for server in self.server_list()
        ]

    def server_list(self) -> list[ServerSpec]:
        """Every server of this model; a single base_url is a pool of one."""
        if self.servers is not None:
            return list(self.servers)
        assert self.base_url is not None
        return [ServerSpec(base_url=self.base_url, api_key_env=self.api_key_env)]


class ReplaySpec(_Spec):
    backend: Literal["replay"]
    transcript: Path
    rate: float | None = Field(default=None, ge=0)  # overrides the transcript's rate

    _transcript = field_validator("transcript")(_resolve_path)


ModelSpec = Annotated[ExLlamaV2Spec | OpenAISpec | ReplaySpec, Field(discriminator="backend")]


class PatchbayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelSpec] = Field(default_factory=dict)
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    default_model: str | None = None


# -- where the files are ---------------------------------------------------------------------------


# -- reading ---------------------------------------------------------------------------------------


def _node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node:
    """The deepest YAML node along a pydantic error location (discriminator tags are skipped)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    node = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
    return node


def _key_node(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node | None:
    parent = _node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key_node, _ in parent.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(loc[-1]):
                return key_node
    return None


def _sentence(error: dict[str, Any]) -> str:
    # Drop the discriminator tags pydantic puts in locations: models.x.openai.base_url.
    loc = tuple(
        p for i, p in enumerate(error["loc"]) if not (i == 2 and p in ("exllamav2", "openai", "replay"))
    )
    kind = error["type"]
    path = ".".join(str(p) for p in loc) or "the file"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown setting '{loc[-1]}' in {'.'.join(str(p) for p in loc[:-1]) or 'the file'}"
    if loc and message.startswith(f"{loc[-1]} "):  # our own messages already name the setting
        return f"{'.'.join(str(p) for p in loc[:-1])}.{message}" if len(loc) > 1 else message
    if kind == "missing":
        return f"{path} is required"
    if kind == "union_tag_not_found":
        return f"{path} needs a backend: exllamav2, openai or replay"
    if kind == "union_tag_invalid":
        return f"{path}.backend must be exllamav2, openai or replay (not {error['input'].get('backend')!r})"
    return f"{path}: {message[:1].lower()}{message[1:]}"


def _located(path: Path, node: yaml.Node, sentence: str) -> LocatedError:
    mark = node.start_mark
    return LocatedError(Location(path, mark.line + 1, mark.column + 1), sentence)


def read_config_file(path: Path) -> PatchbayConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PatchbayError(f"cannot read the config file {path}: {exc}") from None
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise LocatedError(location, f"this is not valid YAML ({exc.problem})") from None
    if data is None:
        return PatchbayConfig()
    if not isinstance(data, dict):
        raise _located(
            path, root, "a config file must be a mapping with models, theme, keymap, default_model"
        )
    try:
        return PatchbayConfig.model_validate(data, context={"base_dir": path.resolve().parent})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        node = (_key_node(root, loc) if error["type"] == "extra_forbidden" else None) or _node_at(root, loc)
        if error["type"] == "union_tag_invalid":
            node = _node_at(root, (*loc, "backend"))
        raise _located(path, node, _sentence(error)) from None


def merge_configs(weaker: PatchbayConfig, stronger: PatchbayConfig) -> PatchbayConfig:
    return PatchbayConfig(
        models={**weaker.models, **stronger.models},
        theme=stronger.theme or weaker.theme,
        keymap={**weaker.keymap, **stronger.keymap},
        default_model=stronger.default_model or weaker.default_model,
    )


def load_config(runbook_folder: Path | None, config_file: Path | None = None) -> PatchbayConfig:
    config = PatchbayConfig()
    for path in config_files(runbook_folder, config_file):
        config = merge_configs(config, read_config_file(path))
    return config


# -- remembering a setting -------------------------------------------------------------------------


def _yaml_scalar(value: str | None) -> str:
    if value is None:
        return "null"
    plain = re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", value)
    if plain and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _edited(text: str, key: str, rendered: str) -> str:
    root = yaml.compose(text, Loader=_Loader) if text.strip() else None
    newline = "\r\n" if "\r\n" in text else "\n"
    if root is not None:
        if not isinstance(root, yaml.MappingNode) or root.flow_style:
            raise ValueError("its top level is not a block mapping")
        for key_node, value_node in root.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                if not isinstance(value_node, yaml.ScalarNode):
                    raise ValueError(f"its '{key}' is not a single value")
                start, end = value_node.start_mark.index, value_node.end_mark.index
                if start == end:  # `key:` with nothing after it
                    colon = text.index(":", key_node.end_mark.index)
                    return f"{text[: colon + 1]} {rendered}{text[colon + 1 :]}"
                tail = newline if value_node.style in ("|", ">") else ""
                return f"{text[:start]}{rendered}{tail}{text[end:]}"
    if text and not text.endswith("\n"):
        text += newline
    return f"{text}{key}: {rendered}{newline}"


def save_user_setting(key: str, value: str | None) -> Path:
    """Remember a setting (e.g. the theme) in the user config, changing only that value's text so
    the user's comments and layout stay; the write is atomic. Returns the file written."""
    if key not in SAVABLE_SETTINGS:
        raise ValueError(f"{key} is not a setting that can be saved")
    path = user_config_path()
    # The same compare-and-swap as the runbook's writes: a save of the user's own that lands while
    # we write is kept, and our one-value edit is made again on top of it.
    for _attempt in range(5):
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            raise PatchbayError(f"cannot read {path} to save {key}: {exc}") from None
        updated = _checked_setting_edit(path, data, key, value)
        if data is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, updated)
            return path
        try:
            if replace_if_unchanged(path, updated, data):
                return path
        except OSError as exc:
            raise PatchbayError(f"cannot save {key} in {path}: {exc}") from None
    raise PatchbayError(f"{path} kept changing while {key} was being saved; try again")


def _checked_setting_edit(path: Path, data: bytes | None, key: str, value: str | None) -> bytes:
    try:
        text = "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatchbayError(f"cannot read {path} to save {key}: {exc}") from None
    try:
        updated = _edited(text, key, _yaml_scalar(value))
        check = yaml.load(updated, Loader=_Loader)
    except (ValueError, yaml.YAMLError) as exc:
        raise PatchbayError(
            f"cannot save {key} in {path} without rewriting it ({exc}); edit it by hand"
        ) from None
    if not isinstance(check, dict) or check.get(key) != value:
        raise PatchbayError(f"cannot save {key} in {path} safely; edit it by hand")
    return updated.encode("utf-8")
