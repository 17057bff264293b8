"""Freshness: is the newest value of a timestamp column recent enough at a reference time?

dbt warns and errors at two ages; one Check carries one severity, so a test with both
thresholds becomes two checks on disjoint age bands — at most one of them fails.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlglot import exp

from mapforge.quality.builders import Check, Severity, column_ref, slug, table_ref

_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?", re.IGNORECASE)


def parse_interval(text: str) -> timedelta:
    """'1 day', '3 days', '12 hours', '30 minutes', '2 weeks' -> timedelta."""
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"cannot read the interval {text!r}")
    return timedelta(**{f"{match[2].lower()}s": float(match[1])})


def freshness(
    table: str,
    column: str,
    *,
    reference_time: datetime,
    warn_after: timedelta | None = None,
    error_after: timedelta | None = None,
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> list[Check]:
    """The checks for max(column) at reference_time; an empty table counts as stale.

    `severity="warn"` (the `warn:` prefix) turns the error band into a warning as well.
    """
    if warn_after is None and error_after is None:
        raise ValueError("freshness needs warn_after or error_after")
    reference = reference_time.replace(tzinfo=None)  # naive UTC: compares with TIMESTAMP columns
    checks: list[Check] = []
    if warn_after is not None:
        older = reference - error_after if error_after is not None else None
        query = _stale(table, column, reference, reference - warn_after, older)
        name = f"freshness_{slug(table)}_{slug(column)}" + ("__warn" if error_after else "")
        checks.append(Check(name, table, column, "freshness", "warn", query.sql(dialect=dialect)))
    if error_after is not None:
        query = _stale(table, column, reference, reference - error_after, None)
        name = f"freshness_{slug(table)}_{slug(column)}"
        checks.append(Check(name, table, column, "freshness", severity, query.sql(dialect=dialect)))
    return checks


def _stale(
    table: str, column: str, reference: datetime, cutoff: datetime, older: datetime | None
) -> exp.Select:
    """One row when the newest value is before `cutoff` (and not before `older`, if given)."""
    latest = exp.column("latest")
    newest = exp.select(exp.Max(this=column_ref(column)).as_("latest")).from_(table_ref(table))
    stale = exp.LT(this=latest, expression=_timestamp(cutoff))
    if older is None:
        condition: exp.Condition = exp.or_(latest.copy().is_(exp.null()), stale)
    else:  # the error check owns NULL and everything older
        condition = exp.and_(stale, exp.GTE(this=latest.copy(), expression=_timestamp(older)))
    return (
        exp.select(
            latest, _timestamp(reference).as_("reference_time"), _timestamp(cutoff).as_("cutoff")
        )
        .from_(exp.Subquery(this=newest, alias=exp.TableAlias(this=exp.to_identifier("newest"))))
        .where(condition)
    )


def _timestamp(moment: datetime) -> exp.Cast:
    return exp.cast(exp.Literal.string(moment.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
