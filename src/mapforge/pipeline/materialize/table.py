"""`table`: build under a staging name and swap it in, which every engine does natively."""

from __future__ import annotations

from mapforge.engines.base import Engine
from mapforge.pipeline.materialize.build import Build


def table(engine: Engine, build: Build) -> int:
    """Rebuild the whole table; the old one stays until the new one is complete."""
    return engine.build_table(build.name, build.sql)
