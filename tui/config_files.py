"""Where the settings files are: light enough for commands that only ask whether there are any.

`patchbay validate` checks model names only when a config file exists; finding that there is none
must not import the config models (pydantic schemas) or the engines.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.errors import PatchbayError

LOCAL_CONFIG_NAME = "patchbay.yaml"


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "patchbay" / "config.yaml"


def config_files(runbook_folder: Path | None, config_file: Path | None = None) -> list[Path]:
    """The files that make up the settings, weakest first: the user config (or, instead of it, the
    `--config` file), then the runbook's patchbay.yaml; an explicit `--config` file wins over the
    runbook's file where both name the same model or setting, and adds to it everywhere else."""
    if config_file is not None and not Path(config_file).is_file():
        raise PatchbayError(f"the config file {config_file} does not exist")
    found = [user_config_path()] if config_file is None else []
    if runbook_folder is not None:
        folder = Path(runbook_folder)
        found.append((folder.parent if folder.is_file() else folder) / LOCAL_CONFIG_NAME)
    if config_file is not None:
        found.append(Path(config_file))
    return [path for path in found if path.is_file()]
