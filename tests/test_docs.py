"""A reader who follows a citation of the business rules finds the section: every
`docs/rules.md "Heading"`, `rules.md#anchor` or `rules.md §Heading` in the code, the models,
the tests and the docs names a heading of docs/rules.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "docs" / "rules.md"

# `rules.md "A"`, `rules.md ("A", "B")`, `rules.md "A" and "B"`
QUOTED = re.compile(r'rules\.md`?\s*\(?((?:"[^"\n]+"(?:,\s*|\s+and\s+)?)+)')
ANCHOR = re.compile(r"rules\.md#([\w-]+)")
SECTION = re.compile(r"rules\.md`?\s*§\s*([^\n]+)")


def _headings() -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", RULES.read_text(encoding="utf-8"), re.M)]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _cited_in() -> list[Path]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / f for f in files if Path(f).suffix in {".py", ".sql", ".yml", ".yaml", ".md", ".mk", ".sh", ".toml"}
            or Path(f).name == "Makefile"]


def test_every_cited_section_of_the_rules_exists() -> None:
    headings = _headings()
    anchors = {_anchor(h) for h in headings}
    broken, cited = [], 0
    for path in _cited_in():
        if not path.is_file() or path == Path(__file__).resolve():  # this file shows the patterns
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "rules.md" not in text:
            continue
        where = path.relative_to(ROOT)
        for m in QUOTED.finditer(text):
            for name in re.findall(r'"([^"\n]+)"', m.group(1)):
                cited += 1
                if name not in headings:
                    broken.append(f'{where}: "{name}"')
        for m in ANCHOR.finditer(text):
            cited += 1
            if m.group(1) not in anchors:
                broken.append(f"{where}: #{m.group(1)}")
        for m in SECTION.finditer(text):
            cited += 1
            if not any(m.group(1).strip('"').startswith(h) for h in headings):
                broken.append(f"{where}: §{m.group(1)}")
    assert cited > 10  # the patterns still find the citations
    assert not broken, f"sections of docs/rules.md cited but missing ({', '.join(headings)}):\n" + "\n".join(broken)


def test_the_source_contracts_are_in_the_repository() -> None:
    """The four sources and the settings are described here, not only in a file outside the repository."""
    headings = _headings()
    for name in ("Help desk", "Schedule service", "1C accounting", "Registry workbook", "Settings", "Identity"):
        assert name in headings
