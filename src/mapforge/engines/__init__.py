"""Database engines, one module each, registered in ENGINES."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from mapforge.engines.base import Engine, QueryResult

if TYPE_CHECKING:
    from mapforge.config import EngineConfig

__all__ = ["ENGINES", "Engine", "QueryResult", "connect", "open_engine"]

# name -> "module:class"; imported on demand, since psycopg and pyspark are extras.
ENGINES: dict[str, str] = {
    "duckdb": "mapforge.engines.duckdb:DuckDBEngine",
    "postgres": "mapforge.engines.postgres:PostgresEngine",
    "spark": "mapforge.engines.spark:SparkEngine",
}

# Extras to install per engine, for the error a missing driver produces.
_EXTRAS = {"postgres": "postgres", "spark": "spark"}


def connect(kind: str, **options: object) -> Engine:
    """Open an engine by its registered name ('duckdb', 'postgres', 'spark')."""
    return _engine_class(kind)(**options)


def open_engine(cfg: EngineConfig, base_dir: Path, state_dir: Path | None = None) -> Engine:
    """Open the engine an `engine:` (or `targets.NAME:`) block of mapforge.yml describes.

    `state_dir` (the project's .mapforge/) is where an engine may cache catalog metadata.
    """
    return connect(cfg.type, **_options(cfg, base_dir, state_dir))


def _options(cfg: EngineConfig, base_dir: Path, state_dir: Path | None) -> dict[str, object]:
    from mapforge.errors import ConfigError

    if cfg.type == "postgres":
        if not cfg.url:
            raise ConfigError(
                "engine type postgres needs `url`",
                hint="url: postgresql://user@host:5432/db (password from PGPASSWORD or ~/.pgpass)",
            )
        return {"url": cfg.url, "schema": cfg.db_schema}
    options: dict[str, object] = {"schema": cfg.db_schema} if cfg.db_schema else {}
    if cfg.type == "duckdb":
        path = Path(cfg.path)
        resolved = path if cfg.path == ":memory:" or path.is_absolute() else base_dir / path
        options["path"] = str(resolved)
        if state_dir is not None:
            from mapforge.engines.duckdb_keys import KEY_CACHE_FILE

            options["key_cache"] = str(state_dir / KEY_CACHE_FILE)
    if cfg.type == "spark":
        options.update(master=cfg.master, spark_conf=cfg.spark_conf)
        if cfg.warehouse:  # relative to the project, like duckdb's path
            options["warehouse"] = str(base_dir / cfg.warehouse)
    return options


def _engine_class(kind: str) -> Callable[..., Engine]:
    from mapforge.errors import ConfigError

    if kind not in ENGINES:
        raise ConfigError(
            f"unknown engine type {kind!r}", hint=f"supported: {', '.join(sorted(ENGINES))}"
        )
    module, _, name = ENGINES[kind].partition(":")
    try:
        return getattr(import_module(module), name)  # type: ignore[no-any-return]
    except ImportError as exc:
        if exc.name and exc.name.startswith("mapforge"):
            raise  # our own module is missing: a bug, not a missing extra
        extra = _EXTRAS.get(kind, kind)
        raise ConfigError(
            f"engine type {kind!r} needs {exc.name}", hint=f"pip install 'mapforge[{extra}]'"
        ) from None
