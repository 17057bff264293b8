"""The SQL of each kind of data-quality check: a SELECT returning the failing rows (dbt's idiom).

Every identifier goes through sqlglot.exp with quoted=True, so a column named `order` or
`Unit Price` cannot break, or inject into, the generated SQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlglot
from sqlglot import exp

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class Check:
    """One check on one target; `sql` selects the rows that fail it.

    `probe`, when set, is a cheaper query returning one number: 0 proves the check passes, so
    `sql` (and its sample) need not run; anything else means "run `sql` to know". Checks that
    share a probe (a key's not_null and unique) let a batch run it once (checks.run_checks).
    """

    name: str
    target: str
    column: str | None
    kind: str
    severity: Severity
    sql: str
    probe: str | None = None


def not_null(
    table: str, column: str, *, severity: Severity = "error", dialect: str = "duckdb"
) -> Check:
    """Rows where `column` is NULL."""
    query = _select_rows(table).where(column_ref(column).is_(exp.null()))
    return _check("not_null", table, column, severity, query, dialect)


def unique(
    table: str, columns: list[str], *, severity: Severity = "error", dialect: str = "duckdb"
) -> Check:
    """Key values that occur more than once, with their count in `n_records`.

    Rows with a NULL in any key column are skipped, as a SQL UNIQUE constraint does;
    not_null is the check for those.
    """
    if not columns:
        raise ValueError("unique needs at least one column")
    keys = [column_ref(c) for c in columns]
    count = exp.Count(this=exp.Star())
    query = (
        exp.select(*keys, count.as_("n_records"))
        .from_(table_ref(table))
        .where(exp.and_(*[k.copy().is_(exp.null()).not_() for k in keys]))
        .group_by(*[k.copy() for k in keys])
        .having(count.copy() > 1)
    )
    column = columns[0] if len(columns) == 1 else None
    name = f"unique_{slug(table)}_{'_'.join(slug(c) for c in columns)}"
    return Check(name, table, column, "unique", severity, query.sql(dialect=dialect))


def key_checks(
    table: str,
    key: Sequence[str],
    *,
    unique_on: Sequence[str] | None = None,
    dialect: str = "duckdb",
    probe: bool = True,
) -> list[Check]:
    """not_null on each key column and unique on the key (or `unique_on`), sharing one probe.

    The probe reads the table once: rows with a null key column, plus non-null rows minus
    their distinct keys. It is 0 only when both checks pass, which is the common case, so a
    passing key costs one scan instead of one per column plus a GROUP BY of the whole table.
    `probe=False` leaves it out, for a caller that reports the checks without running them.
    """
    unique_on = list(unique_on or key)
    shared = _key_probe(table, list(key), unique_on, dialect) if probe else None
    checks = [not_null(table, c, dialect=dialect) for c in key]
    checks.append(unique(table, unique_on, dialect=dialect))
    return [replace(c, probe=shared) for c in checks]


def _key_probe(table: str, key: list[str], unique_on: list[str], dialect: str) -> str | None:
    failing = _key_failing(key, unique_on, dialect)
    if failing is None:
        return None  # the exact checks run, one query each
    return exp.select(failing).from_(table_ref(table)).sql(dialect=dialect)


def _key_failing(key: list[str], unique_on: list[str], dialect: str) -> exp.Expr | None:
    """Rows with a null key column, plus non-null rows minus their distinct keys: 0 = pass."""
    nulls = exp.Count(this=exp.Star())
    nulls_in_key = exp.Filter(
        this=nulls,
        expression=exp.Where(this=exp.or_(*(column_ref(c).is_(exp.null()) for c in key))),
    )
    if len(unique_on) == 1:
        # count(k) and count(DISTINCT k) both skip nulls, as unique does
        rows: exp.Expression = exp.Count(this=column_ref(unique_on[0]))
        distinct: exp.Expression = exp.Count(
            this=exp.Distinct(expressions=[column_ref(unique_on[0])])
        )
    elif dialect == "duckdb":
        # Equal keys have equal hashes, so as many distinct hashes as rows proves uniqueness;
        # a collision only makes the probe non-zero, and the exact GROUP BY then decides.
        # One 64-bit value aggregates faster than a tuple of the key columns.
        complete = exp.Where(
            this=exp.and_(*(column_ref(c).is_(exp.null()).not_() for c in unique_on))
        )
        hashed = exp.func("hash", *(column_ref(c) for c in unique_on))
        rows = exp.Filter(this=exp.Count(this=exp.Star()), expression=complete)
        distinct = exp.Filter(
            this=exp.Count(this=exp.Distinct(expressions=[hashed])), expression=complete.copy()
        )
    else:
        return None
    return exp.Add(this=nulls_in_key, expression=exp.Sub(this=rows, expression=distinct))


def key_summary(table: str, key: Sequence[str], *, dialect: str = "duckdb") -> str | None:
    """One row, one scan: row count, the key probe (0 = not null and unique), the key hash XOR.

    What an increment's stage needs before an apply (materialize/keys.py): whether its keys
    may be merged, how many rows it holds, and its part of the table's next fingerprint.
    None where there is no key hash (see key_fingerprint); callers then run the exact checks.
    """
    aggregates = key_hash_xor(key, dialect=dialect)
    failing = _key_failing(list(key), list(key), dialect)
    if aggregates is None or failing is None:
        return None
    count, xor = aggregates
    return exp.select(count, failing, xor).from_(table_ref(table)).sql(dialect=dialect)


def key_fingerprint(table: str, key: Sequence[str], *, dialect: str = "duckdb") -> str | None:
    """One row: the row count and the XOR of a 64-bit hash of each row's key, or None.

    Key uniqueness and not-null depend only on the multiset of key values. A fingerprint is
    only ever recorded for a table whose key was verified unique (or proved so). Against such
    a table M, take a table M' with the same count and the same XOR: M' is M minus some rows
    R (distinct keys, as M's are) plus some rows A, |A| = |R|. Pairs of equal keys cancel in
    an XOR, so the XORs agree only if the keys left with an odd count in R + A hash to an
    XOR of zero; if M' differs from M that set is not empty (were every count even, A would
    hold each key of R an odd number of times and nothing else, so A = R). For a hash that
    behaves as random, zero XOR of a given non-empty set is a 2^-64 event: a collision. (Unlike
    a sum, an XOR also undoes itself exactly, which proof.shifted relies on.)

    It is a streaming aggregate, one scan of the key columns without the hash table the key
    probe needs (DuckDB, 10M rows: 0.012 s for one key column, 0.018 s for two, against
    0.024 s for a HUGEINT sum and 0.9 s for the probe). Comparable only within one DuckDB
    version, as hash() is not stable across releases. None where no such hash is written
    yet (the caller then runs the full key checks every time).
    """
    aggregates = key_hash_xor(key, dialect=dialect)
    if aggregates is None:
        return None
    return exp.select(*aggregates).from_(table_ref(table)).sql(dialect=dialect)


def key_hash(key: Sequence[str], *, dialect: str = "duckdb") -> exp.Expr | None:
    """The 64-bit hash of one row's key that fingerprints XOR, or None (see key_fingerprint).

    A composite key is hashed twice: DuckDB's hash(a, b) combines the columns' hashes so
    that the XOR over a grid of keys cancels (every line 0-3 of two orders XORs to zero),
    which would let a table with duplicates keep a verified table's fingerprint. The outer
    hash of the combined value breaks that structure (+0.003 s at 10M rows).
    """
    if dialect != "duckdb" or not key:
        return None
    hashed = exp.func("hash", *(column_ref(c) for c in key))
    return hashed if len(key) == 1 else exp.func("hash", hashed)


def key_hash_xor(
    key: Sequence[str], *, dialect: str = "duckdb", of: exp.Expr | None = None
) -> tuple[exp.Expr, exp.Expr] | None:
    """COUNT(*) and the XOR of `of` (default: the key's hash): a fingerprint's two parts."""
    hashed = of if of is not None else key_hash(key, dialect=dialect)
    if hashed is None:
        return None
    total = exp.func("coalesce", exp.func("bit_xor", hashed), exp.Literal.number(0))
    return exp.Count(this=exp.Star()), total


def accepted_values(
    table: str,
    column: str,
    values: list[Any],
    *,
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> Check:
    """Non-null rows whose `column` is not one of `values`."""
    if not values:
        raise ValueError("accepted_values needs at least one value")
    allowed = [exp.convert(v) for v in values]
    condition = exp.and_(
        column_ref(column).is_(exp.null()).not_(), column_ref(column).isin(*allowed).not_()
    )
    query = _select_rows(table).where(condition)
    return _check("accepted_values", table, column, severity, query, dialect)


def relationships(
    table: str,
    column: str,
    to_table: str,
    to_column: str,
    *,
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> Check:
    """Rows whose non-null `column` has no match in `to_table.to_column` (orphans)."""
    child = column_ref(column, "child")
    parent = column_ref(to_column, "parent")
    query = (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("child", quoted=True)))
        .from_(table_ref(table).as_("child", quoted=True))
        .join(
            table_ref(to_table).as_("parent", quoted=True),
            on=exp.EQ(this=child, expression=parent),
            join_type="left",
        )
        .where(exp.and_(child.copy().is_(exp.null()).not_(), parent.copy().is_(exp.null())))
    )
    name = f"relationships_{slug(table)}_{slug(column)}__{slug(to_table)}_{slug(to_column)}"
    return Check(name, table, column, "relationships", severity, query.sql(dialect=dialect))


def expression(
    table: str,
    expr: str,
    *,
    column: str | None = None,
    severity: Severity = "error",
    dialect: str = "duckdb",
) -> Check:
    """Rows where NOT (expr); as in dbt, a row where `expr` is NULL does not fail."""
    try:
        condition = sqlglot.parse_one(expr, dialect=dialect)
    except sqlglot.ParseError as err:
        raise ValueError(f"expression({expr}) is not valid SQL: {err}") from err
    query = _select_rows(table).where(exp.Not(this=exp.Paren(this=condition)))
    digest = hashlib.sha256(expr.encode()).hexdigest()[:8]
    name = f"expression_{slug(table)}_{digest}"
    return Check(name, table, column, "expression", severity, query.sql(dialect=dialect))


def _check(
    kind: str, table: str, column: str, severity: Severity, query: exp.Select, dialect: str
) -> Check:
    name = f"{kind}_{slug(table)}_{slug(column)}"
    return Check(name, table, column, kind, severity, query.sql(dialect=dialect))


def _select_rows(table: str) -> exp.Select:
    return exp.select(exp.Star()).from_(table_ref(table))


def table_ref(name: str) -> exp.Table:
    """`orders`, `main.orders` or `db.main.orders`, each part quoted."""
    parts = name.split(".")
    return exp.table_(
        parts[-1],
        db=parts[-2] if len(parts) > 1 else None,
        catalog=parts[-3] if len(parts) > 2 else None,
        quoted=True,
    )


def column_ref(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower())
