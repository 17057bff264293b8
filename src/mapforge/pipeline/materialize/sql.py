"""sqlglot building blocks shared by the materializations, rendered per engine dialect."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.engines.base import Engine
from mapforge.errors import PipelineError

# Engines hide objects with this prefix from the catalog (see engines/duckdb_catalog.py).
INTERNAL_PREFIX = "__mapforge_"
SOURCE_ALIAS = f"{INTERNAL_PREFIX}src"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def col(name: str, of: str | None = None) -> exp.Column:
    return exp.column(ident(name), table=ident(of) if of else None)


def staging(target: str, role: str) -> str:
    """Name of a temp table (or CTE) a materialization of `target` works in."""
    return f"{INTERNAL_PREFIX}{role}_{target}"


def render(expression: exp.Expression, engine: Engine) -> str:
    # copy=False: every statement is built for one rendering, so the generator's defensive
    # copy of the tree (the whole locked SELECT, for an increment) is waste
    return expression.sql(dialect=engine.dialect, copy=False)


def run(engine: Engine, expression: exp.Expression) -> None:
    engine.execute(render(expression, engine))


def parse_locked(sql: str, dialect: str) -> exp.Expr:
    """The locked SELECT's tree; a PipelineError (the target fails, the run goes on) when it
    does not parse, which only a lock edited by hand or another sqlglot can cause."""
    try:
        return sqlglot.parse_one(sql.strip().rstrip(";"), read=dialect)
    except SqlglotError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PipelineError(
            f"the locked SQL does not parse as {dialect}: {first}",
            hint="plan the target again (`mapforge plan --select <target>`)",
        ) from None


def source(sql: str, engine: Engine, parsed: exp.Expr | None = None) -> exp.Subquery:
    """The locked SELECT as a subquery `(...) AS __mapforge_src`; `parsed`: its tree, when the
    caller has it (Build.query), which the subquery then takes over."""
    query = parsed if parsed is not None else parse_locked(sql, engine.dialect)
    return exp.Subquery(this=query, alias=exp.TableAlias(this=ident(SOURCE_ALIAS)))


def select_from(
    columns: Sequence[str], from_: exp.Expression | str, of: str | None = None
) -> exp.Select:
    return exp.select(*(col(c, of) for c in columns)).from_(from_)


def keys_equal(key: Sequence[str], left: str, right: str) -> exp.Condition:
    return exp.and_(*(exp.EQ(this=col(k, left), expression=col(k, right)) for k in key))


def exists(from_: str, where: exp.Condition) -> exp.Exists:
    return exp.Exists(this=exp.select(exp.Literal.number(1)).from_(table(from_)).where(where))


def create_temp(name: str, query: exp.Expression | exp.Query) -> exp.Create:
    props = exp.Properties(expressions=[exp.TemporaryProperty()])
    return exp.Create(this=table(name), kind="TABLE", expression=query, properties=props)


def drop(name: str) -> exp.Drop:
    return exp.Drop(tables=[table(name)], kind="TABLE", exists=True)


def timestamp(value: datetime) -> exp.Expression:
    """A naive-UTC TIMESTAMP literal: every engine reads it the same way."""
    utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return exp.cast(exp.Literal.string(utc.isoformat(sep=" ")), exp.DataType.build("timestamp"))


def columns_of(engine: Engine, query: exp.Expression | str) -> list[str]:
    """Column names of a table name or a query, from a LIMIT 0 read."""
    from_ = table(query) if isinstance(query, str) else query
    return engine.query(render(exp.select("*").from_(from_).limit(0), engine)).columns


def selected_columns(engine: Engine, query: exp.Subquery) -> list[str]:
    """The output names of `source()`'s SELECT: read off the tree when every item is a
    column or has an alias (a locked SELECT always does), else by a LIMIT 0 read."""
    select = query.this
    if isinstance(select, exp.Select) and all(_named(e) for e in select.expressions):
        return [e.alias_or_name for e in select.expressions]
    return columns_of(engine, query.copy())  # render() transforms in place: keep `query`


def _named(item: exp.Expression) -> bool:
    if isinstance(item, exp.Alias):
        return bool(item.alias)
    return isinstance(item, exp.Column) and not isinstance(item.this, exp.Star)


def require_same_columns(target: str, built: Sequence[str], selected: Sequence[str]) -> None:
    """An increment must have the target's columns; otherwise the mapping changed shape."""
    if [c.lower() for c in built] != [c.lower() for c in selected]:
        raise PipelineError(
            f"{target}: the SELECT's columns ({', '.join(selected)}) "
            f"differ from the table's ({', '.join(built)})",
            hint=f"rebuild it with `mapforge run --full-refresh --select {target}`",
        )


def literal(value: object) -> exp.Expression | None:
    """`value` as a SQL literal of the same type, or None when it has no exact spelling."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return exp.Literal.number(text)
    if isinstance(value, datetime):
        kind = "timestamptz" if value.tzinfo else "timestamp"
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build(kind))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    return None
