"""The retail example as a throwaway project, and a fake model that answers it per target."""

from __future__ import annotations

import re
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mapforge.cli import app
from mapforge.testing import prompt_text

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "examples" / "retail"
FREE_TEXT = ("dim_customer", "fct_customer_ltv", "fct_order_line")
_TABLE = re.compile(r"(?m)^Table: (\S+)$")


def retail_copy(tmp_path: Path) -> Path:
    """examples/retail without its lock, with freshly built sources."""
    project = tmp_path / "retail"
    project.mkdir()
    shutil.copy(RETAIL / "mapforge.yml", project / "mapforge.yml")
    shutil.copytree(RETAIL / "mappings", project / "mappings")
    sys.path.insert(0, str(RETAIL))
    try:
        from generate_data import build_sources  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(RETAIL))
    build_sources(project / "warehouse.duckdb")
    return project


def reference_sql(name: str) -> str:
    return (RETAIL / "reference" / f"{name}.sql").read_text()


def fenced(sql: str) -> str:
    return f"Here is the query:\n\n```sql\n{sql.strip()}\n```\n"


class ByTarget:
    """A `default` responder: scripted answers per target first, then the reference SQL."""

    def __init__(self, scripted: dict[str, list[str]] | None = None) -> None:
        self.scripted = {name: list(answers) for name, answers in (scripted or {}).items()}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        match = _TABLE.search(prompt_text(body))
        assert match, "the prompt names no target"
        name = match.group(1)
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            if self.scripted.get(name):
                return self.scripted[name].pop(0)
        return fenced(reference_sql(name))


def mapforge(*args: str, base_url: str) -> tuple[int, str]:
    """Run the CLI in-process with the model pointed at `base_url`."""
    env = {
        "MAPFORGE_LLM_BASE_URL": base_url,
        "OPENAI_API_KEY": "test-key",
        "MAPFORGE_LLM_MODEL": "fake-model",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout
