"""Checks on a sample run's output, read from the relations `dynamic.sample_check` staged.

`OUT` holds the statement's output on the sample. `EXPECTED` (when the mapping's own query
for the key and the structured columns ran) holds that query's distinct rows on the same
sample: the grain is its number of distinct key values, and each structured column must
agree with it key by key. Free-text columns have no oracle: only their nulls are checked.

Both are staged with `Engine.stage` (a TEMP table on DuckDB and PostgreSQL, a cached TEMP
view on Spark). Every check query is built as a sqlglot tree and written for the engine's
dialect: identifiers quoted its way, no dialect-only syntax (GROUP BY ALL, FILTER, row
values), `IS [NOT] DISTINCT FROM` for null-safe comparison. Column names are looked up in
the staged relation case-insensitively, so a quoted reference always names a real column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.engines.base import Engine
from mapforge.errors import EngineError
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.findings import Finding, Severity

OUT = "__mapforge_sample_out"
EXPECTED = "__mapforge_sample_expected"
_VOLATILE = re.compile(r"\b(random|uuid|gen_random_uuid|nextval|setseed)\s*\(", re.IGNORECASE)
_FLOATS = ("FLOAT", "DOUBLE", "REAL")
# dialects without TRY_CAST: a value that does not convert fails the comparison query
_NO_TRY_CAST = frozenset({"postgres"})
# order matters: INTERVAL before INT, TIMESTAMP/DATE/TIME before the rest
_FAMILIES = (
    ("interval", ("INTERVAL",)),
    ("time", ("TIMESTAMP", "DATE", "TIME")),
    ("boolean", ("BOOL",)),
    ("text", ("CHAR", "TEXT", "STRING", "UUID")),
    ("number", ("INT", "DECIMAL", "NUMERIC", "FLOAT", "DOUBLE", "REAL")),
)


@dataclass
class Output:
    engine: Engine
    target: Target
    driving: str | None  # the driving table's name (its shadow is the driving sample)
    _names: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect

    def sql(self, query: exp.Expr) -> str:
        return query.sql(dialect=self.dialect)

    def rows(self, query: exp.Expr) -> list[tuple[Any, ...]]:
        return self.engine.query(self.sql(query)).rows

    def one(self, query: exp.Expr) -> tuple[Any, ...]:
        return self.rows(query)[0]

    def names(self, relation: str) -> dict[str, str]:
        """{lower-cased name: name as the engine spells it} of a staged relation's columns."""
        if relation not in self._names:
            probe = exp.select("*").from_(_table(relation)).where(_never())
            columns = self.engine.query(self.sql(probe)).columns
            self._names[relation] = {c.lower(): c for c in columns}
        return self._names[relation]

    def col(self, name: str, relation: str = OUT, alias: str | None = None) -> exp.Column:
        actual = self.names(relation).get(name.lower(), name)
        return exp.column(actual, alias, quoted=True)

    def key_columns(self, relation: str = OUT, alias: str | None = None) -> list[exp.Column]:
        return [self.col(k, relation, alias) for k in self.target.key]

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
    built = _column_types(out)
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


def _column_types(out: Output) -> dict[str, str]:
    """{lower-cased column name: type name} of the staged output, as the engine names types."""
    if out.dialect == "postgres":
        # this session's own temp table (pg_temp), not another session's of the same name
        sql = (
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
            f"WHERE a.attrelid = 'pg_temp.{OUT}'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        )
    elif out.dialect in ("duckdb", "spark"):
        sql = f"DESCRIBE {_table(OUT).sql(dialect=out.dialect)}"  # name, type first
    else:
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_name = '{OUT}'"
        )
    return {str(row[0]).lower(): str(row[1]) for row in out.engine.query(sql).rows}


def _family(type_name: str) -> str | None:
    name = type_name.upper()
    for family, words in _FAMILIES:
        if any(word in name for word in words):
            return family
    return None  # lists, structs, JSON...: not compared


def _null_keys(out: Output) -> list[Finding]:
    if not out.target.key:
        return []
    query = (
        exp.select(_count_star())
        .from_(_table(OUT))
        .where(exp.or_(*(k.is_(exp.null()) for k in out.key_columns())))
    )
    (count,) = out.one(query)
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
    keys = out.key_columns()
    groups = (
        exp.select(*keys, exp.alias_(_count_star(), "n"))
        .from_(_table(OUT))
        .where(exp.and_(*(exp.not_(k.is_(exp.null())) for k in keys)))
        .group_by(*keys)
        .having(exp.GT(this=_count_star(), expression=exp.Literal.number(1)))
    )
    summary = exp.select(_count_star(), exp.Max(this=exp.column("n"))).from_(groups.subquery("d"))
    dupes, worst = out.one(summary)
    if not dupes:
        return []
    example = groups.order_by(exp.Ordered(this=exp.column("n"), desc=True), *keys).limit(1)
    return [
        out.finding(
            "MF502",
            f"{dupes} key values occur more than once on the sample (up to {worst} times), "
            f"e.g. {_show(out.target.key, out.one(example)[:-1])}",
            "a join fans out: join on the full key of the joined table, "
            "or aggregate to the target's grain",
            out.target.key[0],
        )
    ]


def _not_null_columns(out: Output) -> list[Finding]:
    columns = [c for c in out.target.columns if not c.nullable and not c.key]
    if not columns:
        return []
    query = exp.select(
        *(exp.Sub(this=_count_star(), expression=exp.Count(this=out.col(c.name))) for c in columns)
    ).from_(_table(OUT))
    counts = out.one(query)
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
    got = _count(out, _table(OUT))
    want = _distinct_keys(out)
    if got == want:
        return []
    driving = (
        f" from {_count(out, _table(out.driving))} sampled {out.driving} rows"
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
    columns = _comparable(out)
    # the structured columns must fix one value per key, else there is nothing to compare
    if not columns or _count(out, _table(EXPECTED)) != _distinct_keys(out):
        return []
    join = exp.and_(
        *(
            exp.NullSafeEQ(this=o, expression=e)
            for o, e in zip(out.key_columns(OUT, "o"), out.key_columns(EXPECTED, "e"), strict=True)
        )
    )
    body = exp.select().from_(_table(OUT, "o")).join(_table(EXPECTED, "e"), on=join)
    try:
        counts = out.one(
            body.select(
                *(
                    exp.Count(this=exp.case().when(_differs(out, c), exp.Literal.number(1)))
                    for c in columns
                )
            )
        )
        return [_mismatch(out, c, n, body) for c, n in zip(columns, counts, strict=True) if n]
    except EngineError:
        if out.dialect not in _NO_TRY_CAST:
            raise  # a check query that fails is mapforge's bug
        # CAST without TRY_: a value that does not fit the target type (numeric overflow)
        # fails the query; no comparison then. It is the run's last query (the transaction
        # is aborted after it, and rolled back by the sandbox).
        return []


def _comparable(out: Output) -> list[ColumnMapping]:
    built = _column_types(out)
    expected = out.names(EXPECTED)
    return [
        c
        for c in out.target.columns
        if not c.key
        and c.name.lower() in expected
        and c.rule.structured
        and not _VOLATILE.search(c.rule.text)
        # without TRY_CAST a value of another family would fail the query: MF511 says it
        and (out.dialect not in _NO_TRY_CAST or _same_family(built, c))
    ]


def _same_family(built: dict[str, str], col: ColumnMapping) -> bool:
    got = _family(built.get(col.name.lower(), ""))
    return got is not None and got == _family(col.type)


def _differs(out: Output, col: ColumnMapping) -> exp.Expr:
    mine = _cast(out, out.col(col.name, OUT, "o"), col.type)
    theirs = _cast(out, out.col(col.name, EXPECTED, "e"), col.type)
    if any(word in col.type.upper() for word in _FLOATS):
        # float sums depend on the order of addition: compare with a relative tolerance
        close = exp.LTE(
            this=exp.Abs(this=exp.Sub(this=mine, expression=theirs)),
            expression=exp.Mul(
                this=exp.Literal.number("1e-9"),
                expression=exp.Greatest(
                    this=exp.Literal.number(1), expressions=[exp.Abs(this=theirs.copy())]
                ),
            ),
        )
        one_null = exp.NEQ(
            this=exp.Paren(this=mine.copy().is_(exp.null())),
            expression=exp.Paren(this=theirs.copy().is_(exp.null())),
        )
        return exp.or_(one_null, exp.not_(exp.Coalesce(this=close, expressions=[exp.true()])))
    return exp.NullSafeNEQ(this=mine, expression=theirs)


def _cast(out: Output, value: exp.Expr, type_name: str) -> exp.Expr:
    """TRY_CAST(value AS type) where the dialect has it, else CAST (see _comparable)."""
    try:
        to = exp.DataType.build(type_name, dialect="duckdb")
    except (SqlglotError, ValueError):
        to = exp.DataType.build(type_name, udt=True)  # the engine judges it
    if out.dialect in _NO_TRY_CAST:
        return exp.Cast(this=value, to=to)
    return exp.TryCast(this=value, to=to, safe=True)


def _mismatch(out: Output, col: ColumnMapping, count: int, body: exp.Select) -> Finding:
    keys = out.key_columns(OUT, "o")
    query = (
        body.select(*keys, out.col(col.name, OUT, "o"), out.col(col.name, EXPECTED, "e"))
        .where(_differs(out, col))
        .order_by(*(k.copy() for k in keys))
        .limit(1)
    )
    row = out.one(query)
    key, got, want = row[:-2], row[-2], row[-1]
    message = (
        f"{count} rows on the sample differ from the mapping's rule "
        f"({col.rule.text or col.rule.kind}), e.g. {_show(out.target.key, key)}: "
        f"{got!r}, expected {want!r}"
    )
    return out.finding(
        "MF507", message, "compute the column exactly as its structured rule says", col.name
    )


def _distinct_keys(out: Output) -> int:
    """Distinct key values of the expected rows (NULL counts as one value)."""
    distinct = exp.select(*out.key_columns(EXPECTED)).distinct().from_(_table(EXPECTED))
    return _count(out, distinct.subquery("g"))


def _count(out: Output, relation: exp.Expr) -> int:
    return int(out.one(exp.select(_count_star()).from_(relation))[0])


def _count_star() -> exp.Count:
    return exp.Count(this=exp.Star())


def _never() -> exp.Expr:
    return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))


def _table(name: str, alias: str | None = None) -> exp.Table:
    return exp.table_(name, quoted=True, alias=alias)


def _show(names: list[str], values: tuple[Any, ...]) -> str:
    return ", ".join(f"{n}={v!r}" for n, v in zip(names, values, strict=False))
