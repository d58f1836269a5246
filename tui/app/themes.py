"""Themes are data: themes/*.yaml files turned into `textual.theme.Theme` objects at start.

Each file names Textual colours, extra CSS `variables` (status and diff colours) and the pygments
style the review screen highlights code with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from textual.theme import Theme

DEFAULT_THEME = "patchbay-dark"
_COLOUR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
# Variables every Patchbay stylesheet uses, so a theme that forgets one (or a Textual built-in
# theme chosen from the palette) still renders.
FALLBACK_VARIABLES = {
    "status-ready": "$primary",
    "status-running": "$warning",
    "status-done": "$success",
    "status-error": "$error",
    "status-skipped": "$foreground-muted",
    "status-pending": "$foreground-muted",
    "diff-added-background": "$success 20%",
    "diff-removed-background": "$error 20%",
    "diff-added-word": "$success 40%",
    "diff-removed-word": "$error 40%",
}


@dataclass(frozen=True)
class LoadedTheme:
    theme: Theme
    pygments_style: str
    source: Path


def load_theme_file(path: Path) -> LoadedTheme:
    """One theme file; raises ValueError with a sentence when the file is not a theme."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not a readable YAML theme ({exc.__class__.__name__}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("primary"), str):
        raise ValueError(f"{path}: a theme is a mapping with at least `primary`.")
    name = str(data.get("name") or path.stem)
    colours = {key: str(data[key]) for key in _COLOUR_KEYS if data.get(key) is not None}
    variables = {str(k): str(v) for k, v in (data.get("variables") or {}).items()}
    theme = Theme(name=name, dark=bool(data.get("dark", True)), variables=variables, **colours)
    default_style = "monokai" if theme.dark else "friendly"
    return LoadedTheme(theme, str(data.get("pygments_style") or default_style), path)


def load_themes(folder: Path) -> dict[str, LoadedTheme]:
    """Every *.yaml theme in `folder`, by name; unreadable files are skipped (the rest still load)."""
    themes: dict[str, LoadedTheme] = {}
    if not folder.is_dir():
        return themes
    for path in sorted(folder.glob("*.y*ml")):
        try:
            loaded = load_theme_file(path)
        except ValueError:
            continue
        themes[loaded.theme.name] = loaded
    return themes


def pygments_style_for(themes: dict[str, LoadedTheme], name: str, dark: bool) -> str:
    """The pygments style of theme `name`; Textual's own themes get one matching their darkness."""
    loaded = themes.get(name)
    if loaded is not None:
        return loaded.pygments_style
    return "monokai" if dark else "friendly"
