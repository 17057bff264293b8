"""Materializations: the statements mapforge wraps around a target's locked SELECT.

    table        build under a staging name, swap in            (engine.build_table)
    view         CREATE OR REPLACE VIEW                          (engine.build_view)
    incremental  stage the new rows, check their keys, MERGE or DELETE+INSERT, in one
    (merge)      transaction; the first run and --full-refresh build the table
    scd2         stage the source, close changed (and deleted) current versions, insert
                 new ones, in one transaction

Statements are sqlglot expressions rendered for `engine.dialect`, so every engine reuses
them; the locked SELECT itself is embedded as written whenever it is run on its own.
"""

from __future__ import annotations

from mapforge.engines.base import Engine
from mapforge.pipeline.materialize.build import Applied, Build
from mapforge.pipeline.materialize.incremental import incremental
from mapforge.pipeline.materialize.options import Options
from mapforge.pipeline.materialize.scd2 import scd2
from mapforge.pipeline.materialize.table import table
from mapforge.pipeline.materialize.view import view

__all__ = ["Applied", "Build", "Options", "apply_target", "materialize"]

_BY_LOAD = {
    "table": table,
    "view": view,
    "scd2": scd2,
}
_INCREMENTAL = frozenset({"incremental", "merge"})


def apply_target(engine: Engine, build: Build) -> Applied:
    """Run the target's materialization; the rows written, and for incremental what it proved."""
    engine.settle(build.name)  # an interrupted earlier build's leftovers first (Spark)
    if build.load in _INCREMENTAL:
        return incremental(engine, build)
    materialization = _BY_LOAD.get(build.load, table)
    return Applied(materialization(engine, build), rebuilt=materialization is table)


def materialize(engine: Engine, build: Build) -> int:
    """Run the target's materialization; returns the rows written (built, merged or versioned)."""
    return apply_target(engine, build).rows
