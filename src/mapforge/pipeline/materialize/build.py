"""What one materialization needs to know about its target and run, and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

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
    # incremental: the key fingerprint of the table when its key was last verified (state.sqlite);
    # None = nothing verified, so nothing to prove from (see pipeline/proof.py)
    verified_fingerprint: str | None = None
    # the locked SELECT's key is unique and not null by construction, in the table's own types
    # (pipeline/key_proof.py), so an increment's keys need no check, only counting
    increment_keys_proved: bool = False
    # incremental: a watermark value the table held after its last apply (a SQL literal), so
    # the high-water mark is read past it (materialize/watermark.py); None: read the column
    watermark_hint: str | None = None
    # incremental: `sql` as the run parsed it to prove its key (None: parse it again); the
    # materialization takes it over and may transform it, so it serves one Build only
    query: exp.Expr | None = field(default=None, compare=False)
    # incremental: the table's columns as the run's catalog listed them, where no other
    # process can change them meanwhile (Engine.exclusive_writer); None: ask the engine
    stored_columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Applied:
    """What a materialization wrote and, for an incremental apply, what it proved."""

    rows: int  # rows written: built, applied or versions opened and closed
    # the key is unique and not null by construction: the table before the apply had the
    # verified fingerprint, and the applied rows' keys were unique and not null
    keys_proved: bool = False
    fingerprint: str | None = None  # the key fingerprint after the apply, when keys_proved
    # the table now holds exactly the rows of the locked SELECT (a table build, a first or
    # full-refresh incremental build), so a proof about the SELECT is one about the table
    rebuilt: bool = False
    # the high-water mark an incremental apply read, a SQL literal: the next run's hint
    watermark: str | None = None
