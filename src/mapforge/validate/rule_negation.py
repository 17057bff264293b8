"""MF413 rule-negation-mismatch: `non-returned` excludes 'returned'; `delivered` keeps it.

A term the rule negates (`non-X`, `not X`, `excluding X`, `except X`, `without X`) must be
a negated test in the column's SQL: `<> 'x'`, `NOT IN ('x')`, `NOT is_x`. A boolean column
the rule names plainly (`the delivered stops`) must not be tested only negated in a filter.
When the rule names one aggregate, every such aggregate must be restricted (a CASE that
repeats the sum three times repeats its FILTER three times).

Tolerance: inside a CASE condition either polarity counts; a negated term found nowhere in
the SQL is not reported when an input column's name or comment mentions it (the upstream
table already left those rows out: "cancelled orders are left out").
"""

from __future__ import annotations

import re

from sqlglot import exp

from mapforge.validate.declared import words
from mapforge.validate.findings import Finding
from mapforge.validate.rule_aggregates import AGGREGATE_KIND, named_aggregates
from mapforge.validate.rule_reach import Reach, in_case, negated, reach
from mapforge.validate.rule_subject import Subject

_BOOLEAN = frozenset({"BOOLEAN", "BOOL"})


def check_negations(subject: Subject) -> list[Finding]:
    """MF413 for each negated term not excluded, and each named flag only ever inverted."""
    findings = []
    for term in sorted(subject.terms.negated | subject.inherited.negated):
        problem = _excluded(subject, subject.reach, term)
        if problem is None:
            problem = _every_aggregate(subject, term)
        if problem is not None:
            hint = f"exclude '{term}' (e.g. <> '{term}' or NOT {term}), not keep only it"
            findings.append(subject.finding("MF413", problem, hint))
    return findings + _inverted_flags(subject)


def _excluded(subject: Subject, found: Reach, term: str) -> str | None:
    """None when the reach excludes `term`; else what is wrong."""
    polarities = [p for n in found.nodes() if (p := _polarity(subject, n, term)) is not None]
    name = subject.col.name
    if not polarities:
        if _documented(subject, term):
            return None
        return f"the rule of '{name}' excludes '{term}'; its SQL never tests '{term}'"
    if any(p != "positive" for p in polarities):
        return None
    return f"the rule of '{name}' excludes '{term}'; its SQL keeps only '{term}'"


def _every_aggregate(subject: Subject, term: str) -> str | None:
    named = named_aggregates(subject)
    if len(named) != 1:
        return None
    kind = next(iter(named))
    aggregates = [n for n in subject.reach.value_nodes() if AGGREGATE_KIND.get(type(n)) == kind]
    for node in aggregates:
        if _excluded(subject, reach(subject.lineage, node), term) is not None:
            message = f"the rule of '{subject.col.name}' excludes '{term}' from every {kind}; "
            return message + f"one {kind} of its SQL does not: {node.sql(subject.query.dialect)}"
    return None


def _polarity(subject: Subject, node: exp.Expr, term: str) -> str | None:
    """'positive'/'negative' for a test on `term` ('case' in a CASE condition), else None."""
    if isinstance(node, exp.Literal) and node.is_string and str(node.this).lower() == term:
        test: exp.Expr = node.parent if node.parent is not None else node
        if isinstance(test, exp.In) and node is not test.this:
            base = False
        elif isinstance(test, exp.EQ | exp.NEQ):
            base = isinstance(test, exp.NEQ)
        else:
            return None
    elif isinstance(node, exp.Column) and _flag_name(node.name) == term and _is_flag(subject, node):
        test, base = _flag_test(node)
    else:
        return None
    if in_case(test):
        return "case"
    return "negative" if base != negated(test) else "positive"


def _flag_name(name: str) -> str:
    lowered = name.lower()
    for prefix in ("is_", "has_", "was_"):
        lowered = lowered.removeprefix(prefix)
    return lowered


def _flag_test(column: exp.Column) -> tuple[exp.Expr, bool]:
    """The test a boolean column makes (`x`, `x = false`, `x <> true`) and whether it negates."""
    parent = column.parent
    if isinstance(parent, exp.EQ | exp.NEQ) and isinstance(parent.expression, exp.Boolean):
        truth = bool(parent.expression.this) == isinstance(parent, exp.EQ)
        return parent, not truth
    return column, False


def _is_flag(subject: Subject, column: exp.Column) -> bool:
    scope = subject.lineage.scope_of(column)
    found = subject.lineage.one(column, scope) if scope is not None else None
    table = subject.query.catalog.table(found.table) if found and found.table else None
    known = table.column(found.column) if table is not None and found else None
    return known is not None and known.type.upper() in _BOOLEAN


def _documented(subject: Subject, term: str) -> bool:
    for read in subject.reads:
        table = subject.query.catalog.table(read.table) if read.table else None
        column = table.column(read.column) if table is not None else None
        texts = [read.column, table.comment if table else None, column.comment if column else None]
        if any(term in (text or "").lower() for text in texts):
            return True
    return False


def _inverted_flags(subject: Subject) -> list[Finding]:
    """A boolean column the rule names plainly, tested only negated in the filters."""
    prose = words(subject.col.rule.text)  # unmasked: the flag is a column name
    seen: dict[str, list[str]] = {}
    for node in _filter_nodes(subject.reach):
        if isinstance(node, exp.Column) and _is_flag(subject, node):
            term = _flag_name(node.name)
            if f" {term.replace('_', ' ')} " in prose and not _negates(prose, term):
                seen.setdefault(term, []).append(_polarity(subject, node, term) or "positive")
    return [
        subject.finding(
            "MF413",
            f"the rule of '{subject.col.name}' keeps the {term} rows; its SQL keeps the others",
            f"filter on {term} being true, not false",
        )
        for term, polarities in sorted(seen.items())
        if all(p == "negative" for p in polarities)
    ]


def _negates(prose: str, term: str) -> bool:
    pattern = rf" (?:non|not|un|excluding|except|without|other than) ?{re.escape(term)} "
    return re.search(pattern, prose) is not None


def _filter_nodes(found: Reach) -> list[exp.Expr]:
    nodes = [n for piece in found.filters for n in piece.walk()]
    return nodes + [n for n in found.value_nodes() if n.find_ancestor(exp.Where) is not None]
