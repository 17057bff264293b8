"""`view`: nothing is stored; the row count is that of the view as it reads now."""

from __future__ import annotations

from mapforge.engines.base import Engine
from mapforge.pipeline.materialize.build import Build


def view(engine: Engine, build: Build) -> int:
    """Create or replace the view; returns the rows it reads."""
    engine.build_view(build.name, build.sql)
    return engine.row_count(build.name)
