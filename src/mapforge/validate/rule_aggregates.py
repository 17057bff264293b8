"""MF411 rule-aggregate-mismatch: `sum of ...` is a SUM, `earliest ...` a MIN.

Only when the column's SQL aggregates at all: "total price = price + tax" and "the maximum
of a and b" are not aggregates, and the check is about which aggregate, not whether. An
aggregate whose word is part of a column the output reads (`total_capacity_kg`) was taken
upstream and is not asked for again. Equivalent spellings count: an average as sum/count,
a count as sum(CASE ... 1 ...).
"""

from __future__ import annotations

import re

from sqlglot import exp

from mapforge.validate.findings import Finding
from mapforge.validate.rule_subject import Subject

AGGREGATE_KIND: dict[type[exp.Expr], str] = {
    exp.Sum: "SUM",
    exp.Avg: "AVG",
    exp.Count: "COUNT",
    exp.CountIf: "COUNT",
    exp.Max: "MAX",
    exp.ArgMax: "MAX",
    exp.Min: "MIN",
    exp.ArgMin: "MIN",
}
# the confusions a named aggregate rules out when it is the only one the rule names
_SWAPPED = {"SUM": "AVG", "COUNT": "AVG", "MIN": "MAX", "MAX": "MIN"}
# words in an input column's name that say the aggregate was taken upstream
_UPSTREAM = {
    "SUM": {"total", "sum"},
    "AVG": {"avg", "average", "mean"},
    "COUNT": {"count", "cnt", "num", "number"},
    "MAX": {"max", "last", "latest"},
    "MIN": {"min", "first", "earliest"},
}


def check_aggregates(subject: Subject) -> list[Finding]:
    """MF411 when the named aggregate is missing, or its usual confusion stands in its place."""
    named = _named(subject)
    nodes = [n for n in subject.reach.value_nodes() if isinstance(n, exp.AggFunc)]
    if not named or not nodes:
        return []
    used = {AGGREGATE_KIND[type(n)] for n in nodes if type(n) in AGGREGATE_KIND}
    missing = sorted(k for k in named if not _satisfied(k, used, nodes))
    swapped = sorted(_SWAPPED[k] for k in named if len(named) == 1 and _SWAPPED.get(k) in used)
    if not missing and not swapped:
        return []
    wanted = " and ".join(sorted(named))
    message = f"the rule of '{subject.col.name}' asks for {wanted}; its SQL uses "
    message += ", ".join(sorted(used)) or "no such aggregate"
    return [subject.finding("MF411", message, f"aggregate with {wanted} as the rule says")]


def _named(subject: Subject) -> frozenset[str]:
    named = named_aggregates(subject)
    inputs = {w for c in subject.reads for w in re.split(r"[\W_]+", c.column) if w}
    return frozenset(k for k in named if not _UPSTREAM[k] & inputs)


def named_aggregates(subject: Subject) -> frozenset[str]:
    """The rule's own aggregates, else those of the target columns it names.

    A named column may be a row set rather than a value (`among the delivered stops`), so
    its aggregate never adds to the rule's own.
    """
    return subject.terms.aggregates or subject.inherited.aggregates


def _satisfied(kind: str, used: set[str], nodes: list[exp.AggFunc]) -> bool:
    if kind in used:
        return True
    if kind == "AVG":
        return {"SUM", "COUNT"} <= used
    if kind == "COUNT":  # sum(CASE WHEN ... THEN 1 ELSE 0 END), sum(flag::int)
        return any(isinstance(n, exp.Sum) and not isinstance(n.this, exp.Column) for n in nodes)
    return False
