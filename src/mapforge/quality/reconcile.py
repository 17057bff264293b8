"""Reconciliation checks: the target against a source, by row count or by the sum of a measure.

Each returns one failing row (source figure, target figure, difference, allowed difference)
when |target - source| > tolerance * |source|, so a tolerance is a fraction of the source.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from mapforge.quality.builders import Check, Severity, column_ref, slug, table_ref
from mapforge.quality.context import JoinClause


def reconcile_rows(
    table: str,
    source: str,
    *,
    tolerance: float = 0.0,
    where: str | None = None,
    joins: tuple[JoinClause, ...] = (),
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> Check:
    """Fails when the target's row count differs from the (filtered) source's beyond tolerance."""
    count = exp.Count(this=exp.Star())
    source_q = _scoped(source, count, where, joins, dialect)
    target_q = exp.select(count.copy()).from_(table_ref(table))
    query = _compare("rows", source_q, target_q, tolerance)
    name = f"reconcile_rows_{slug(table)}__{slug(source)}"
    return Check(name, table, None, "reconcile_rows", severity, query.sql(dialect=dialect))


def reconcile_sum(
    table: str,
    column: str,
    source: str,
    source_column: str,
    *,
    tolerance: float = 0.0,
    where: str | None = None,
    joins: tuple[JoinClause, ...] = (),
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> Check:
    """Fails when sum(target.column) differs from sum(source.source_column) beyond tolerance."""
    source_sum = exp.Sum(this=column_ref(source_column, source.split(".")[-1]))
    source_q = _scoped(source, source_sum, where, joins, dialect)
    target_q = exp.select(exp.Sum(this=column_ref(column))).from_(table_ref(table))
    query = _compare("sum", source_q, target_q, tolerance)
    name = f"reconcile_sum_{slug(table)}_{slug(column)}__{slug(source)}_{slug(source_column)}"
    return Check(name, table, column, "reconcile_sum", severity, query.sql(dialect=dialect))


def _scoped(
    source: str,
    measure: exp.Expression,
    where: str | None,
    joins: tuple[JoinClause, ...],
    dialect: str,
) -> exp.Select:
    """SELECT <measure> FROM source <joins> WHERE <where>; joins and where are user SQL."""
    query = exp.select(measure).from_(table_ref(source))
    for join in joins:
        query = query.join(_parse_join(join.sql, dialect))
    if where:
        query = query.where(_parse_condition(where, dialect))
    return query


def _compare(what: str, source: exp.Select, target: exp.Select, tolerance: float) -> exp.Select:
    src, tgt = exp.column(f"source_{what}"), exp.column(f"target_{what}")
    zero = exp.Literal.number(0)
    src0, tgt0 = exp.func("coalesce", src, zero), exp.func("coalesce", tgt.copy(), zero)
    allowed = exp.Mul(this=exp.Literal.number(tolerance), expression=exp.Abs(this=src0.copy()))
    difference = exp.Sub(this=tgt0, expression=src0)
    figures = exp.select(
        exp.Subquery(this=source).as_(f"source_{what}"),
        exp.Subquery(this=target).as_(f"target_{what}"),
    )
    return (
        exp.select(src.copy(), tgt.copy(), difference.as_("difference"), allowed.as_("allowed"))
        .from_(exp.Subquery(this=figures, alias=exp.TableAlias(this=exp.to_identifier("figures"))))
        .where(exp.GT(this=exp.Abs(this=difference.copy()), expression=allowed.copy()))
    )


def _parse_condition(text: str, dialect: str) -> exp.Expr:
    try:
        return sqlglot.parse_one(text, dialect=dialect)
    except sqlglot.ParseError as err:
        raise ValueError(f"where={text!r} is not a valid SQL condition: {err}") from err


def _parse_join(text: str, dialect: str) -> exp.Join:
    # a join is only SQL inside a SELECT; the mapping reader already parsed it the same way
    select = sqlglot.parse_one(f"SELECT * FROM mapforge_driver {text}", dialect=dialect)
    return select.args["joins"][0]
