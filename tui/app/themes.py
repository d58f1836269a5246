"""Themes are data: themes/*.yaml files turned into `textual.theme.Theme` objects at start.

Each file names Textual colours, extra CSS `variables` (status and diff colours) and the pygments
style the review screen highlights code with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.color import Color as RichColor
from rich.color import ColorParseError, ColorSystem
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
# Diff colours for themes that bring none (Textual's own): exact xterm-256 colours, so a terminal
# without truecolor (COLORTERM unset) shows them as they are, and the first candidates that differ
# in 256 colours from the theme's surface and from each other are taken.
_DIFF_CANDIDATES = {
    True: {  # dark themes
        "diff-added-background": ("#005f00", "#005f5f", "#00875f"),
        "diff-removed-background": ("#5f0000", "#5f005f", "#87005f"),
        "diff-added-word": ("#008700", "#00875f", "#00af00"),
        "diff-removed-word": ("#870000", "#87005f", "#af0000"),
    },
    False: {  # light themes
        "diff-added-background": ("#d7ffd7", "#d7ffaf", "#afffd7"),
        "diff-removed-background": ("#ffd7d7", "#ffd7af", "#ffd7ff"),
        "diff-added-word": ("#afffaf", "#87ffaf", "#87ff87"),
        "diff-removed-word": ("#ffafaf", "#ff8787", "#ffaf87"),
    },
}
DIFF_VARIABLES = tuple(_DIFF_CANDIDATES[True])


def colour_256(colour: str) -> int | None:
    """The xterm-256 colour a terminal without truecolor shows for `colour` (None: not a plain colour)."""
    try:
        parsed = RichColor.parse(colour)
    except ColorParseError:
        return None
    if parsed.triplet is None:
        return parsed.number
    return parsed.downgrade(ColorSystem.EIGHT_BIT).number


def theme_defaults(theme: Theme) -> dict[str, str]:
    """Patchbay's variables for a theme that does not set them: status colours from the theme's
    own, diff colours that stay distinct in 256 colours (no blending: ANSI colours cannot blend)."""
    colours = {
        "$primary": theme.primary,
        "$warning": theme.warning or "#ffa62b",
        "$success": theme.success or "#4EBF71",
        "$error": theme.error or "#ba3c5b",
        "$foreground-muted": "#888888",
    }
    defaults = {}
    for name, value in FALLBACK_VARIABLES.items():
        if name in DIFF_VARIABLES:
            continue
        for token, colour in colours.items():
            value = value.replace(token, colour)
        defaults[name] = value
    used = {colour_256(theme.surface or theme.background or "")} - {None}
    for name, candidates in _DIFF_CANDIDATES[theme.dark].items():
        chosen = next((c for c in candidates if colour_256(c) not in used), candidates[0])
        used.add(colour_256(chosen))
        defaults[name] = chosen
    return defaults


def palette_order(names: list[str]) -> list[str]:
    """Theme names for the palette: Patchbay's own first, then Textual's, each alphabetically."""
    return sorted(names, key=lambda name: (not name.startswith("patchbay-"), name))


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
        # The C loader when built (the same safe subset): themes are read before the first frame.
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
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
