"""The README and the user guide (docs/guide/*.md): every relative link resolves to a file in
the repository, and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
README_MAX_LINES = 250

# [text](target) and ![alt](target), the target up to the first space or ")"; the text may
# hold one level of brackets (a badge's image inside its link)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def relative_links(text: str) -> list[str]:
    """The relative link targets of a Markdown text, their anchors removed; code blocks, code
    spans, web links (http, https, mailto) and pure anchors left out."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0].split("?", 1)[0])
    return targets


def test_the_link_finder_sees_links_and_skips_the_rest() -> None:
    text = (
        "[a](docs/a.md) ![b](../b.png) [c](c.md#part) [d](https://x.org/d.md) [e](#anchor)\n"
        "[![badge](https://img/x.svg)](https://binder/x) `[f](f.md)`\n```\n[g](g.md)\n```\n"
        "[`h`](h.ipynb)\n"
    )
    assert relative_links(text) == ["docs/a.md", "../b.png", "c.md", "h.ipynb"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = [
        target
        for target in relative_links(doc.read_text())
        if not (doc.parent / target).resolve().exists()
        or not (doc.parent / target).resolve().is_relative_to(ROOT)
    ]
    assert broken == [], f"{doc.relative_to(ROOT)}: broken relative links {broken}"


def test_the_guide_has_its_pages() -> None:
    names = {path.name for path in DOCS[1:]}
    assert "index.md" in names and len(names) > 1
    index = (ROOT / "docs" / "guide" / "index.md").read_text()
    listed = set(relative_links(index))
    assert names - {"index.md"} <= listed, "docs/guide/index.md does not list every page"


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"
