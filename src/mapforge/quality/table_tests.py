"""Parsers for the tests that compare a target with its sources or the clock:

    reconcile_rows(<source>[, tolerance=0.01][, where="<sql>"])
    reconcile_sum(<column>, <source_table>.<source_column>[, tolerance=0.01][, where="<sql>"])
    freshness([<table>.]<column>, warn_after='1 day', error_after='3 days')

A reconciliation against the target's driving table applies the target's filter (and the
joins that filter reads) unless `where=` says otherwise; `where=""` compares unfiltered.
Tolerance is a fraction of the source figure (`0.01` or `1%`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from mapforge.quality.builders import Check, Severity
from mapforge.quality.context import JoinClause, TableContext
from mapforge.quality.freshness import freshness, parse_interval
from mapforge.quality.grammar import CheckSpecError, split_args
from mapforge.quality.reconcile import reconcile_rows, reconcile_sum

TableParser = Callable[[str, str, str | None, Severity, str, TableContext], list[Check]]


def _reconcile_rows(
    args: str, table: str, column: str | None, sev: Severity, dialect: str, ctx: TableContext
) -> list[Check]:
    positional, options = split_args(args)
    _known(options, {"tolerance", "where"}, "reconcile_rows")
    if len(positional) != 1:
        raise CheckSpecError(
            f"reconcile_rows({args}) needs one source table",
            "reconcile_rows(orders, tolerance=0.01)",
        )
    source, tolerance = positional[0], _tolerance(options)
    where, joins = _scope(source, options, ctx, dialect)
    return _built(
        lambda: reconcile_rows(
            table,
            source,
            tolerance=tolerance,
            where=where,
            joins=joins,
            severity=sev,
            dialect=dialect,
        )
    )


def _reconcile_sum(
    args: str, table: str, column: str | None, sev: Severity, dialect: str, ctx: TableContext
) -> list[Check]:
    positional, options = split_args(args)
    _known(options, {"tolerance", "where"}, "reconcile_sum")
    if len(positional) == 1 and column:
        positional = [column, *positional]  # written on the measure's own row
    if len(positional) != 2 or "." not in positional[1]:
        raise CheckSpecError(
            f"reconcile_sum({args}) needs a target column and a source table.column",
            "reconcile_sum(amount, orders.amount, tolerance=0.001)",
        )
    source, source_column = positional[1].rsplit(".", 1)
    tolerance = _tolerance(options)
    where, joins = _scope(source, options, ctx, dialect)
    return _built(
        lambda: reconcile_sum(
            table,
            positional[0],
            source,
            source_column,
            tolerance=tolerance,
            where=where,
            joins=joins,
            severity=sev,
            dialect=dialect,
        )
    )


def _freshness(
    args: str, table: str, column: str | None, sev: Severity, dialect: str, ctx: TableContext
) -> list[Check]:
    positional, options = split_args(args)
    _known(options, {"warn_after", "error_after"}, "freshness")
    example = "freshness(loaded_at, warn_after='1 day', error_after='3 days')"
    name = positional[0] if len(positional) == 1 else column if not positional else None
    if not name or not (options.keys() & {"warn_after", "error_after"}):
        raise CheckSpecError(
            f"freshness({args}) needs a column and warn_after or error_after", example
        )
    on_table, _, on_column = name.rpartition(".")
    try:
        warn, error = (
            parse_interval(options[k]) if k in options else None
            for k in ("warn_after", "error_after")
        )
    except ValueError as err:
        raise CheckSpecError(
            str(err), "write an interval like '30 minutes', '12 hours', '3 days'"
        ) from err
    return freshness(
        on_table or table,
        on_column,
        reference_time=ctx.reference_time,
        warn_after=warn,
        error_after=error,
        severity=sev,
        dialect=dialect,
    )


TABLE_PARSERS: dict[str, TableParser] = {
    "reconcile_rows": _reconcile_rows,
    "reconcile_sum": _reconcile_sum,
    "freshness": _freshness,
}


def _scope(
    source: str, options: dict[str, str], ctx: TableContext, dialect: str
) -> tuple[str | None, tuple[JoinClause, ...]]:
    """The WHERE and joins the source side is read with: explicit where=, else the target's."""
    where = (
        options["where"] if "where" in options else ctx.filter if ctx.is_driving(source) else None
    )
    if not where:
        return None, ()
    try:
        condition = sqlglot.parse_one(where, dialect=dialect)
    except sqlglot.ParseError as err:
        raise CheckSpecError(
            f"where={where!r} is not a valid SQL condition: {err}", "where=\"status <> 'returned'\""
        ) from err
    # only the joins the condition reads: a join that drops or repeats rows must show up
    read = {col.table.lower() for col in condition.find_all(exp.Column) if col.table}
    return where, tuple(j for j in ctx.joins if j.names() & read)


def _tolerance(options: dict[str, str]) -> float:
    text = options.get("tolerance", "0").strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise CheckSpecError(
            f"tolerance={text!r} is not a fraction", "tolerance=0.01 or tolerance=1%"
        )
    return value


def _known(options: dict[str, str], allowed: set[str], kind: str) -> None:
    unknown = sorted(options.keys() - allowed)
    if unknown:
        raise CheckSpecError(
            f"{kind} has no option {unknown[0]!r}", f"options: {', '.join(sorted(allowed))}"
        )


def _built(build: Callable[[], Check]) -> list[Check]:
    try:
        return [build()]
    except ValueError as err:  # an unreadable where= condition
        raise CheckSpecError(
            str(err), "write a SQL condition, e.g. where=\"status <> 'returned'\""
        ) from err
