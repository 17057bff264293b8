"""Docs that cannot rot: every finding code is documented, and every code used is registered."""

from __future__ import annotations

import re
from pathlib import Path

from mapforge.validate.findings import CODES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "findings.md"
CODE = re.compile(r"\bMF\d{3}\b")


def _headings() -> dict[str, str]:
    # `### MF101 unknown-column — error`
    found = re.findall(r"^### (MF\d{3}) ([a-z-]+) — (error|warn|info)$", DOC.read_text(), re.M)
    return {code: slug for code, slug, _ in found}


def test_every_code_has_a_section_with_its_slug() -> None:
    assert _headings() == CODES


def test_every_section_has_an_example_and_a_fix() -> None:
    sections = re.split(r"^### ", DOC.read_text(), flags=re.M)[1:]
    for section in sections:
        assert "Fix:" in section and ("```sql" in section or "Example" in section), section[:40]


def test_every_code_used_in_the_source_is_registered() -> None:
    used = {
        code
        for path in (ROOT / "src" / "mapforge").rglob("*.py")
        for code in CODE.findall(path.read_text())
    }
    assert used - CODES.keys() == set()


def test_the_code_pattern_finds_codes() -> None:
    # guards the test above against a pattern that silently matches nothing
    assert CODE.findall('Finding(code="MF999")') == ["MF999"]
