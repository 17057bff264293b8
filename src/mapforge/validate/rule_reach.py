"""What computes one output column: its expression and every filter that shapes it.

An output's reach starts at its projection and follows each column it reads into the CTE or
derived table that computes it, down to catalog tables. On the way it takes the WHERE,
HAVING, QUALIFY and JOIN ... ON of every SELECT it passes through, and an aggregate's own
`FILTER (WHERE ...)`: those decide which rows the value is made of.

Facts about predicates are read the way a reader of the SQL would: `NOT`, `<>`, `NOT IN`
and `= false` negate; inside a CASE condition either polarity may be right (the branches
can be written in any order), so there a test counts whichever way round it is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from mapforge.validate.lineage import Lineage, column_source
from mapforge.validate.outputs import leaf_selects, output_name

_CLAUSES = ("where", "having", "qualify")
_FLIP = {exp.GT: exp.LTE, exp.GTE: exp.LT, exp.LT: exp.GTE, exp.LTE: exp.GT}
_MIRROR = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}
_OPS = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_COMPLEMENT = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


@dataclass(frozen=True)
class Reach:
    """The value expressions and the filters that compute one output column."""

    values: tuple[exp.Expr, ...] = ()
    filters: tuple[exp.Expr, ...] = ()

    def nodes(self) -> Iterator[exp.Expr]:
        """Every node of every piece."""
        for piece in self.values + self.filters:
            yield from piece.walk()

    def value_nodes(self) -> Iterator[exp.Expr]:
        for piece in self.values:
            yield from piece.walk()

    def __or__(self, other: Reach) -> Reach:
        return Reach(self.values + other.values, self.filters + other.filters)


def output_reach(lineage: Lineage, name: str) -> Reach | None:
    """The reach of the top-level output `name` over every UNION branch; None when absent."""
    found: Reach | None = None
    for select in leaf_selects(lineage.tree):
        for projection in select.selects:
            if (output_name(projection, lineage.query.dialect) or "").lower() == name.lower():
                piece = reach(lineage, projection)
                found = piece if found is None else found | piece
    return found


def reach(lineage: Lineage, node: exp.Expr, seen: frozenset[int] = frozenset()) -> Reach:
    """`node`, its aggregate FILTER, its SELECT's filters, and the same for what it reads."""
    values: tuple[exp.Expr, ...] = (node,)
    if isinstance(node.parent, exp.Filter):
        values += (node.parent.expression,)
    result = Reach(values, _filters(lineage.scope_of(node)))
    for column in node.find_all(exp.Column):
        for inner, scope in _computed_by(lineage, column):
            if id(inner) not in seen:
                result |= reach(lineage, inner, seen | {id(inner)}) | Reach(filters=_filters(scope))
    return result


def _filters(scope: Scope | None) -> tuple[exp.Expr, ...]:
    select = scope.expression if scope is not None else None
    if not isinstance(select, exp.Select):
        return ()
    found = [select.args[k].this for k in _CLAUSES if select.args.get(k)]
    found += [j.args["on"] for j in select.args.get("joins") or [] if j.args.get("on")]
    return tuple(found)


def _computed_by(lineage: Lineage, column: exp.Column) -> list[tuple[exp.Expr, Scope]]:
    """The projections of a CTE or derived table that a column reference reads."""
    scope = lineage.scope_of(column)
    source = column_source(column, scope) if scope is not None else None
    if not isinstance(source, Scope):
        return []
    branches = source.set_operation_scopes or [source]
    found = []
    for branch in branches:
        select = branch.expression
        if isinstance(select, exp.Select):
            match = [p for p in select.selects if p.alias_or_name.lower() == column.name.lower()]
            found += [(p, branch) for p in match]
    return found


# -- facts about nodes ----------------------------------------------------------------------


def number(node: exp.Expr) -> Decimal | None:
    """The value of a numeric literal (`-5` too), None for anything else."""
    sign = 1
    if isinstance(node, exp.Neg):
        node, sign = node.this, -1
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    try:
        return sign * Decimal(str(node.this))
    except InvalidOperation:
        return None


def in_type(node: exp.Expr) -> bool:
    """Part of a type (`DECIMAL(12, 2)`): not a value the rule can mean."""
    return node.find_ancestor(exp.DataType) is not None


def in_case(node: exp.Expr) -> bool:
    """Inside the condition of a CASE/IF branch, before any WHERE above it."""
    current = node
    while current.parent is not None and not isinstance(current.parent, exp.Where):
        if isinstance(current.parent, exp.If) and current is current.parent.this:
            return True
        current = current.parent
    return False


def negated(node: exp.Expr) -> bool:
    """An odd number of NOTs between `node` and the boolean expression holding it."""
    flips = 0
    current = node
    while isinstance(current.parent, exp.Not | exp.Paren | exp.And | exp.Or):
        flips += isinstance(current.parent, exp.Not)
        current = current.parent
    return flips % 2 == 1


def comparison(node: exp.Expr) -> tuple[str, exp.Expr] | None:
    """A comparison with a literal on one side as (`>=`, the literal), negations applied."""
    kind = type(node)
    if kind not in _OPS or not isinstance(node, exp.Binary):
        return None
    left, right = node.left.unnest(), node.right.unnest()
    if number(left) is not None and number(right) is None:
        kind, right = _MIRROR[kind], left
    if negated(node):
        kind = _FLIP[kind]
    return _OPS[kind], right


def complement(op: str) -> str:
    """`>=` -> `<`: the test a CASE written the other way round uses."""
    return _COMPLEMENT[op]
