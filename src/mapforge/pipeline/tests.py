"""The data tests of one target: its key, plus what its mapping rows declare; and running them."""

from __future__ import annotations

import time
from datetime import datetime

from mapforge.engines.base import Engine
from mapforge.errors import MappingError
from mapforge.mapping.spec import Load, Origin, Target
from mapforge.pipeline.materialize.scd2 import VALID_FROM
from mapforge.pipeline.results import RunStatus, TargetResult, Timing, now
from mapforge.quality.checks import (
    Check,
    CheckSpecError,
    key_checks,
    parse_tests,
    run_checks,
    unique,
)
from mapforge.quality.context import JoinClause, TableContext


def target_checks(
    target: Target,
    *,
    reference_time: datetime | None = None,
    dialect: str = "duckdb",
    load: str | None = None,
    keys: bool = True,
) -> list[Check]:
    """Key not_null + unique, then every declared column and table test, without duplicates.

    `reference_time` is the moment freshness tests measure against (default: now, UTC).
    `load` is how the table was built (default: the mapping's); an scd2 table holds one row
    per version of a key, so its key is unique per (key, valid_from). `keys=False` leaves out
    the automatic key checks (a run that proved the key), so only the declared tests remain,
    including any that repeat a key check.
    """
    context = table_context(target, reference_time)
    checks: list[Check] = automatic_key_checks(target, dialect=dialect, load=load) if keys else []
    versioned = bool(target.key) and (load or target.load) == Load.SCD2
    for column in target.columns:
        for text in column.tests:
            checks += _parsed(text, target, column.name, column.origin, context, dialect)
    for text in target.tests:
        checks += _parsed(text, target, None, target.origin, context, dialect)
    if versioned:  # a declared unique on the bare key would fail on every second version
        plain = unique(target.name, target.key, dialect=dialect).name
        checks = [c for c in checks if c.name != plain]
    seen: set[tuple[str, str]] = set()
    return [c for c in checks if (c.name, c.sql) not in seen and not seen.add((c.name, c.sql))]  # type: ignore[func-returns-value]


def automatic_key_checks(
    target: Target, *, dialect: str = "duckdb", load: str | None = None, probe: bool = True
) -> list[Check]:
    """The checks every keyed target gets: not_null per key column, unique on the key
    (without their shared probe when the caller only names them, `probe=False`)."""
    if not target.key:
        return []
    versioned = (load or target.load) == Load.SCD2
    unique_on = [*target.key, VALID_FROM] if versioned else target.key
    return key_checks(target.name, target.key, unique_on=unique_on, dialect=dialect, probe=probe)


def table_context(target: Target, reference_time: datetime | None = None) -> TableContext:
    """What table-level tests need from the mapping, in quality's own (mapping-free) terms."""
    joins = tuple(JoinClause(j.table, j.text, j.alias) for j in target.joins)
    context = TableContext(driving_table=target.driving_table, filter=target.filter, joins=joins)
    if reference_time is not None:
        context = TableContext(context.driving_table, context.filter, joins, reference_time)
    return context


def run_target_tests(
    engine: Engine, target: Target, *, reference_time: datetime | None = None
) -> TargetResult:
    """Run one target's checks against the table as it is now; nothing is built."""
    clock, start = time.perf_counter(), now()
    result = TargetResult(target.name, RunStatus.SUCCESS)
    if not engine.table_exists(target.name):
        result.status, result.message = RunStatus.ERROR, "not built yet: run `mapforge run` first"
        return result
    result.rows = engine.row_count(target.name)
    checks = target_checks(target, reference_time=reference_time, dialect=engine.dialect)
    for outcome in run_checks(engine, checks):
        record(result, outcome.to_json())
    result.timing.append(Timing("test", start, now()))
    result.execution_time = time.perf_counter() - clock
    failed = [t["name"] for t in result.tests if t["status"] in ("fail", "error")]
    result.message = (
        f"tests failed: {', '.join(failed)}" if failed else f"{len(result.tests)} tests"
    )
    return result


def record(result: TargetResult, outcome: dict[str, object]) -> None:
    """Add one test outcome and let it lower the target's status (fail beats warn)."""
    result.tests.append(outcome)
    if outcome["status"] in ("fail", "error"):
        result.failures += max(int(outcome["failures"]), 1)  # type: ignore[call-overload]
        result.status = RunStatus.FAIL
    elif outcome["status"] == "warn" and result.status is RunStatus.SUCCESS:
        result.status = RunStatus.WARN


def _parsed(
    text: str,
    target: Target,
    column: str | None,
    origin: Origin | None,
    context: TableContext,
    dialect: str,
) -> list[Check]:
    try:
        return parse_tests(text, target.name, column, dialect=dialect, context=context)
    except CheckSpecError as err:
        # a bad test cell is the user's to fix: say which cell, not a traceback
        where = origin or Origin(file="mapping")
        raise MappingError(
            f"{target.name}: test {text!r}: {err.message}",
            file=where.file,
            sheet=where.sheet,
            row=where.row,
            column="tests",
            hint=err.hint,
        ) from None
