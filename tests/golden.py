"""Golden-file pairs: tests/fixtures/<stage>/<case>.yaml in, <case><suffix> expected out.

The one loader for every golden test (compiler, prompt). A case is a YAML input; what it
should produce is a text file next to it with the same stem. To accept new output after an
intended change, rerun the tests with

    MAPFORGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_compiler.py tests/test_prompt.py

which rewrites (or creates) the expected files instead of comparing; review the diff before
committing it. Without the variable a missing expected file is a failure, never a pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = os.environ.get("MAPFORGE_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    """One golden input: its name, its parsed YAML and the folder it lives in."""

    name: str
    data: dict[str, Any]
    folder: Path

    def expected(self, suffix: str) -> Path:
        return self.folder / f"{self.name}{suffix}"

    def check(self, actual: str, suffix: str) -> None:
        """Assert `actual` equals the expected file (or rewrite it under MAPFORGE_UPDATE_GOLDEN)."""
        path = self.expected(suffix)
        text = actual if actual.endswith("\n") else actual + "\n"
        if UPDATE:
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"{path} is missing; run with MAPFORGE_UPDATE_GOLDEN=1 to create it")
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path.name}"


def cases(stage: str) -> list[Case]:
    """Every `<case>.yaml` under tests/fixtures/<stage>/, in name order."""
    folder = FIXTURES / stage
    return [
        Case(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")), folder)
        for path in sorted(folder.glob("*.yaml"))
    ]
