"""Finding prompt and system templates by the name a runbook gives them."""

from __future__ import annotations

from pathlib import Path

from tui.resources import shipped


def resolve_template(runbook_folder: Path, name: str) -> Path | None:
    """The template file `name` refers to, or None when there is no such file.

    A bare name ("generate_abc.j2") is looked up in the runbook's prompt_templates/ folder, then in
    the shipped templates, then beside runbook.yaml. A path ("prompt_templates/x.txt") is relative
    to the runbook folder first (the solo-developer layout writes them so), then tried as a name.
    """
    if not name or "\x00" in name:
        return None
    candidate = Path(name).expanduser()
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    beside = runbook_folder / name
    local = runbook_folder / "prompt_templates" / name
    packaged = shipped("prompt_templates") / name
    is_path = "/" in name or "\\" in name
    order = (beside, local, packaged) if is_path else (local, packaged, beside)
    for path in order:
        try:
            if path.is_file():
                return path
        except OSError:  # a name too long for the file system, say
            return None
    return None
