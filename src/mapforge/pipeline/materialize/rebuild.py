"""Incremental and scd2 loads on engines without transactional DML (Spark on parquet).

Such an engine can neither DELETE/UPDATE in place nor make several statements atomic, so
the new state of the table is computed as one SELECT over the old table and the increment,
and written with `engine.build_table` (build under a staging name, swap in). The increment
and the changes are TEMP views: evaluated inside that one build, against the old table.

A table partitioned by the `partition_by` option is not rebuilt: only the partitions the
increment touches are computed and written over (engine.overwrite_partitions).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

from sqlglot import exp

from mapforge.engines.base import Engine, Partitioned
from mapforge.errors import PipelineError
from mapforge.pipeline.materialize.build import Build
from mapforge.pipeline.materialize.keys import check_keys
from mapforge.pipeline.materialize.sql import (
    col,
    exists,
    keys_equal,
    render,
    run,
    select_from,
    staging,
    table,
    timestamp,
)


def create_view(name: str, query: exp.Query) -> exp.Create:
    props = exp.Properties(expressions=[exp.TemporaryProperty()])
    return exp.Create(
        this=table(name), kind="VIEW", expression=query, properties=props, replace=True
    )


@contextmanager
def temp_views(engine: Engine, views: Sequence[tuple[str, exp.Query]]) -> Iterator[None]:
    """TEMP views for the length of the block, dropped even when it raises."""
    made: list[str] = []
    try:
        for name, query in views:
            run(engine, create_view(name, query))
            made.append(name)
        yield
    finally:
        for name in reversed(made):
            run(engine, exp.Drop(tables=[table(name)], kind="VIEW", exists=True))


def incremental(
    engine: Engine, build: Build, columns: Sequence[str], stage: str, rows: exp.Query
) -> int:
    """Old rows whose key is not in the increment, plus the increment, swapped in."""
    with temp_views(engine, [(stage, rows)]):
        check_keys(engine, build.name, build.key, stage)
        applied = engine.row_count(stage)
        if applied:
            replaced = exists(stage, keys_equal(build.key, stage, build.name))
            kept = select_from(columns, table(build.name), build.name).where(exp.not_(replaced))
            fresh = select_from(columns, table(stage), stage)
            engine.build_table(build.name, render(exp.union(kept, fresh, distinct=False), engine))
    return applied


def partition_column(engine: Engine, build: Build) -> str | None:
    """The `partition_by` column where the engine partitions tables, else None (ignored)."""
    if not getattr(engine, "supports_partitions", False):
        return None
    return build.options.partition_by


def build_partitioned(engine: Engine, name: str, sql: str, partition: str) -> int:
    """engine.build_table with PARTITIONED BY, on an engine with supports_partitions."""
    return cast(Partitioned, engine).build_table(name, sql, partition_by=partition)


def require_partitioned(engine: Engine, name: str, partition: str) -> None:
    """Raise PipelineError unless table `name` is partitioned by `partition` alone."""
    actual = cast(Partitioned, engine).partition_columns(name)
    if [c.lower() for c in actual] != [partition.lower()]:
        shown = ", ".join(actual) or "nothing"
        raise PipelineError(
            f"{name}: the table is partitioned by {shown}, not partition_by={partition}",
            hint=f"rebuild it with `mapforge run --full-refresh --select {name}`",
        )


def partition_last(columns: Sequence[str], partition: str) -> list[str]:
    """`columns` in a partitioned table's order: the partition column moved to the end."""
    rest = [c for c in columns if c.lower() != partition.lower()]
    return [*rest, *(c for c in columns if c.lower() == partition.lower())]


def partitions(
    engine: Engine,
    build: Build,
    columns: Sequence[str],
    stage: str,
    rows: exp.Query,
    partition: str,
) -> int:
    """Rewrite only the partitions the increment touches: their old rows whose key is not in
    the increment, plus the increment.

    A touched partition is one an increment row falls in, or one holding an old row whose
    key is in the increment: a key whose partition column changed leaves its old partition,
    which is rewritten without it (or, when that leaves it empty, the table is rebuilt).
    """
    touched = staging(build.name, "touched")
    with temp_views(engine, [(stage, rows)]):
        check_keys(engine, build.name, build.key, stage)
        applied = engine.row_count(stage)
        if not applied:
            return 0
        replaced = exists(stage, keys_equal(build.key, stage, build.name))
        moved = exp.select(col(partition, build.name)).from_(table(build.name)).where(replaced)
        hit = exp.union(exp.select(col(partition)).from_(table(stage)), moved, distinct=True)
        with temp_views(engine, [(touched, hit)]):
            inside = exists(
                touched,
                exp.NullSafeEQ(this=col(partition, touched), expression=col(partition, build.name)),
            )
            kept = select_from(columns, table(build.name), build.name).where(
                exp.and_(inside, exp.not_(replaced))
            )
            fresh = select_from(columns, table(stage), stage)
            # a partition all of whose keys moved out gets no rows, so a dynamic overwrite
            # would leave it as it was: then the whole table is rebuilt (rare)
            emptied = exp.except_(
                exp.except_(
                    exp.select(col(partition)).from_(table(touched)),
                    exp.select(col(partition)).from_(table(stage)),
                ),
                select_from([partition], table(build.name), build.name).where(
                    exp.and_(inside, exp.not_(replaced))
                ),
            )
            everything = exp.union(
                select_from(columns, table(build.name), build.name).where(exp.not_(replaced)),
                fresh,
                distinct=False,
            )
            partitioned = cast(Partitioned, engine)
            if engine.query(render(emptied.limit(1), engine)).rows:
                partitioned.build_table(build.name, render(everything, engine), partition)
            else:
                query = render(exp.union(kept, fresh, distinct=False), engine)
                partitioned.overwrite_partitions(build.name, query, partition)
    return applied


def scd2(
    engine: Engine,
    build: Build,
    views: Sequence[tuple[str, exp.Query]],
    columns: Sequence[str],
    meta: tuple[str, str, str],
    ends: exp.Expression,
    versions: exp.Query,
) -> int:
    """Old versions (closing the changed and, if asked, deleted ones) plus the new versions.

    `views` are (stage, changes) with their queries; `ends` is the valid_to of a replaced
    version; `versions` selects the new current versions from the changes.
    """
    (stage, _), (changes, _) = views
    valid_from, valid_to, is_current = meta
    with temp_views(engine, views):
        check_keys(engine, build.name, build.key, stage)
        changed = exp.and_(
            col(is_current), exists(changes, keys_equal(build.key, changes, build.name))
        )
        gone = exp.and_(
            col(is_current), exp.not_(exists(stage, keys_equal(build.key, stage, build.name)))
        )
        closing = [(changed, ends)]
        if build.options.hard_deletes == "close":
            closing.append((gone, timestamp(build.as_of)))
        closed = _count(engine, build.name, gone) if build.options.hard_deletes == "close" else 0
        opened = engine.row_count(changes)
        if opened or closed:
            old = _old_versions(build.name, columns, valid_from, valid_to, is_current, closing)
            query = exp.union(old, versions, distinct=False)
            engine.build_table(build.name, render(query, engine))
    return opened + closed


def _old_versions(
    name: str,
    columns: Sequence[str],
    valid_from: str,
    valid_to: str,
    is_current: str,
    closing: list[tuple[exp.Condition, exp.Expression]],
) -> exp.Select:
    ends = exp.Case(
        ifs=[exp.If(this=when, true=end) for when, end in closing], default=col(valid_to)
    )
    still = exp.Case(
        ifs=[exp.If(this=when, true=exp.false()) for when, _ in closing], default=col(is_current)
    )
    return select_from([*columns, valid_from], table(name), name).select(
        exp.alias_(ends, valid_to, quoted=True), exp.alias_(still, is_current, quoted=True)
    )


def _count(engine: Engine, name: str, where: exp.Condition) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(table(name)).where(where)
    return int(engine.query(render(query, engine)).rows[0][0])
