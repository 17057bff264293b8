"""What one materialization needs to know about its target and run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mapforge.pipeline.materialize.options import Options


@dataclass(frozen=True)
class Build:
    name: str
    sql: str  # the locked SELECT
    load: str  # table | view | incremental | merge | scd2, from the lock
    as_of: datetime  # the run's timestamp: scd2 valid_from / valid_to unless a column gives it
    key: tuple[str, ...] = ()
    options: Options = field(default_factory=Options)
    full_refresh: bool = False
