"""An incremental table's high-water mark, read without scanning its whole watermark column.

`max(updated_at)` is answered from DuckDB's statistics right after a table is built, but
once an apply has deleted rows the statistics are only bounds and the engine reads the
whole column (10M rows: 0.006 s; it grows with the table, every run). So each apply leaves
the mark it read in state.sqlite (`Build.watermark_hint`), and the next run asks for
`max(updated_at) WHERE updated_at >= hint`: the rows past that mark are the last ones
written, and the engine skips the row groups whose statistics lie below it.

The hint is never trusted: when a row at or past it is left, the maximum of those rows is
the maximum of the table; when none is (a write outside mapforge removed them), the whole
column is read as before.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.engines.base import Engine
from mapforge.pipeline.materialize.sql import col, literal, render, table


def high_water(engine: Engine, name: str, mark: str, hint: str | None) -> object | None:
    """max(`mark`) of table `name`, read from the rows at or past `hint` when any are left."""
    bound = _parsed(hint, engine.dialect)
    if bound is not None:
        past = max_of(name, mark).where(exp.GTE(this=col(mark), expression=bound))
        found = engine.query(render(past, engine)).rows[0][0]
        if found is not None:
            return found
    return engine.query(render(max_of(name, mark), engine)).rows[0][0]


def hint(engine: Engine, high: object | None) -> str | None:
    """The next run's hint: this run's mark `high` as a SQL literal (None: no exact one).

    The mark the apply reached would prune a little more, but reading it costs a query in
    every run; this one is known, and it is at most the next run's mark all the same.
    """
    spelled = literal(high) if high is not None else None
    return render(spelled, engine) if spelled is not None else None


def max_of(name: str, mark: str) -> exp.Select:
    """SELECT max(mark) FROM name."""
    return exp.select(exp.Max(this=col(mark))).from_(table(name))


def _parsed(hint: str | None, dialect: str) -> exp.Expr | None:
    if hint is None:
        return None
    try:
        return sqlglot.parse_one(hint, read=dialect)
    except SqlglotError:
        return None  # a hint from another mapforge version: read the column
