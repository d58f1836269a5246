"""Links in README.md and docs/ lead to files and headings inside the repository, nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .doc_blocks import DOCUMENTS, REPO

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCED = re.compile(r"^(`{3,}|~{3,}).*?^\1\s*$", re.MULTILINE | re.DOTALL)


def _prose(document: Path) -> str:
    return _FENCED.sub("", document.read_text(encoding="utf-8"))


def anchors(document: Path) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens, -1 for repeats."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(document), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_links_stay_inside_the_repository_and_find_their_target(document: Path) -> None:
    for target in _LINK.findall(_prose(document)):
        if re.match(r"https?://", target):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        assert linked.is_relative_to(REPO), f"{document.name}: {target} leaves the repository"
        assert linked.exists(), f"{document.name}: {target} does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{document.name}: {target}: no such heading"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_no_document_names_paths_outside_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    # Folders of the machines the project is developed on; spelled in parts so this file names none.
    machine_folders = "|".join(re.escape("/" + part + "/") for part in ("work", "tmp/wt"))
    assert not re.search(rf"\.\./shared|{machine_folders}|PRODUCT\.md|STYLE\.md|HELPERS\.md", text)


def test_the_internal_notes_are_gone() -> None:
    assert not (REPO / "docs" / "HELPERS.md").exists()
