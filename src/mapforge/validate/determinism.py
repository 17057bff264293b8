"""MF408 nondeterministic: a query whose result differs from run to run.

A lock promises that the same inputs give the same table. Random numbers, UUIDs, the clock,
sampling and a LIMIT without ORDER BY (any n rows) break that promise, anywhere in the query.
Each is accepted when a rule of the target asks for it in words ("current date", "today",
"random", "sample", ...): a load date column is a legitimate use of the clock.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from mapforge.validate.declared import words
from mapforge.validate.findings import Finding
from mapforge.validate.query import Query, unique

_RANDOM = ("random", "shuffle", "sample")
_UUID = ("uuid", "guid", "random")
_CLOCK = (
    "current date", "current time", "current timestamp", "today", "now",
    "load date", "load time", "run date", "run time", "as of",
)  # fmt: skip
_SAMPLE = ("sample", "limit")

# function name -> what excuses it, for the ones sqlglot keeps as anonymous functions
_NAMED: dict[str, tuple[str, ...]] = {
    "random": _RANDOM,
    "rand": _RANDOM,
    "setseed": _RANDOM,
    "uuid": _UUID,
    "gen_random_uuid": _UUID,
    "uuidv4": _UUID,
    "uuidv7": _UUID,
    "now": _CLOCK,
    "today": _CLOCK,
    "get_current_timestamp": _CLOCK,
    "get_current_time": _CLOCK,
    "transaction_timestamp": _CLOCK,
    "statement_timestamp": _CLOCK,
    "clock_timestamp": _CLOCK,
    "current_localtimestamp": _CLOCK,
    "timeofday": _CLOCK,
}
_TYPED: tuple[tuple[type[exp.Expr], tuple[str, ...]], ...] = (
    (exp.Rand, _RANDOM),
    (exp.Uuid, _UUID),
    (exp.CurrentTimestamp, _CLOCK),
    (exp.CurrentDate, _CLOCK),
    (exp.CurrentTime, _CLOCK),
    (exp.Localtimestamp, _CLOCK),
    (exp.TableSample, _SAMPLE),
)


def check_determinism(query: Query) -> list[Finding]:
    """MF408 for each nondeterministic construct no rule of the target asks for."""
    rules = " ".join(words(c.rule.text) for c in query.target.columns)
    findings = [
        _finding(query, node)
        for node, excuses in _nondeterministic(query.tree)
        if not any(f" {w} " in rules for w in excuses)
    ]
    return unique(findings)


def _nondeterministic(tree: exp.Expr) -> Iterator[tuple[exp.Expr, tuple[str, ...]]]:
    for node in tree.walk():
        for kind, excuses in _TYPED:
            if isinstance(node, kind):
                yield node, excuses
        if isinstance(node, exp.Anonymous) and node.name.lower() in _NAMED:
            yield node, _NAMED[node.name.lower()]
        if isinstance(node, exp.Query) and _unordered_limit(node):
            yield node, _SAMPLE


def _unordered_limit(node: exp.Query) -> bool:
    limited = node.args.get("limit") is not None or node.args.get("fetch") is not None
    return limited and node.args.get("order") is None


def _describe(node: exp.Expr, dialect: str) -> str:
    if isinstance(node, exp.Query):
        limit = node.args.get("limit") or node.args.get("fetch")
        return f"'{limit.sql(dialect) if limit else 'LIMIT'}' without ORDER BY"
    return f"'{node.sql(dialect)}'"


def _finding(query: Query, node: exp.Expr) -> Finding:
    if isinstance(node, exp.Query):
        hint = "add an ORDER BY on a unique key, or remove the LIMIT"
    else:
        hint = "remove it; if the mapping means it, say so in the rule (e.g. 'current date')"
    message = f"{_describe(node, query.dialect)} gives a different result on every run"
    return query.finding("MF408", message, hint=hint)
