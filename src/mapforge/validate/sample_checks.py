"""Checks on a sample run's output, read from the temp tables `dynamic.sample_check` made.

`OUT` holds the statement's output on the sample. `EXPECTED` (when the mapping's own query
for the key and the structured columns ran) holds that query's distinct rows on the same
sample: the grain is its number of distinct key values, and each structured column must
agree with it key by key. Free-text columns have no oracle: only their nulls are checked.

Check queries are written for DuckDB and transpiled by sqlglot for other engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.findings import Finding, Severity

OUT = "__mapforge_sample_out"
EXPECTED = "__mapforge_sample_expected"
_VOLATILE = re.compile(r"\b(random|uuid|gen_random_uuid|nextval|setseed)\s*\(", re.IGNORECASE)
_FLOATS = ("FLOAT", "DOUBLE", "REAL")
# order matters: INTERVAL before INT, TIMESTAMP/DATE/TIME before the rest
_FAMILIES = (
    ("interval", ("INTERVAL",)),
    ("time", ("TIMESTAMP", "DATE", "TIME")),
    ("boolean", ("BOOL",)),
    ("text", ("CHAR", "TEXT", "STRING", "UUID")),
    ("number", ("INT", "DECIMAL", "NUMERIC", "FLOAT", "DOUBLE", "REAL")),
)


@dataclass(frozen=True)
class Output:
    engine: Engine
    target: Target
    driving: str | None  # the driving table's name (its shadow is the driving sample)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.engine.dialect != "duckdb":
            sql = sqlglot.transpile(sql, read="duckdb", write=self.engine.dialect)[0]
        return self.engine.query(sql).rows

    def one(self, sql: str) -> tuple[Any, ...]:
        return self.rows(sql)[0]

    def q(self, name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")

    def key_refs(self, alias: str | None = None) -> list[str]:
        prefix = f"{alias}." if alias else ""
        return [prefix + self.q(k) for k in self.target.key]

    def finding(self, code: str, message: str, hint: str, column: str | None = None) -> Finding:
        return Finding(
            code=code,
            severity=Severity.ERROR,
            target=self.target.name,
            column=column,
            message=message,
            hint=hint,
        )


def output_findings(out: Output) -> list[Finding]:
    """Null keys, duplicate keys and nulls in NOT NULL columns of the output."""
    return _types(out) + _null_keys(out) + _duplicate_keys(out) + _not_null_columns(out)


def expected_findings(out: Output) -> list[Finding]:
    """Row count against the grain, and structured columns against their rule."""
    if not out.target.key:
        return []
    return _grain(out) + _values(out)


def _types(out: Output) -> list[Finding]:
    """Each output column in the target type's family (number, text, time, boolean)."""
    sql = (
        f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{OUT}'"
    )
    built = {name.lower(): kind for name, kind in out.rows(sql)}
    findings = []
    for col in out.target.columns:
        got, want = _family(built.get(col.name.lower(), "")), _family(col.type)
        if got and want and got != want:
            message = (
                f"the column comes out as {built[col.name.lower()]}, a {got} type; "
                f"the target says {col.type} ({want})"
            )
            findings.append(
                out.finding("MF511", message, f"cast the expression to {col.type}", col.name)
            )
    return findings


def _family(type_name: str) -> str | None:
    name = type_name.upper()
    for family, words in _FAMILIES:
        if any(word in name for word in words):
            return family
    return None  # lists, structs, JSON...: not compared


def _null_keys(out: Output) -> list[Finding]:
    if not out.target.key:
        return []
    (count,) = out.one(
        f"SELECT count(*) FROM {OUT} WHERE {' OR '.join(k + ' IS NULL' for k in out.key_refs())}"
    )
    if not count:
        return []
    return [
        out.finding(
            "MF503",
            f"{count} output rows on the sample have a NULL in the key "
            f"({', '.join(out.target.key)})",
            "the key comes from a LEFT JOIN's missing side, or from a column that may be NULL",
            out.target.key[0],
        )
    ]


def _duplicate_keys(out: Output) -> list[Finding]:
    if not out.target.key:
        return []
    keys = ", ".join(out.key_refs())
    not_null = " AND ".join(k + " IS NOT NULL" for k in out.key_refs())
    groups = (
        f"SELECT {keys}, count(*) AS n FROM {OUT} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1"
    )
    dupes, worst = out.one(f"SELECT count(*), max(n) FROM ({groups}) AS d")
    if not dupes:
        return []
    example = out.one(f"{groups} ORDER BY n DESC, {keys} LIMIT 1")[:-1]
    return [
        out.finding(
            "MF502",
            f"{dupes} key values occur more than once on the sample (up to {worst} times), "
            f"e.g. {_show(out.target.key, example)}",
            "a join fans out: join on the full key of the joined table, "
            "or aggregate to the target's grain",
            out.target.key[0],
        )
    ]


def _not_null_columns(out: Output) -> list[Finding]:
    columns = [c for c in out.target.columns if not c.nullable and not c.key]
    if not columns:
        return []
    counts = out.one(
        "SELECT "
        + ", ".join(f"count(*) - count({out.q(c.name)})" for c in columns)
        + f" FROM {OUT}"
    )
    return [
        out.finding(
            "MF504",
            f"{n} output rows on the sample are NULL in a NOT NULL column",
            "coalesce the value, or fix the join that leaves it empty",
            c.name,
        )
        for c, n in zip(columns, counts, strict=True)
        if n
    ]


def _grain(out: Output) -> list[Finding]:
    keys = ", ".join(out.key_refs())
    (got,) = out.one(f"SELECT count(*) FROM {OUT}")
    (want,) = out.one(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {EXPECTED}) AS g")
    if got == want:
        return []
    driving = (
        f" from {_count(out, out.q(out.driving))} sampled {out.driving} rows"
        if out.driving
        else ""
    )
    hint = (
        "rows multiply or survive that should not: a join without its full condition, "
        "or the mapping's filter missing"
        if got > want
        else "rows are lost: an INNER JOIN where the mapping means a lookup (LEFT JOIN), "
        "or a filter the mapping does not declare"
    )
    message = (
        f"the SQL returns {got} rows{driving}; the mapping's grain "
        f"(distinct {', '.join(out.target.key)} after its joins and filter) gives {want}"
    )
    return [out.finding("MF506", message, hint)]


def _values(out: Output) -> list[Finding]:
    unique_keys = out.one(
        f"SELECT count(*) = count(DISTINCT ({', '.join(out.key_refs())})) FROM {EXPECTED}"
    )[0]
    columns = _comparable(out)
    if not unique_keys or not columns:
        return []  # the structured columns do not fix one value per key: nothing to compare
    join = " AND ".join(
        f"o.{k} IS NOT DISTINCT FROM e.{k}" for k in (out.q(k) for k in out.target.key)
    )
    body = f"FROM {OUT} AS o JOIN {EXPECTED} AS e ON {join}"
    counts = out.one(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {_differs(out, c)})" for c in columns)
        + f" {body}"
    )
    return [_mismatch(out, c, n, body) for c, n in zip(columns, counts, strict=True) if n]


def _comparable(out: Output) -> list[ColumnMapping]:
    expected = {
        name.lower() for name in out.engine.query(f"SELECT * FROM {EXPECTED} WHERE 1 = 0").columns
    }
    return [
        c
        for c in out.target.columns
        if not c.key
        and c.name.lower() in expected
        and c.rule.structured
        and not _VOLATILE.search(c.rule.text)
    ]


def _differs(out: Output, col: ColumnMapping) -> str:
    name = out.q(col.name)
    mine, theirs = f"TRY_CAST(o.{name} AS {col.type})", f"TRY_CAST(e.{name} AS {col.type})"
    if any(word in col.type.upper() for word in _FLOATS):
        # float sums depend on the order of addition: compare with a relative tolerance
        close = f"abs({mine} - {theirs}) <= 1e-9 * greatest(1, abs({theirs}))"
        return f"({mine} IS NULL) <> ({theirs} IS NULL) OR NOT coalesce({close}, true)"
    return f"{mine} IS DISTINCT FROM {theirs}"


def _mismatch(out: Output, col: ColumnMapping, count: int, body: str) -> Finding:
    name = out.q(col.name)
    keys = ", ".join(out.key_refs("o"))
    row = out.one(
        f"SELECT {keys}, o.{name}, e.{name} {body} "
        f"WHERE {_differs(out, col)} ORDER BY {keys} LIMIT 1"
    )
    key, got, want = row[:-2], row[-2], row[-1]
    message = (
        f"{count} rows on the sample differ from the mapping's rule "
        f"({col.rule.text or col.rule.kind}), e.g. {_show(out.target.key, key)}: "
        f"{got!r}, expected {want!r}"
    )
    return out.finding(
        "MF507", message, "compute the column exactly as its structured rule says", col.name
    )


def _count(out: Output, relation: str) -> int:
    return int(out.one(f"SELECT count(*) FROM {relation}")[0])


def _show(names: list[str], values: tuple[Any, ...]) -> str:
    return ", ".join(f"{n}={v!r}" for n, v in zip(names, values, strict=False))
