"""Predicates compared by meaning rather than spelling: conjuncts, key pairs, canonical text.

Both sides of a comparison (the mapping's cells and the query) are rewritten the same way:
every column becomes `table.column` of the catalog table it reads, and spellings that mean
the same are folded (`a != b`/`b <> a`, `5 < x`/`x > 5`, `x IS NOT NULL`/`NOT x IS NULL`,
`x = FALSE`/`NOT x`, `x IN ('a')`/`x = 'a'`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.simplify import simplify

from mapforge.validate.lineage import Col

Pair = frozenset[Col]
Resolve = Callable[[exp.Column], Col | None]


def conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    """`a AND (b AND c)` -> [a, b, c]; nothing for None."""
    if node is None:
        return []
    node = node.unnest()
    if isinstance(node, exp.And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def pair(conjunct: exp.Expr, resolve: Resolve) -> Pair | None:
    """`a.x = b.y` as {a.x, b.y}; None when it is not an equality of two resolvable columns."""
    if not isinstance(conjunct, exp.EQ):
        return None
    left, right = conjunct.left.unnest(), conjunct.right.unnest()
    if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
        return None
    a, b = resolve(left), resolve(right)
    return frozenset({a, b}) if a is not None and b is not None else None


def pairs_match(got: set[Pair], wanted: set[Pair]) -> bool:
    """The same key pairs; a column without a table in `wanted` matches that name anywhere."""
    if len(got) != len(wanted):
        return False
    return all(any(_pair_matches(g, w) for g in got) for w in wanted)


def _pair_matches(got: Pair, wanted: Pair) -> bool:
    g, w = sorted(got, key=str), sorted(wanted, key=str)
    if len(g) != len(w):
        return False
    options = [(g[0], g[-1]), (g[-1], g[0])]
    return any(_col(a, w[0]) and _col(b, w[-1]) for a, b in options)


def _col(got: Col, wanted: Col) -> bool:
    return got.column == wanted.column and None in (got.table, wanted.table) or got == wanted


def canonical(conjunct: exp.Expr, resolve: Resolve) -> str | None:
    """Text that equal predicates share; None when a column cannot be resolved."""
    node = conjunct.copy()
    for column in list(node.find_all(exp.Column)):
        if isinstance(column.this, exp.Star):
            continue
        found = resolve(column)
        if found is None:
            return None
        column.replace(exp.column(found.column, table=found.table or "_"))
    with contextlib.suppress(SqlglotError):
        node = simplify(node)
    return _folded(node).sql()


def _folded(node: exp.Expr) -> exp.Expr:
    """The spellings simplify leaves apart: boolean equality and one-value IN lists."""
    node = node.unnest()
    if isinstance(node, exp.Not):
        inner = _folded(node.this)
        if isinstance(inner, exp.EQ):
            return exp.NEQ(this=inner.left, expression=inner.right)
        return inner.this if isinstance(inner, exp.Not) else exp.Not(this=inner)
    if isinstance(node, exp.In) and len(node.expressions) == 1 and not node.args.get("query"):
        return _folded(exp.EQ(this=node.this, expression=node.expressions[0]))
    if isinstance(node, exp.EQ | exp.NEQ) and isinstance(node.right, exp.Boolean):
        truth = node.right.this == isinstance(node, exp.EQ)
        return node.left if truth else exp.Not(this=node.left)
    if isinstance(node, exp.EQ | exp.NEQ) and node.left.sql() > node.right.sql():
        return type(node)(this=node.right, expression=node.left)
    return node
