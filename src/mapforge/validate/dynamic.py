"""Dynamic validation: run the statement on a sample of its sources and check the output.

EXPLAIN (MF501) runs first, in the planner. `sample_check` then builds a bounded,
deterministic sample (see validate.sample), runs the SQL inside `engine.sandbox(...)` — temp
shadows in a rolled-back transaction, so real tables are never modified — and checks the
output (validate.sample_checks): key unique and not null, NOT NULL columns filled, and, when
the caller passes the mapping's own query for the key and the structured columns
(`expected_sql`), the row count of the grain and the values of those columns.

The statement's output (and the mapping's query's) is kept with `engine.stage(...)`: a TEMP
table in the sandbox's transaction on DuckDB and PostgreSQL, an eagerly cached TEMP view on
Spark. Staging runs the statement once, so a runtime error (a failing cast, also Spark's ANSI
casts) surfaces there. The check queries are built with sqlglot for `engine.dialect`, so every
engine with `sandbox` and `stage` runs the sample checks; any other gets EXPLAIN only.

A statement that does not finish within `timeout_s` is interrupted (engines exposing
`interrupt()`; others are not bounded) and reported as MF509.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlglot import exp

from mapforge.catalog.model import Catalog, Table
from mapforge.engines.base import Engine
from mapforge.errors import EngineError
from mapforge.mapping.spec import Target
from mapforge.validate.findings import Finding, Severity
from mapforge.validate.reads import tables_read
from mapforge.validate.sample import shadows
from mapforge.validate.sample_checks import (
    EXPECTED,
    OUT,
    Output,
    expected_findings,
    output_findings,
)

# DuckDB's, PostgreSQL's and Spark's words for a value that does not convert or does not fit
_CAST_ERRORS = (
    "conversion error",
    "could not convert",
    "out of range",
    "invalid input",
    "cannot cast",
    "invalid_cast",
    "cannot be cast",  # Spark: [CAST_INVALID_INPUT] The value 'x' ... cannot be cast to ...
    "cast_invalid_input",
    "cast_overflow",
    "numeric_value_out_of_range",
    "numeric field overflow",
)


def sample_check(
    engine: Engine,
    sql: str,
    target: Target,
    catalog: Catalog,
    *,
    expected_sql: str | None = None,
    rows_per_source: int = 500,
    timeout_s: float = 10.0,
) -> list[Finding]:
    """Findings from running `sql` (and `expected_sql`) on a sample of the sources."""
    if not can_sample(engine):
        return []  # no sandbox to run in, or nowhere to keep the output: EXPLAIN only
    read = tables_read(sql, engine.dialect) | tables_read(expected_sql, engine.dialect)
    shadow = shadows(
        target,
        catalog,
        sorted(read),
        rows=rows_per_source,
        usable=_usable(engine),
        dialect=engine.dialect,
    )
    with _deadline(engine, timeout_s) as expired:
        try:
            with engine.sandbox(shadow):
                return _run(engine, sql, target, catalog, expected_sql, expired)
        except EngineError as exc:
            # the sample itself could not be built: say so, but do not blame the SQL
            return [
                _finding(
                    "MF510",
                    target,
                    f"no sample run: {exc.message}",
                    "the dynamic checks were skipped",
                    Severity.INFO,
                )
            ]


def can_sample(engine: object) -> bool:
    """Whether `engine` can run sample checks: it has `sandbox` and `stage`."""
    return callable(getattr(engine, "sandbox", None)) and callable(getattr(engine, "stage", None))


def _run(
    engine: Engine,
    sql: str,
    target: Target,
    catalog: Catalog,
    expected_sql: str | None,
    expired: threading.Event,
) -> list[Finding]:
    try:
        engine.stage(OUT, _strip(sql))
    except EngineError as exc:
        return [_failure(exc, target, expired)]
    driving = catalog.table(target.driving_table) if target.driving_table else None
    output = Output(engine, target, driving.name if driving else None)
    try:
        findings = output_findings(output)
        # last: a failing statement aborts the sandbox's transaction (DuckDB, PostgreSQL)
        if expected_sql is not None and _try(
            engine, EXPECTED, f"SELECT DISTINCT * FROM (\n{_strip(expected_sql)}\n) AS e"
        ):
            findings += expected_findings(output)
    except EngineError as exc:
        if expired.is_set():
            return [_failure(exc, target, expired)]
        raise  # a check query that fails is mapforge's bug
    return findings


def _try(engine: Engine, name: str, select_sql: str) -> bool:
    """Stage `select_sql` as `name`; False when it fails (the mapping's query may not bind)."""
    try:
        engine.stage(name, select_sql)
    except EngineError:
        return False
    return True


def _failure(exc: EngineError, target: Target, expired: threading.Event) -> Finding:
    # the finding is about this statement already: drop the engine's "[sql: ...]" suffix
    message = exc.message.rsplit(" [sql: ", 1)[0]
    message = message if len(message) <= 300 else message[:297] + "..."
    if expired.is_set():
        return _finding(
            "MF509",
            target,
            "the statement did not finish on the sample within its time budget",
            "look for a join without a condition, or a join on a non-key column",
        )
    if any(word in exc.message.lower() for word in _CAST_ERRORS):
        return _finding(
            "MF505",
            target,
            message,
            "a value of the sample does not convert: use TRY_CAST, or clean the value first",
        )
    return _finding("MF508", target, message, "the statement fails when it runs on sample rows")


def _finding(
    code: str, target: Target, message: str, hint: str, severity: Severity = Severity.ERROR
) -> Finding:
    return Finding(code=code, severity=severity, target=target.name, message=message, hint=hint)


def _usable(engine: Engine) -> Callable[[Table], bool]:
    """A table can be sampled: a source, or an upstream target built with its contract's columns."""

    def usable(table: Table) -> bool:
        if table.kind != "target":
            return True
        if not engine.table_exists(table.name):
            return False
        ref = exp.to_identifier(table.name, quoted=True).sql(dialect=engine.dialect)
        built = {c.lower() for c in engine.query(f"SELECT * FROM {ref} WHERE 1 = 0").columns}
        return {c.name.lower() for c in table.columns} <= built

    return usable


@contextmanager
def _deadline(engine: Engine, timeout_s: float) -> Iterator[threading.Event]:
    """Interrupt the engine after `timeout_s`; the event tells whether that happened."""
    expired = threading.Event()
    interrupt = getattr(engine, "interrupt", None)

    def fire() -> None:
        expired.set()
        interrupt()  # type: ignore[misc]

    timer = threading.Timer(timeout_s, fire) if interrupt is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield expired
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()


def _strip(sql: str) -> str:
    return sql.strip().rstrip(";").rstrip()
