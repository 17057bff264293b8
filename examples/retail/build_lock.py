"""Maintainers' tool: rebuild examples/retail/mapforge.lock without a model.

Structured targets compile; the free-text targets take the hand-written SQL in reference/,
recorded in the lock as `manual:mapforge-maintainers` — never as a model's answer. A user
with a model regenerates those with `mapforge plan --refresh`.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUTHOR = "mapforge-maintainers"


def reference_sql() -> dict[str, tuple[str, str]]:
    return {path.stem: (AUTHOR, path.read_text()) for path in sorted((HERE / "reference").glob("*.sql"))}


def main() -> int:
    sys.path.insert(0, str(HERE))
    from generate_data import build_sources

    from mapforge import api
    from mapforge.project import open_project

    build_sources(HERE / "warehouse.duckdb")
    project = open_project(HERE)
    try:
        result = api.plan(project, manual_sql=reference_sql())
    finally:
        project.close()
    for item in result.targets:
        status = item.error or (item.entry.status if item.entry else "missing")
        print(f"{item.name:28} {item.action:10} {status}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
