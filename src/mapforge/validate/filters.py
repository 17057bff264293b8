"""MF409 missing-filter: the mapping's filter is applied, conjunct by conjunct.

Each conjunct of the target's filter cell must appear as a conjunct of some WHERE, ON,
HAVING or QUALIFY of the query (a CTE may filter early). Both are compared in canonical
form (predicates.py): columns followed to their catalog tables, equivalent spellings folded.
So a dropped or inverted filter is found, and `o.status != 'x'` in a CTE over orders still
matches `orders.status <> 'x'`.

Tolerance: a conjunct is not reported when the query holds a predicate on one of its
columns that lineage cannot follow (an unknown table, a table function).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sqlglot import exp

from mapforge.validate.declared import Declared
from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Col, Lineage, bare
from mapforge.validate.predicates import canonical, conjuncts
from mapforge.validate.query import Query

_CLAUSES = ("where", "having", "qualify")


@dataclass
class _Applied:
    """The query's predicates in canonical form, and the columns of those it could not read."""

    texts: set[str] = field(default_factory=set)
    unreadable: set[str] = field(default_factory=set)


def check_filter(query: Query) -> list[Finding]:
    """MF409 for each conjunct of the target's filter that the query does not apply."""
    declared = Declared.of(query.target, query.dialect)
    wanted = conjuncts(declared.parse(query.target.filter))
    lineage = Lineage.of(query) if wanted else None
    if lineage is None:
        return []
    applied = _applied(lineage)
    findings = []
    for conjunct in wanted:
        text = canonical(conjunct, lambda c: _declared_column(c, declared, query))
        names = {c.name.lower() for c in conjunct.find_all(exp.Column)}
        if text is None or text in applied.texts or names & applied.unreadable:
            continue
        findings.append(_missing(query, conjunct))
    return findings


def _declared_column(column: exp.Column, declared: Declared, query: Query) -> Col:
    if column.table:
        return Col(declared.table_of(column.table), column.name.lower())
    # a bare name: the declared table that has it, else the driving table
    name = column.name.lower()
    having = sorted(t for t in declared.tables if _has(query, t, name))
    driving = declared.target.driving_table
    table = having[0] if len(having) == 1 else (bare(driving) if driving else None)
    return Col(table, name)


def _has(query: Query, table: str, column: str) -> bool:
    known = query.catalog.table(table)
    return known is not None and known.column(column) is not None


def _applied(lineage: Lineage) -> _Applied:
    applied = _Applied()
    for scope in lineage.scopes:
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        predicates = [select.args[k].this for k in _CLAUSES if select.args.get(k)]
        predicates += [j.args["on"] for j in select.args.get("joins") or [] if j.args.get("on")]
        resolve = partial(lineage.one, scope=scope)
        for conjunct in (c for p in predicates for c in conjuncts(p)):
            text = canonical(conjunct, resolve)
            if text is None:
                applied.unreadable |= {c.name.lower() for c in conjunct.find_all(exp.Column)}
            else:
                applied.texts.add(text)
    return applied


def _missing(query: Query, conjunct: exp.Expr) -> Finding:
    text = conjunct.sql(query.dialect)
    message = f"the mapping's filter '{text}' is not applied by any WHERE or ON"
    return query.finding("MF409", message, hint=f"add WHERE {text} (as written, not inverted)")
