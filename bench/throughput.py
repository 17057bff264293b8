"""Throughput of `plan` against a rate-limited model: is the gateway as fast as the limit allows?

    python bench/throughput.py [--json] [--targets 100] [--rps 2] [--latency 0.4] [--scripted-429 3]

A generated project (one DuckDB source table, N targets, each with one free-text rule) is
planned against FakeLLMServer limited to `rps` requests a second on the server side (over
it: 429 with Retry-After) with `latency` seconds a reply, and `scripted-429` extra 429s at
the start. The gateway is configured with the same rps. Figures:

    wall_over_min  wall seconds / (N / rps + latency): the theoretical minimum is N requests
                   spaced 1/rps apart, plus the last reply's latency. Target: <= 1.15.
    answered       targets that got a locked, valid answer. Target: N.
    http_429       429s the server sent (scripted + its own rate limit).
    warm_calls     model requests of a second plan after deleting mapforge.lock, so every
                   prompt is asked again and must come from the cache. Target: 0.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from mapforge import api
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.lock import LOCK_FILE
from mapforge.project import open_project
from mapforge.testing import Fail, FakeLLMServer, last_user_message

HEADER = "target_table,target_column,target_type,source_table,source_column,rule,join,filter,key,load,tests,description\n"
_TARGET = re.compile(r"target table (\w+)")


def target_name(index: int) -> str:
    return f"t_{index:03d}"


def write_project(directory: Path, n_targets: int, llm: dict[str, Any]) -> Path:
    """A project of `n_targets` free-text targets over one source table `src`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mappings").mkdir(exist_ok=True)
    rows = [HEADER]
    for i in range(n_targets):
        name = target_name(i)
        rows.append(f"{name},id,INTEGER,src,id,direct,,,Y,table,,\n")
        rows.append(
            f"{name},label,VARCHAR,src,name,the text {name}- followed by the upper-cased name,,,,,,\n"
        )
    (directory / "mappings" / "targets.csv").write_text("".join(rows))
    config = {
        "name": "bench",
        "mappings": ["mappings/*"],
        "engine": {"type": "duckdb", "path": "warehouse.duckdb"},
        "llm": llm,
    }
    (directory / "mapforge.yml").write_text(json.dumps(config))  # JSON is YAML
    with DuckDBEngine(directory / "warehouse.duckdb") as engine:
        engine.execute("CREATE TABLE src (id INTEGER PRIMARY KEY, name VARCHAR)")
        engine.execute("INSERT INTO src VALUES (1, 'ada'), (2, 'alan')")
    return directory


def answer_sql(target: str) -> str:
    """The valid SELECT for a generated target."""
    return f"SELECT CAST(src.id AS INTEGER) AS id, CAST('{target}-' || upper(src.name) AS VARCHAR) AS label FROM src"


def responder(body: dict[str, Any]) -> str:
    """FakeLLMServer default: valid SQL for whichever target the prompt names."""
    match = _TARGET.search(last_user_message(body))
    if match is None:
        raise LookupError("the prompt names no target")
    return f"```sql\n{answer_sql(match.group(1))}\n```"


def measure(
    n_targets: int = 100,
    rps: float = 2.0,
    latency: float = 0.4,
    scripted_429: int = 3,
    concurrency: int = 8,
) -> dict[str, Any]:
    """Plan cold, then warm (lock deleted); return the figures."""
    with (
        FakeLLMServer(default=responder, rps=rps, latency=latency) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        server.enqueue(*[Fail(429, "scripted rate limit", retry_after=0.5)] * scripted_429)
        llm = {
            "base_url": server.base_url,
            "api_key": "bench",
            "model": "gpt-4o-mini",
            "rps": rps,
            "max_concurrency": concurrency,
        }
        directory = write_project(Path(tmp) / "project", n_targets, llm)
        started = time.monotonic()
        result = _plan(directory)
        wall = time.monotonic() - started
        cold_requests = len(server.requests)
        answered = sum(1 for t in result.targets if t.entry is not None and t.entry.runnable)
        (directory / LOCK_FILE).unlink()
        _plan(directory)
        return {
            "targets": n_targets,
            "rps": rps,
            "latency_s": latency,
            "wall_s": round(wall, 2),
            "min_s": round(n_targets / rps + latency, 2),
            "wall_over_min": round(wall / (n_targets / rps + latency), 3),
            "answered": answered,
            "http_429": cold_requests - answered,
            "warm_calls": len(server.requests) - cold_requests,
        }


def _plan(directory: Path) -> api.PlanResult:
    with open_project(directory) as project:
        return api.plan(project)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--rps", type=float, default=2.0)
    parser.add_argument("--latency", type=float, default=0.4)
    parser.add_argument("--scripted-429", type=int, default=3)
    args = parser.parse_args()
    figures = measure(args.targets, args.rps, args.latency, args.scripted_429)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:14} {value}")


if __name__ == "__main__":
    main()
