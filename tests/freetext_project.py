"""A generated project of free-text targets (the one bench/throughput.py plans), for tests.

`make(dir, server, n, **llm)` writes N targets over one DuckDB table; `server.default`
is set to answer valid SQL for whichever target a prompt names.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from mapforge.testing import FakeLLMServer

BENCH = Path(__file__).resolve().parents[1] / "bench" / "throughput.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_throughput", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


throughput = _load()
answer_sql = throughput.answer_sql
target_name = throughput.target_name


def make(directory: Path, server: FakeLLMServer, n: int = 3, **llm: Any) -> Path:
    """The project in `directory`, its model the fake server (gpt-4o-mini prices)."""
    server.default = throughput.responder
    settings = {"base_url": server.base_url, "api_key": "test-key", "model": "gpt-4o-mini", **llm}
    return throughput.write_project(directory, n, settings)
