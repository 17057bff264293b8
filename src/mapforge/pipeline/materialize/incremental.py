"""`incremental` (and `merge`): apply only new or changed rows to the table, keyed.

The increment is the SELECT's rows with `watermark >= max(watermark)` of the table, or,
without a watermark, every SELECT row not already in the table (full comparison, EXCEPT).
`>=` rather than `>` re-reads the rows at the high-water mark: a late row with the same
timestamp is not lost, and re-merging an unchanged row changes nothing. The mark is read once
and put in the SELECT as a literal, so the engine can prune on it instead of joining a
subquery (on DuckDB at 10M rows: 0.69 s against 1.10 s).

Without a `strategy` option, an engine with transactions gets DELETE + INSERT (atomic in the
transaction, and on DuckDB five times faster than MERGE at 1% changed rows of 10M: MERGE
updates rows in every row group, which the checkpoint then rewrites; DELETE marks them and
INSERT appends), otherwise MERGE, one atomic statement. `strategy=merge` keeps MERGE.

The stage is typed like the table (created empty from it, then filled), so the key check, the
DELETE or MERGE and the INSERT all see the values as the table will store them. When the
watermark column comes straight from a table the SELECT reads, that table's rows past the
mark are read first, as a MATERIALIZED CTE the SELECT reads in place of the table
(narrow.py), so the joins are planned on a relation of their own, not on the whole table.
Given the fingerprint of a verified table (`Build.verified_fingerprint`), the apply also
proves the key by construction (pipeline/proof.py): fingerprint before, apply, fingerprint
after (counted from what the DELETE removed and the stage added), all in one transaction.

With `partition_by` on an engine that has partitions (Spark), the first build partitions the
table by that column and an apply rewrites only the partitions the increment touches (see
rebuild.partitions); other engines ignore the option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.pipeline.materialize import rebuild
from mapforge.pipeline.materialize.build import Applied, Build
from mapforge.pipeline.materialize.keys import StageKeys, check_keys
from mapforge.pipeline.materialize.narrow import narrow
from mapforge.pipeline.materialize.sql import (
    SOURCE_ALIAS,
    col,
    columns_of,
    create_temp,
    drop,
    exists,
    ident,
    keys_equal,
    literal,
    require_same_columns,
    run,
    select_from,
    selected_columns,
    source,
    staging,
    table,
)
from mapforge.pipeline.materialize.watermark import high_water, hint, max_of
from mapforge.pipeline.proof import counted_delete, fingerprint, shifted


def incremental(engine: Engine, build: Build) -> Applied:
    """First run or --full-refresh: build the table; later stage, check keys, apply, atomically."""
    partition = rebuild.partition_column(engine, build)
    known = build.stored_columns is not None
    if build.full_refresh or not (known or engine.table_exists(build.name)):
        if partition is not None:  # only engines with supports_partitions take the argument
            built = rebuild.build_partitioned(engine, build.name, build.sql, partition)
            return Applied(built, rebuilt=True)
        return Applied(engine.build_table(build.name, build.sql), rebuilt=True)
    columns = list(build.stored_columns or ()) if known else columns_of(engine, build.name)
    query = source(build.sql, engine, build.query)  # the increment is built from this tree
    selected = selected_columns(engine, query)
    if partition is not None:  # the table lists its partition column last
        rebuild.require_partitioned(engine, build.name, partition)
        selected = rebuild.partition_last(selected, partition)
    require_same_columns(build.name, columns, selected)
    stage = staging(build.name, "stage")
    if not engine.supports_transactions:  # no atomic DML: compute the new table, swap it in
        new = increment(engine, build, columns, query).rows
        if partition is not None:  # ... or only the partitions the increment touches
            return Applied(rebuild.partitions(engine, build, columns, stage, new, partition))
        return Applied(rebuild.incremental(engine, build, columns, stage, new))
    proving = build.verified_fingerprint is not None and bool(build.key)
    narrowed = staging(build.name, "source")
    with engine.transaction():
        before = fingerprint(engine, build.name, build.key) if proving else None
        proved = before is not None and before == build.verified_fingerprint
        # typed like the table: the key is checked on the values the INSERT will store
        run(engine, create_temp(stage, select_from(columns, table(build.name)).limit(0)))
        rows, high = increment(engine, build, columns, query, narrowed)
        run(engine, exp.insert(rows, table(stage)))
        staged = check_keys(
            engine, build.name, build.key, stage, proved=build.increment_keys_proved
        )
        after = (
            _apply(engine, build, columns, staged, before if proved else None)
            if staged.rows
            else before
        )
        run(engine, drop(stage))
    return Applied(
        staged.rows,
        keys_proved=proved,
        fingerprint=after if proved else None,
        watermark=hint(engine, high),
    )


def _apply(
    engine: Engine, build: Build, columns: Sequence[str], staged: StageKeys, before: str | None
) -> str | None:
    """Apply the stage; given the key fingerprint `before` it, return the one after it."""
    statements = apply(engine, build, columns, staging(build.name, "stage"))
    counted = before is not None and staged.fingerprint is not None
    removed = None
    if counted and isinstance(statements[0], exp.Delete):
        removed = counted_delete(engine, statements[0], build.key)  # runs the DELETE
        statements = statements[1:]
    for statement in statements:
        run(engine, statement)
    if before is None:
        return None
    if removed is not None and staged.fingerprint is not None:
        return shifted(before, removed, staged.fingerprint)
    return fingerprint(engine, build.name, build.key)  # after a MERGE: scan


class Increment(NamedTuple):
    rows: exp.Query  # the rows to apply
    high: object | None  # the table's high-water mark they are past (None: no watermark, empty)


def increment(
    engine: Engine,
    build: Build,
    columns: Sequence[str],
    query: exp.Subquery,
    narrowed: str | None = None,
) -> Increment:
    """The rows to apply from `query` (source() of the build): past the watermark, or not in
    the table yet.

    Given `narrowed`, a name for the source rows past the mark, the SELECT reads those first,
    as a MATERIALIZED CTE of that name, when that is exact (narrow.py).
    """
    mark = build.options.watermark
    if mark is None:
        rows = select_from(columns, query, SOURCE_ALIAS)
        return Increment(exp.except_(rows, select_from(columns, table(build.name))), None)
    value = high_water(engine, build.name, mark, build.watermark_hint)
    if value is None:  # an empty table: everything is new
        return Increment(select_from(columns, query, SOURCE_ALIAS), None)
    bound = literal(value) or exp.Subquery(this=max_of(build.name, mark))
    found = narrow(query.this, mark, bound, narrowed) if narrowed else None
    if found is not None:
        query = exp.Subquery(this=found.query, alias=query.args["alias"])
    rows = select_from(columns, query, SOURCE_ALIAS)
    past = rows.where(exp.GTE(this=col(mark, SOURCE_ALIAS), expression=bound), copy=False)
    if found is not None:
        named = exp.TableAlias(this=ident(found.name))
        past = past.with_(named, as_=found.picked, materialized=True, copy=False)
    return Increment(past, value)


def apply(engine: Engine, build: Build, columns: Sequence[str], stage: str) -> list[exp.Expression]:
    """The chosen strategy's statements; by default DELETE + INSERT inside a transaction."""
    if strategy(engine, build) == "merge":
        return [merge(build.name, build.key, columns, stage)]
    return delete_insert(build.name, build.key, columns, stage)


def strategy(engine: Engine, build: Build) -> str:
    """merge | delete+insert: the option if set (merge only where the engine has MERGE)."""
    chosen = build.options.strategy
    if chosen is None:
        chosen = "delete+insert" if engine.supports_transactions else "merge"
    return "merge" if chosen == "merge" and engine.supports_merge else "delete+insert"


def merge(target: str, key: Sequence[str], columns: Sequence[str], stage: str) -> exp.Merge:
    """MERGE INTO target USING stage ON key: update the other columns, insert new keys."""
    values = [c for c in columns if c.lower() not in {k.lower() for k in key}]
    insert = exp.Insert(
        this=exp.Tuple(expressions=[col(c) for c in columns]),
        expression=exp.Tuple(expressions=[col(c, stage) for c in columns]),
    )
    whens = [exp.When(matched=False, then=insert)]
    if values:
        update = exp.Update(
            expressions=[exp.EQ(this=col(c), expression=col(c, stage)) for c in values]
        )
        whens.insert(0, exp.When(matched=True, then=update))
    return exp.merge(
        *whens, into=table(target), using=table(stage), on=keys_equal(key, target, stage)
    )


def delete_insert(
    target: str, key: Sequence[str], columns: Sequence[str], stage: str
) -> list[exp.Expression]:
    """DELETE the target rows whose key is in the stage, then INSERT the stage."""
    delete = exp.delete(table(target), where=exists(stage, keys_equal(key, stage, target)))
    insert = exp.insert(
        select_from(columns, table(stage)), table(target), columns=[col(c).this for c in columns]
    )
    return [delete, insert]
