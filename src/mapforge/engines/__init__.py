"""Database engines, one module each, registered in ENGINES."""

from __future__ import annotations

from mapforge.engines.base import Engine, QueryResult

__all__ = ["Engine", "QueryResult", "connect"]


def connect(kind: str, **options: object) -> Engine:
    """Open an engine by its registered name ('duckdb', ...)."""
    from mapforge.errors import ConfigError

    if kind == "duckdb":
        from mapforge.engines.duckdb import DuckDBEngine

        return DuckDBEngine(**options)  # type: ignore[arg-type]
    raise ConfigError(f"unknown engine type {kind!r}", hint="supported: duckdb")
