"""`scd2`: keep every version of a row, with valid_from, valid_to and is_current.

A key's current version is closed (valid_to set, is_current false) and a new one opened
when one of the tracked columns changed (`IS DISTINCT FROM`, so NULL to NULL is no change);
with `hard_deletes=close`, a key gone from the source has its current version closed.
Nothing changed means nothing written, so applying the same source twice is a no-op.

valid_from comes from the run's as-of time (`--as-of`, recorded per run and reused by
`--resume`) or, with `valid_from=<column>`, from that column; never from the clock inside a
statement, so the same inputs give the same table. A first run and --full-refresh build the
table with one current version per key (history is not kept across a full refresh).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.errors import PipelineError
from mapforge.pipeline.materialize import rebuild
from mapforge.pipeline.materialize.build import Build
from mapforge.pipeline.materialize.keys import check_keys
from mapforge.pipeline.materialize.sql import (
    SOURCE_ALIAS,
    col,
    columns_of,
    create_temp,
    drop,
    exists,
    keys_equal,
    render,
    require_same_columns,
    run,
    select_from,
    source,
    staging,
    table,
    timestamp,
)

VALID_FROM, VALID_TO, IS_CURRENT = "valid_from", "valid_to", "is_current"
META = (VALID_FROM, VALID_TO, IS_CURRENT)


def scd2(engine: Engine, build: Build) -> int:
    """Open and close versions for what changed; returns the versions opened plus closed."""
    columns = columns_of(engine, source(build.sql, engine))
    if clash := [c for c in columns if c.lower() in META]:
        raise PipelineError(
            f"{build.name}: an scd2 target adds {', '.join(META)} itself; "
            f"the SELECT has {', '.join(clash)}"
        )
    stage = staging(build.name, "stage")
    if build.full_refresh or not engine.table_exists(build.name):
        return _first_build(engine, build, columns, stage)
    require_same_columns(build.name, columns_of(engine, build.name), [*columns, *META])
    if not engine.supports_transactions:  # no atomic UPDATE + INSERT: rebuild and swap
        return _rebuild(engine, build, columns, stage)
    with engine.transaction():
        rows = _apply(engine, build, columns, stage)
    return rows


def _first_build(engine: Engine, build: Build, columns: Sequence[str], stage: str) -> int:
    rows = select_from(columns, source(build.sql, engine), SOURCE_ALIAS)
    if not engine.supports_transactions:  # Spark has no TEMP tables; a view is read in the build
        with rebuild.temp_views(engine, [(stage, rows)]):
            check_keys(engine, build.name, build.key, stage)
            return engine.build_table(build.name, render(_versions(build, columns, stage), engine))
    run(engine, create_temp(stage, rows))
    try:
        check_keys(engine, build.name, build.key, stage)
        return engine.build_table(build.name, render(_versions(build, columns, stage), engine))
    finally:
        run(engine, drop(stage))  # a temp table: gone with the session anyway, even after a crash


def _apply(engine: Engine, build: Build, columns: Sequence[str], stage: str) -> int:
    changes = staging(build.name, "changes")
    run(engine, create_temp(stage, select_from(columns, source(build.sql, engine), SOURCE_ALIAS)))
    check_keys(engine, build.name, build.key, stage)
    run(engine, create_temp(changes, _changed(build, columns, stage)))
    opened = engine.row_count(changes)
    run(
        engine,
        _close(
            build,
            _current_and(exists(changes, keys_equal(build.key, changes, build.name))),
            _ends(build, changes),
        ),
    )
    closed = 0
    if build.options.hard_deletes == "close":
        gone = _current_and(exp.not_(exists(stage, keys_equal(build.key, stage, build.name))))
        closed = int(
            engine.query(
                render(
                    exp.select(exp.Count(this=exp.Star())).from_(table(build.name)).where(gone),
                    engine,
                )
            ).rows[0][0]
        )
        run(engine, _close(build, gone, timestamp(build.as_of)))
    insert = exp.insert(
        _versions(build, columns, changes),
        table(build.name),
        columns=[col(c).this for c in (*columns, *META)],
    )
    run(engine, insert)
    for name in (changes, stage):
        run(engine, drop(name))
    return opened + closed


def _rebuild(engine: Engine, build: Build, columns: Sequence[str], stage: str) -> int:
    changes = staging(build.name, "changes")
    views = [
        (stage, select_from(columns, source(build.sql, engine), SOURCE_ALIAS)),
        (changes, _changed(build, columns, stage)),
    ]
    versions = _versions(build, columns, changes)
    return rebuild.scd2(engine, build, views, columns, META, _ends(build, changes), versions)


def _tracked(build: Build, columns: Sequence[str]) -> list[str]:
    if build.options.track:
        return list(build.options.track)
    key = {k.lower() for k in build.key}
    return [c for c in columns if c.lower() not in key]


def _changed(build: Build, columns: Sequence[str], stage: str) -> exp.Select:
    """Stage rows with no current version, or whose tracked columns differ from it."""
    on = exp.and_(keys_equal(build.key, stage, build.name), col(IS_CURRENT, build.name))
    differs = [
        exp.NullSafeNEQ(this=col(c, stage), expression=col(c, build.name))
        for c in _tracked(build, columns)
    ]
    new_key = col(build.key[0], build.name).is_(exp.null())
    query = select_from(columns, table(stage), stage).join(
        table(build.name), on=on, join_type="left"
    )
    return query.where(exp.or_(new_key, *differs))


def _versions(build: Build, columns: Sequence[str], rows_of: str) -> exp.Select:
    """Each row of `rows_of` as a current version starting at its valid_from."""
    null_time = exp.cast(exp.null(), exp.DataType.build("timestamp"))
    meta = [
        exp.alias_(_starts(build, rows_of), VALID_FROM, quoted=True),
        exp.alias_(null_time, VALID_TO, quoted=True),
        exp.alias_(exp.true(), IS_CURRENT, quoted=True),
    ]
    return select_from(columns, table(rows_of), rows_of).select(*meta)


def _starts(build: Build, rows_of: str) -> exp.Expression:
    if build.options.valid_from is None:
        return timestamp(build.as_of)
    return exp.cast(col(build.options.valid_from, rows_of), exp.DataType.build("timestamp"))


def _ends(build: Build, changes: str) -> exp.Expression:
    """valid_to of a replaced version: the valid_from of the version replacing it."""
    if build.options.valid_from is None:
        return timestamp(build.as_of)
    start = (
        exp.select(_starts(build, changes))
        .from_(table(changes))
        .where(keys_equal(build.key, changes, build.name))
    )
    return exp.Subquery(this=start)


def _current_and(condition: exp.Expression) -> exp.Condition:
    return exp.and_(col(IS_CURRENT), condition)


def _close(build: Build, where: exp.Expression | exp.Condition, ends: exp.Expression) -> exp.Update:
    sets = [
        exp.EQ(this=col(VALID_TO), expression=ends),
        exp.EQ(this=col(IS_CURRENT), expression=exp.false()),
    ]
    return exp.Update(this=table(build.name), expressions=sets, where=exp.Where(this=where))
