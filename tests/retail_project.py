"""The retail example as a throwaway project on several engines (tests and bench/engines.py).

`prepare(dir, ...)` copies examples/retail (mapping, lock, reference SQL) into `dir`,
generates its sources in DuckDB, copies them into PostgreSQL when a URL is given, and
declares that database as target `pg` in mapforge.yml. The mapping and lock are unchanged.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from mapforge.engines.base import Engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "retail"
SOURCES = ["countries", "customers", "products", "orders", "order_items"]


def prepare(
    directory: Path, *, pg_url: str | None = None, pg_schema: str = "retail", scale: float = 1.0
) -> Path:
    """A copy of the retail project in `directory`, its sources built (and copied to `pg_url`)."""
    sys.path.insert(0, str(EXAMPLE))
    from generate_data import build_sources

    for name in ("mapforge.yml", "mapforge.lock"):
        shutil.copy(EXAMPLE / name, directory / name)
    for sub in ("mappings", "reference"):
        shutil.copytree(EXAMPLE / sub, directory / sub, dirs_exist_ok=True)
    build_sources(directory / "warehouse.duckdb", scale)
    if pg_url is not None:
        copy_to_postgres(directory / "warehouse.duckdb", pg_url, pg_schema)
        declare_target(directory / "mapforge.yml", pg_url, pg_schema)
    return directory


def copy_to_postgres(duckdb_path: Path, url: str, schema: str) -> None:
    from pg_load import copy_tables

    from mapforge.engines.duckdb import DuckDBEngine

    with DuckDBEngine(duckdb_path, read_only=True) as duck:
        copy_tables(duck, url, schema, SOURCES)


def declare_target(config: Path, url: str, schema: str) -> None:
    data = yaml.safe_load(config.read_text())
    data["targets"] = {"pg": {"type": "postgres", "url": url, "schema": schema}}
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def normalized_rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    """Every row of `table`, values normalized across engines, sorted: a comparable multiset."""
    quoted = exp.to_identifier(table, quoted=True).sql(dialect=engine.dialect)  # `x` on Spark
    rows = engine.query(f"select * from {quoted}").rows
    return sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)


def _normal(value: Any) -> Any:
    # decimals compare by value (12.50 == 12.5), floats to 9 places, dates as ISO text;
    # the engines agree on meaning, not on Python types or trailing zeros
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).quantize(Decimal("1e-9")).normalize(), "f")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
