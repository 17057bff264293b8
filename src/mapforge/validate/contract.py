"""The output contract: the query returns exactly the target's columns, by name, in order.

    MF206 select-star            a top-level `*` leaves the contract to whatever the tables hold
    MF205 unnamed-output-column  an expression with no alias gets a name made from its text
    MF201 missing-output-column  a target column the query does not return
    MF202 extra-output-column    a returned column the target does not have (or a repeat)
    MF203 output-column-order    the right names in the wrong order

Names compare case-insensitively (DuckDB, Postgres unquoted and Spark all fold them). The
names of a UNION are those of its first branch.
"""

from __future__ import annotations

from collections import Counter

from sqlglot import exp

from mapforge.validate.did_you_mean import closest
from mapforge.validate.findings import Finding
from mapforge.validate.outputs import is_star, leaf_selects, output_name
from mapforge.validate.query import Query


def check_contract(query: Query) -> list[Finding]:
    """MF206, else MF205 then MF201/MF202/MF203 for the top-level outputs."""
    selects = leaf_selects(query.tree)
    if not selects:
        return []
    if stars := _stars(query, selects):
        return stars  # the outputs are unknowable from the text: no point comparing names
    names = [output_name(p, query.dialect) for p in selects[0].selects]
    findings = _unnamed(query, names)
    named = [n for n in names if n is not None]
    findings += _missing(query, named) + _extra(query, named)
    return findings or _order(query, named)


def _stars(query: Query, selects: list[exp.Select]) -> list[Finding]:
    stars = [p for select in selects for p in select.selects if is_star(p)]
    expected = ", ".join(c.name for c in query.target.columns)
    return [
        query.finding(
            "MF206",
            f"'{star.sql(query.dialect)}' in the top-level SELECT",
            hint=f"list the target columns explicitly: {expected}",
        )
        for star in stars
    ][:1]


def _unnamed(query: Query, names: list[str | None]) -> list[Finding]:
    findings = []
    for position, name in enumerate(names):
        if name is not None:
            continue
        columns = query.target.columns
        wanted = columns[position].name if position < len(columns) else None
        hint = f"add an alias, e.g. AS {wanted}" if wanted else "add an alias or remove it"
        message = f"output {position + 1} is an expression without an alias"
        findings.append(query.finding("MF205", message, column=wanted, hint=hint))
    return findings


def _missing(query: Query, named: list[str]) -> list[Finding]:
    got = {n.lower() for n in named}
    return [
        query.finding(
            "MF201",
            f"target column '{col.name}' ({col.type}) is not in the output",
            column=col.name,
            hint=f"return it as output {position + 1}: <expression> AS {col.name}",
        )
        for position, col in enumerate(query.target.columns)
        if col.name.lower() not in got
    ]


def _extra(query: Query, named: list[str]) -> list[Finding]:
    counts = Counter(n.lower() for n in named)
    findings, reported = [], set()
    for name in named:
        if name.lower() in reported:
            continue
        reported.add(name.lower())
        if query.target.column(name) is None:
            message = f"output '{name}' is not a column of target {query.target.name}"
            hint = _extra_hint(query, name)
            findings.append(query.finding("MF202", message, column=name, hint=hint))
        elif counts[name.lower()] > 1:
            message = f"output '{name}' appears {counts[name.lower()]} times"
            findings.append(query.finding("MF202", message, column=name, hint="return it once"))
    return findings


def _extra_hint(query: Query, name: str) -> str:
    match = closest(name, [c.name for c in query.target.columns])
    return f"rename it: did you mean '{match}'?" if match else "remove it from the SELECT list"


def _order(query: Query, named: list[str]) -> list[Finding]:
    expected = [c.name for c in query.target.columns]
    if [n.lower() for n in named] == [n.lower() for n in expected]:
        return []
    first = next(e for n, e in zip(named, expected, strict=True) if n.lower() != e.lower())
    message = f"outputs are ordered ({', '.join(named)}), the target ({', '.join(expected)})"
    return [query.finding("MF203", message, column=first, hint="reorder the SELECT list")]
