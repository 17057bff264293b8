"""Quality checks: read a mapping's test text into a Check, run it, report the failing rows.

A test cell holds one of

    not_null | unique | unique(a, b) | accepted_values(a, b, 'c')
    relationships(table.column) | relationships(table, column) | expression(<sql>)
    reconcile_rows(...) | reconcile_sum(...) | freshness(...)    (see quality/table_tests.py)

optionally prefixed by `warn:` to make failures a warning instead of an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlglot
from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.errors import EngineError
from mapforge.quality.builders import (
    Check,
    Severity,
    accepted_values,
    expression,
    key_checks,
    key_fingerprint,
    not_null,
    relationships,
    unique,
)
from mapforge.quality.context import TableContext
from mapforge.quality.grammar import KNOWN_TESTS, CheckSpecError
from mapforge.quality.table_tests import TABLE_PARSERS

__all__ = [
    "Check",
    "CheckResult",
    "KNOWN_TESTS",
    "CheckSpecError",
    "CheckStatus",
    "Severity",
    "accepted_values",
    "expression",
    "key_checks",
    "key_fingerprint",
    "not_null",
    "parse_test",
    "parse_tests",
    "relationships",
    "run_check",
    "run_checks",
    "unique",
]

_TEST = re.compile(r"(\w+)\s*(?:\((.*)\))?", re.DOTALL)


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"


@dataclass
class CheckResult:
    check: Check
    failures: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    status: CheckStatus = CheckStatus.PASS
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The shape run_results.json keeps per test."""
        return {
            "name": self.check.name,
            "kind": self.check.kind,
            "column": self.check.column,
            "severity": self.check.severity,
            "status": str(self.status),
            "failures": self.failures,
            "message": self.message,
            "sample": self.sample,
        }


def parse_test(spec: str, table: str, column: str | None, *, dialect: str = "duckdb") -> Check:
    """The first Check a mapping's test text describes (freshness may describe two)."""
    return parse_tests(spec, table, column, dialect=dialect)[0]


def parse_tests(
    spec: str,
    table: str,
    column: str | None,
    *,
    dialect: str = "duckdb",
    context: TableContext | None = None,
) -> list[Check]:
    """Every Check a mapping's test text describes, on `table` (and `column`, if a column test).

    `context` gives table-level tests the target's driving table, filter, joins and the
    reference time; without one they see no filter and measure freshness against now.
    """
    text = spec.strip()
    severity: Severity = "error"
    if text.lower().startswith("warn:"):
        severity, text = "warn", text[len("warn:") :].strip()
    match = _TEST.fullmatch(text)
    kind = match[1].lower() if match else ""
    args = (match[2] or "").strip() if match else ""
    if kind in TABLE_PARSERS:
        return TABLE_PARSERS[kind](
            args, table, column, severity, dialect, context or TableContext()
        )
    if kind not in _PARSERS:
        raise CheckSpecError(f"unknown test {spec.strip()!r}")
    return [_PARSERS[kind](args, table, column, severity, dialect)]


def run_check(engine: Engine, check: Check, sample_limit: int = 5) -> CheckResult:
    """Count the failing rows and fetch a few; a check whose SQL fails gets status error."""
    return run_checks(engine, [check], sample_limit)[0]


def run_checks(engine: Engine, checks: list[Check], sample_limit: int = 5) -> list[CheckResult]:
    """run_check for each check, running a probe shared by several checks only once."""
    probed: dict[str, bool] = {}
    results = []
    for check in checks:
        if check.probe is not None and check.probe not in probed:
            probed[check.probe] = _probe_passes(engine, check.probe)
        if check.probe is not None and probed[check.probe]:
            results.append(CheckResult(check, 0, [], CheckStatus.PASS, "no failing rows"))
        else:
            results.append(_run_exact(engine, check, sample_limit))
    return results


def _probe_passes(engine: Engine, probe: str) -> bool:
    try:
        rows = engine.query(probe).rows
    except EngineError:
        return False  # the exact query runs, and reports the error if it has one too
    return bool(rows) and rows[0][0] == 0


def _run_exact(engine: Engine, check: Check, sample_limit: int) -> CheckResult:
    failing = f"(\n{check.sql.strip().rstrip(';')}\n) as failures"  # newline ends a `--` comment
    try:
        failures = int(engine.query(f"select count(*) from {failing}").rows[0][0])
        sample = (
            engine.query(f"select * from {failing} limit {int(sample_limit)}") if failures else None
        )
    except EngineError as err:
        return CheckResult(check, 0, [], CheckStatus.ERROR, err.message)
    rows = [dict(zip(sample.columns, row, strict=True)) for row in sample.rows] if sample else []
    if failures == 0:
        return CheckResult(check, 0, [], CheckStatus.PASS, "no failing rows")
    status = CheckStatus.WARN if check.severity == "warn" else CheckStatus.FAIL
    return CheckResult(check, failures, rows, status, f"{failures} failing row(s)")


# -- one parser per test kind -----------------------------------------------------------------

_Parser = Callable[[str, str, str | None, Severity, str], Check]


def _not_null(args: str, table: str, column: str | None, sev: Severity, dialect: str) -> Check:
    return not_null(table, _column(args or column, "not_null"), severity=sev, dialect=dialect)


def _unique(args: str, table: str, column: str | None, sev: Severity, dialect: str) -> Check:
    columns = _names(args) if args else [_column(column, "unique")]
    return unique(table, columns, severity=sev, dialect=dialect)


def _accepted(args: str, table: str, column: str | None, sev: Severity, dialect: str) -> Check:
    values = _values(args, dialect)
    if not values:
        raise CheckSpecError(
            "accepted_values needs at least one value", "accepted_values(a, 'b c')"
        )
    col = _column(column, "accepted_values")
    return accepted_values(table, col, values, severity=sev, dialect=dialect)


def _relationships(args: str, table: str, column: str | None, sev: Severity, dialect: str) -> Check:
    names = _names(args)
    if len(names) == 1 and "." in names[0]:
        names = names[0].rsplit(".", 1)
    if len(names) != 2 or not all(names):
        raise CheckSpecError(
            f"relationships({args}) needs a table and a column",
            "relationships(customers.id) or relationships(customers, id)",
        )
    col = _column(column, "relationships")
    return relationships(table, col, names[0], names[1], severity=sev, dialect=dialect)


def _expression(args: str, table: str, column: str | None, sev: Severity, dialect: str) -> Check:
    if not args:
        raise CheckSpecError("expression needs a condition", "expression(amount >= 0)")
    try:
        return expression(table, args, column=column, severity=sev, dialect=dialect)
    except ValueError as err:
        raise CheckSpecError(
            str(err), "write a SQL condition, e.g. expression(amount >= 0)"
        ) from err


_PARSERS: dict[str, _Parser] = {
    "not_null": _not_null,
    "unique": _unique,
    "accepted_values": _accepted,
    "relationships": _relationships,
    "expression": _expression,
}


def _column(column: str | None, kind: str) -> str:
    if not column:
        raise CheckSpecError(
            f"{kind} is a column test but no column was given",
            f"put it on a column row, or name the column: {kind}(column)",
        )
    return column


def _names(args: str) -> list[str]:
    """Comma-separated identifiers, with any "double" or `back` quotes removed."""
    return [part.strip().strip('"`') for part in args.split(",")]


def _values(args: str, dialect: str) -> list[str]:
    """Values of accepted_values as strings: 'quoted', "quoted", bare words and numbers.

    Strings compare correctly with number, date and text columns alike (the database casts
    the literal), where a bare number would make DuckDB cast a text column and fail.
    """
    try:
        parsed = sqlglot.parse_one(f"x IN ({args})", dialect=dialect)
    except sqlglot.ParseError as err:
        raise CheckSpecError(
            f"cannot read the values of accepted_values({args})",
            "separate values by commas and quote any with spaces: accepted_values(a, 'b c')",
        ) from err
    items = parsed.expressions if isinstance(parsed, exp.In) else []
    return [_value(item, dialect) for item in items if not isinstance(item, exp.Null)]


def _value(item: exp.Expression, dialect: str) -> str:
    if isinstance(item, exp.Literal | exp.Column):
        return item.name
    return item.sql(dialect=dialect)  # e.g. -3
